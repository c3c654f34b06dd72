"""DEVIS.pdf and the paper "Bulletin individuel d'adhésion", from an issued quote version."""
from __future__ import annotations

from ..catalog.model import Catalog
from ..catalog.pricing import price
from ..catalog.recommend import levels_with
from ..documents.render import render_pdf
from ..validators import display_mobile
from .wizard import family_of


def quote_context(quote, catalog: Catalog, broker) -> dict:
    """What both PDFs print: the firm, the insurer, the family, the needs, the choice and its price."""
    product = catalog.product(quote.product_code)
    formula = product.formula(quote.formula_code)
    options = [product.option(code) for code in quote.options or ()]
    priced = price(product, quote.formula_code, family_of(quote), quote.options or ())
    recommended = product.formula(quote.recommended_formula_code) if quote.recommended_formula_code else None
    recommended_options = [product.option(code) for code in quote.recommended_options or ()]
    levels = levels_with(formula, tuple(options))
    needs = [{"label": axis.label[:1].upper() + axis.label[1:], "asked": catalog.level_label(quote.needs[axis.code]),
              "covered": catalog.level_label(levels[axis.code]), "met": levels[axis.code] >= quote.needs[axis.code]}
             for axis in catalog.need_axes]
    differs = recommended is not None and (recommended.code, tuple(c.code for c in recommended_options)) != (
        formula.code, tuple(o.code for o in options))
    return {
        "catalog": catalog, "insurer": catalog.insurer, "firm": quote.firm, "broker": broker, "quote": quote,
        "product": product, "formula": formula, "options": options, "price": priced, "needs": needs,
        "regime": catalog.regime(quote.regime).label, "recommended": recommended,
        "recommended_options": recommended_options, "differs_from_advice": differs,
        "mobile": display_mobile(quote.mobile or ""),
    }


def render_devis(quote, catalog: Catalog, broker) -> bytes:
    return render_pdf("devis.html", quote_context(quote, catalog, broker))


def render_bia(quote, catalog: Catalog, broker) -> bytes:
    context = quote_context(quote, catalog, broker)
    context["pieces"] = supporting_pieces(quote, catalog, context["product"])
    return render_pdf("bia.html", context)


def supporting_pieces(quote, catalog: Catalog, product) -> list:
    """The supporting documents the subscriber of `quote` sends, as the catalog lists them."""
    return [doc for doc in catalog.supporting_documents if _asked(doc.when, quote, product)]


def _asked(when: str, quote, product) -> bool:
    return (when in ("always", "optional") or (when == "tns" and product.tns_required)
            or (when == "spouse" and quote.has_spouse) or (when == "children" and quote.children > 0))
