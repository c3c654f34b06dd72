"""The five product documents (SPEC §2), rendered from the catalog and cached per catalog version.

They change only with the catalog, so each is rendered once per (catalog version, product,
document, formula): kept in memory, and on disk under instance/cache/documents/<version>/ so
other processes and restarts reuse it. A lock per key makes concurrent callers render once.
"""
from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context

from ..catalog.examples import examples_for
from ..catalog.loader import get_catalog
from ..catalog.model import Catalog, Product
from ..messaging.service import File
from .render import PDF_CONTENT_TYPE, render_pdf


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    filename: str  # as attached to the quote e-mail; {product} and {formula} are names
    template: str
    per_formula: bool


KINDS = {kind.code: kind for kind in (
    Kind("ipid", "Document d'information sur le Produit d'Assurance (IPID)", "IPID {product}.pdf", "ipid.html", False),
    Kind("regles_generales", "Règles générales", "Regles generales.pdf", "regles_generales.html", False),
    Kind("exemples", "Exemples de remboursements", "Exemples de remboursements.pdf", "exemples.html", True),
    Kind("plaquette", "Découvrir le produit", "Plaquette {product}.pdf", "plaquette.html", False),
    Kind("garanties", "Niveau des garanties", "Garanties {formula}.pdf", "garanties.html", True),
)}
#: The order of the quote e-mail's attachments after DEVIS.pdf.
ATTACHMENT_ORDER = ("ipid", "plaquette", "garanties", "exemples", "regles_generales")
#: The order of the links "Pour vous aider dans votre choix".
LINK_ORDER = ("ipid", "regles_generales", "exemples", "plaquette", "garanties")

_memory: dict[tuple, bytes] = {}
_locks: dict[tuple, threading.Lock] = {}
_locks_guard = threading.Lock()


def product_document(product: Product, kind: str, formula_code: str | None = None) -> File:
    """KeyError for an unknown kind or formula; ValueError for a per-formula document without one."""
    spec = KINDS[kind]
    formula = None
    if spec.per_formula:
        if formula_code is None:
            raise ValueError(f"le document {kind} est propre à une formule")
        formula = product.formula(formula_code)
    catalog = get_catalog()
    key = (catalog.version, product.code, kind, formula.code if formula else None)
    content = _cached(key, lambda: _render(catalog, product, spec, formula))
    return File(spec.filename.format(product=product.name, formula=formula.name if formula else ""),
                PDF_CONTENT_TYPE, content)


def quote_attachments(product: Product, formula_code: str) -> list[File]:
    return [product_document(product, kind, formula_code) for kind in ATTACHMENT_ORDER]


def document_links(product: Product, formula_code: str | None) -> list[tuple[str, str, str | None]]:
    """(title, kind, formula code or None) of the five documents, for the pages' links."""
    return [(KINDS[kind].title, kind, formula_code if KINDS[kind].per_formula else None) for kind in LINK_ORDER]


def warm(catalog: Catalog | None = None) -> int:
    """Render every document of every product and formula now; returns how many there are."""
    catalog = catalog or get_catalog()
    count = 0
    for product in catalog.products:
        for kind, spec in KINDS.items():
            for formula in (product.formulas if spec.per_formula else (None,)):
                product_document(product, kind, formula.code if formula else None)
                count += 1
    return count


def _render(catalog: Catalog, product: Product, spec: Kind, formula) -> bytes:
    context = {"catalog": catalog, "insurer": catalog.insurer, "product": product, "title": spec.title}
    if formula is not None:
        context.update(formula=formula, guarantees=catalog.guarantees.by_formula[formula.code],
                       reimbursements=examples_for(catalog, formula.code))
    return render_pdf(spec.template, context)


def _cached(key: tuple, render) -> bytes:
    content = _memory.get(key)
    if content is not None:
        return content
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        content = _memory.get(key)
        if content is None:
            path = _disk_path(key)
            if path is not None and path.exists():
                content = path.read_bytes()
            else:
                content = render()
                if path is not None:
                    _write_atomically(path, content)
            _memory[key] = content
    return content


def _disk_path(key: tuple) -> Path | None:
    if not has_app_context():
        return None
    version, product, kind, formula = key
    name = f"{product}-{kind}" + (f"-{formula}" if formula else "") + ".pdf"
    return Path(current_app.config["INSTANCE_PATH"]) / "cache" / "documents" / version / name


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def clear_memory() -> None:
    """Forget the in-process copies (tests; a new catalog is keyed by its own version anyway)."""
    _memory.clear()
