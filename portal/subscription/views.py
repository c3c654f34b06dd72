"""The page the quote e-mail links to: birth-date check, then the quote and its documents."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, jsonify, make_response, redirect, render_template, request, send_file, session, url_for

from ..catalog.loader import get_catalog
from ..catalog.views import communes_answer
from ..documents.product_documents import document_links, product_document
from ..extensions import db, limiter
from ..quotes.service import DEVIS_FILENAME
from ..validators import display_mobile
from .. import storage
from . import service

bp = Blueprint("subscription", __name__)
VERIFIED = "liens_verifies"  # ids of the links whose birth date this browser confirmed
VERIFIED_KEPT = 20


def _link_or_page(token: str):
    link = service.find_link(token)
    if link is None:
        abort(_closed("Lien invalide", "Ce lien n'est pas reconnu. Vérifiez qu'il est complet ou contactez votre conseiller.", 404))
    reason = service.closed_reason(link)
    if reason is not None:
        abort(_closed(*reason, status=410, firm=link.quote.firm))
    return link


def _closed(title: str, text: str, status: int, firm=None):
    return make_response(render_template("subscription/closed.html", title=title, text=text, firm=firm), status)


def _verified(link) -> bool:
    return link.id in session.get(VERIFIED, [])


@bp.route("/souscription/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def open_link(token: str):
    link = _link_or_page(token)
    quote = link.quote
    if request.method == "POST":
        error = None
        try:
            remaining = service.confirm_birth_date(link, request.form.get("date_naissance", ""))
            if remaining == 0:
                session[VERIFIED] = (session.get(VERIFIED, []) + [link.id])[-VERIFIED_KEPT:]
                db.session.commit()
                return redirect(url_for("subscription.open_link", token=token))
            error = (f"Cette date de naissance ne correspond pas au devis. Il vous reste {remaining} essai"
                     f"{'s' if remaining > 1 else ''}.")
        except service.LinkLocked as locked:
            error = locked.message
        db.session.commit()
        return render_template("subscription/confirm.html", quote=quote, error=error,
                               value=request.form.get("date_naissance", "")[:20]), 422
    if not _verified(link):
        return render_template("subscription/confirm.html", quote=quote, error=None, value="")
    catalog = get_catalog()
    product = catalog.product(quote.product_code)
    return render_template("subscription/quote.html", quote=quote, product=product, catalog=catalog, token=token,
                           formula=product.formula(quote.formula_code), firm=quote.firm,
                           options=[product.option(code) for code in quote.options or ()],
                           documents=document_links(product, quote.formula_code),
                           firm_phone=quote.firm.phone, mobile=display_mobile(quote.mobile or ""))


@bp.get("/souscription/<token>/communes")
@limiter.limit("60 per minute")
def communes(token: str):
    """The "Ville" list of the customer's address fields, for a browser that confirmed the birth
    date of this link (the broker's /api/communes needs a broker login)."""
    link = _link_or_page(token)
    if not _verified(link):
        return jsonify(erreur="Confirmez d'abord votre date de naissance."), 403
    return communes_answer(request.args.get("code_postal", ""))


@bp.get("/souscription/<token>/devis.pdf")
def devis_pdf(token: str):
    link = _link_or_page(token)
    if not _verified(link) or not link.quote.pdf_key:
        return redirect(url_for("subscription.open_link", token=token))
    return send_file(BytesIO(storage.get(link.quote.pdf_key)), mimetype="application/pdf", download_name=DEVIS_FILENAME)


@bp.get("/souscription/<token>/documents/<kind>")
def document(token: str, kind: str):
    link = _link_or_page(token)
    if not _verified(link):
        return redirect(url_for("subscription.open_link", token=token))
    product = get_catalog().product(link.quote.product_code)
    try:
        file = product_document(product, kind, link.quote.formula_code)
    except (KeyError, ValueError):
        abort(404)
    return send_file(BytesIO(file.content), mimetype=file.content_type, download_name=file.filename)
