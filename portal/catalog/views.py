"""Catalog pages and look-ups: product sheets for the broker, communes of a postcode."""
from flask import Blueprint, abort, jsonify, render_template, request

from ..auth.scoping import staff_readers
from .geo import communes_for, is_valid_postcode
from .loader import get_catalog

bp = Blueprint("catalog", __name__)


@bp.record_once
def validate_catalog(state) -> None:
    """Read the catalog when the application is built, so that a broken file stops start-up."""
    get_catalog()


@bp.app_context_processor
def catalog_globals() -> dict:
    return {
        "catalog_products": lambda: get_catalog().products,
        "insurer_lines": lambda: get_catalog().insurer.legal_lines,
        "catalog_product_name": lambda code: get_catalog().product(code).name,
    }


@bp.get("/api/communes")
@staff_readers
def communes():
    """Communes of a postcode, for the "Ville" list that follows the "Code postal" field; the
    customer's pages have their own door behind the verified link (subscription.communes)."""
    return communes_answer(request.args.get("code_postal", ""))


def communes_answer(postcode: str):
    """The JSON answer shared by the broker's and the customer's look-ups."""
    postcode = postcode.strip()
    if not is_valid_postcode(postcode):
        return jsonify(erreur="Code postal invalide : 5 chiffres attendus."), 400
    found = communes_for(postcode)
    body = {"communes": [{"code": commune.insee_code, "nom": commune.name} for commune in found]}
    if not found:
        body["erreur"] = "Aucune commune pour ce code postal."
    return jsonify(body)


@bp.get("/vente-directe/<code>")
@staff_readers
def product(code: str):
    catalog = get_catalog()
    try:
        chosen = catalog.product(code)
    except KeyError:
        abort(404)
    return render_template("catalog/product.html", catalog=catalog, product=chosen)
