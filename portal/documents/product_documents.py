"""The five product documents (SPEC §2), rendered from the catalog and cached per version.

They change only with the catalog and the templates, so each is rendered once per (catalog and
templates version, product, document, formula): kept in memory, and on disk under
<instance>/cache/documents/<catalog version>-<templates version>/
so that other processes and restarts reuse it. A lock per key makes concurrent callers wait
for the one render instead of rendering the same document side by side. Without an
application context (a script, a unit test) only the memory cache is used.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from flask import current_app, has_app_context

from ..catalog.examples import examples_for
from ..catalog.loader import get_catalog
from ..catalog.model import Catalog, Formula, FormulaGuarantees, Option, Product
from ..formatting import money
from ..messaging.service import File
from .render import PDF_CONTENT_TYPE, TEMPLATES_DIR, render_html, render_pdf

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    filename: str  # as attached to the quote e-mail; {product} and {formula} are names
    template: str
    per_formula: bool


KINDS: dict[str, Kind] = {kind.code: kind for kind in (
    Kind("ipid", "Document d'information sur le Produit d'Assurance (IPID)", "IPID {product}.pdf", "ipid.html", False),
    Kind("regles_generales", "Règles générales", "Regles generales.pdf", "regles_generales.html", False),
    Kind("exemples", "Exemples de remboursements", "Exemples de remboursements.pdf", "exemples.html", True),
    Kind("plaquette", "Découvrir le produit", "Plaquette {product}.pdf", "plaquette.html", False),
    Kind("garanties", "Niveau des garanties", "Garanties {formula}.pdf", "garanties.html", True),
)}
#: The order of the quote e-mail's attachments after DEVIS.pdf (SPEC §9).
ATTACHMENT_ORDER = ("ipid", "plaquette", "garanties", "exemples", "regles_generales")
#: The order of the links "Pour vous aider dans votre choix".
LINK_ORDER = ("ipid", "regles_generales", "exemples", "plaquette", "garanties")

#: The lines of the guarantee table, in print order: field of FormulaGuarantees, label,
#: short column heading, unit ("%" of the BR, Sécurité sociale included, or "€" on top of it).
GUARANTEE_LINES = (
    ("honoraires_optam", "Honoraires médicaux — médecins adhérents OPTAM / OPTAM-CO", "Honoraires OPTAM", "%"),
    ("honoraires_non_optam", "Honoraires médicaux — médecins non adhérents OPTAM", "Honoraires non OPTAM", "%"),
    ("chambre_particuliere_jour", "Hospitalisation — chambre particulière, par nuit", "Chambre particulière (nuit)", "€"),
    ("optique_equipement", "Optique — équipement hors 100 % Santé (monture et deux verres)", "Optique (équipement)", "€"),
    ("dentaire_protheses", "Dentaire — prothèses hors 100 % Santé", "Prothèses dentaires", "%"),
    ("audiologie_oreille", "Audiologie — aide auditive hors 100 % Santé, par oreille", "Aide auditive (oreille)", "€"),
)
NOT_COVERED = "Non couvert"

_memory: dict[tuple, bytes] = {}
_locks: dict[tuple, threading.Lock] = {}
_locks_guard = threading.Lock()


def product_document(product: Product, kind: str, formula_code: str | None = None, *,
                     catalog: Catalog | None = None) -> File:
    """One document as an e-mail attachment; rendered at most once per catalog version.

    KeyError for an unknown kind or formula (a product-wide document ignores a known formula);
    ValueError for a per-formula document asked without a formula. `catalog` is the one
    `product` comes from (default: the portal's).
    """
    spec = KINDS[kind]
    if spec.per_formula and formula_code is None:
        raise ValueError(f"le document « {spec.title} » est propre à une formule : formule manquante")
    # A formula is checked even for a product-wide document, which is the same for all of them.
    formula = product.formula(formula_code) if formula_code is not None else None
    if not spec.per_formula:
        formula = None
    catalog = catalog or get_catalog()
    key = (f"{catalog.version}-{templates_version()}", product.code, kind, formula.code if formula else None)
    content = _cached(key, lambda: _render(catalog, product, spec, formula))
    return File(spec.filename.format(product=product.name, formula=formula.name if formula else ""),
                PDF_CONTENT_TYPE, content)


def quote_attachments(product: Product, formula_code: str) -> list[File]:
    """IPID, Plaquette, Garanties, Exemples, Règles générales: the quote e-mail adds DEVIS.pdf first."""
    return [product_document(product, kind, formula_code) for kind in ATTACHMENT_ORDER]


def document_links(product: Product, formula_code: str | None) -> list[tuple[str, str, str | None]]:
    """(title, kind, formula code or None) of the five documents, for the pages' links.

    A per-formula document is left out when there is no formula to show it for.
    """
    links = []
    for kind in LINK_ORDER:
        spec = KINDS[kind]
        if spec.per_formula and formula_code is None:
            continue
        links.append((spec.title, kind, formula_code if spec.per_formula else None))
    return links


def warm(catalog: Catalog | None = None) -> int:
    """Render (or find in the cache) every document of every product and formula; returns how many."""
    catalog = catalog or get_catalog()
    count = 0
    for product in catalog.products:
        for kind, spec in KINDS.items():
            for formula in (product.formulas if spec.per_formula else (None,)):
                product_document(product, kind, formula.code if formula else None, catalog=catalog)
                count += 1
    return count


def clear_memory() -> None:
    """Forget the in-process copies (tests; a new catalog is keyed by its own version anyway)."""
    with _locks_guard:
        _memory.clear()


def guarantee_values(guarantees: FormulaGuarantees) -> list[tuple[str, str, str]]:
    """(label, short heading, value as printed) of one formula's guarantee row: "300 % BR", "60,00 €"."""
    values = []
    for field, label, short, unit in GUARANTEE_LINES:
        value = getattr(guarantees, field)
        if unit == "%":
            shown = f"{value} % BR"
        else:
            shown = money(value) if value > 0 else NOT_COVERED
        values.append((label, short, shown))
    return values


def product_document_html(product: Product, kind: str) -> str:
    """A product-wide document (IPID, règles générales) as HTML, for a page that shows it
    rather than links to it; KeyError for an unknown or per-formula kind."""
    spec = KINDS[kind]
    if spec.per_formula:
        raise KeyError(kind)
    return render_html(spec.template, _context(get_catalog(), product, spec, None))


def _render(catalog: Catalog, product: Product, spec: Kind, formula: Formula | None) -> bytes:
    return render_pdf(spec.template, _context(catalog, product, spec, formula))


def _context(catalog: Catalog, product: Product, spec: Kind, formula: Formula | None) -> dict:
    by_formula = catalog.guarantees.by_formula
    context = {
        "catalog": catalog, "insurer": catalog.insurer, "product": product, "title": spec.title,
        "needs": [(axis.code, _need_heading(axis.label)) for axis in catalog.need_axes],
        "guarantee_headings": [short for _, _, short, _ in GUARANTEE_LINES],
        "guarantee_table": [(f, guarantee_values(by_formula[f.code])) for f in product.formulas],
        "option_texts": {o.code: catalog.guarantees.option_texts.get(o.code, o.name) for o in product.options},
        "option_details": {o.code: _option_detail(catalog, o) for o in product.options},
        "free_child": _ordinal(product.tariff.free_from_child),
    }
    if formula is not None:
        guarantees = by_formula[formula.code]
        context.update(formula=formula, guarantees=guarantees, guarantee_lines=guarantee_values(guarantees),
                       reimbursements=examples_for(catalog, formula.code))
    return context


def _option_detail(catalog: Catalog, option: Option) -> str:
    """What an option adds, without the option's name the catalog's text starts with."""
    text = catalog.guarantees.option_texts.get(option.code, "")
    prefix = f"{option.name} :"
    return text[len(prefix):].strip() if text.startswith(prefix) else text or option.name


def _ordinal(n: int) -> str:
    """3 → "troisième": the rank of the first free child, as the documents write it."""
    words = {1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", 5: "cinquième", 6: "sixième"}
    return words.get(n, f"{n}e")


def _need_heading(label: str) -> str:
    """"optique (lunettes, lentilles...)" → "Optique": a need's label as a column heading."""
    short = label.split(" (")[0].strip()
    return short[:1].upper() + short[1:]


def _cached(key: tuple, render: Callable[[], bytes]) -> bytes:
    content = _memory.get(key)
    if content is not None:
        return content
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:  # the first caller renders; the others wait here and find it done
        content = _memory.get(key)
        if content is None:
            path = _disk_path(key)
            content = _read(path) if path is not None else None
            if content is None:
                content = render()
                if path is not None:
                    _write_atomically(path, content)
            _memory[key] = content
    return content


@lru_cache(maxsize=1)
def templates_version() -> str:
    """The first 12 hex digits of a SHA-256 over pdf_templates/ (names and bytes): a document made
    from older templates is never served from the disk cache after a release changes them."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(TEMPLATES_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _disk_path(key: tuple) -> Path | None:
    if not has_app_context():
        return None
    version, product, kind, formula = key
    name = f"{product}-{kind}" + (f"-{formula}" if formula else "") + ".pdf"
    return Path(current_app.config["INSTANCE_PATH"]) / "cache" / "documents" / version / name


def _read(path: Path) -> bytes | None:
    """The cached PDF, or None when there is none or it is not a whole PDF (it is then rendered again)."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("Cache des documents illisible (%s) : %s", path, error)
        return None
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-1024:]:
        log.warning("Cache des documents : %s n'est pas un PDF complet, il est refait", path)
        return None
    return content


def _write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see no file or the whole file.

    A cache that cannot be written (read-only or full disk) costs a render per process, never
    the document: the error is logged and the content kept in memory.
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        log.warning("Cache des documents non écrit (%s) : %s", path, error)
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
