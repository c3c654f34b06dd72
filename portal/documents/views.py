"""The product documents, for the broker's pages ("Pour vous aider dans votre choix").

Opened in the browser (inline), under the file name the quote e-mail gives them.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, send_file

from ..auth.scoping import staff_readers
from ..catalog.loader import get_catalog
from .product_documents import product_document as render_document

bp = Blueprint("documents", __name__)


@bp.get("/vente-directe/<product_code>/documents/<kind>")
@bp.get("/vente-directe/<product_code>/documents/<kind>/<formula_code>")
@staff_readers
def product_document(product_code: str, kind: str, formula_code: str | None = None):
    """404 for an unknown product, document or formula, and for a per-formula document without one."""
    try:
        file = render_document(get_catalog().product(product_code), kind, formula_code)
    except (KeyError, ValueError):
        abort(404)
    return send_file(BytesIO(file.content), mimetype=file.content_type, as_attachment=False,
                     download_name=file.filename)
