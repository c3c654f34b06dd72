"""The page the quote e-mail links to (birth-date check, then the quote and its documents) and
the four subscription steps it opens. The steps are reached two ways, with the same views:
from the link (/souscription/<token>/…, the client, once its birth date is confirmed) and
by the broker with its client at its side (/devis/<id>/souscription/…, the broker's session).
"""
from __future__ import annotations

from io import BytesIO

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   send_file, session, url_for)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.routing import BuildError
from wtforms.validators import ValidationError

from ..catalog.loader import get_catalog
from ..catalog.views import communes_answer
from ..documents.product_documents import document_links, product_document, product_document_html
from ..auth.models import Role
from ..auth.scoping import get_scoped_or_404
from ..extensions import csrf, db, limiter, login_manager
from ..quotes.models import Quote
from ..quotes.service import DEVIS_FILENAME
from ..validators import display_mobile
from .. import storage
from . import service, steps
from .models import SIGNATURE_ELECTRONIC, SIGNATURE_MANUAL, STEPS

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
                           firm_phone=quote.firm.phone, mobile=display_mobile(quote.mobile or ""),
                           can_subscribe=service.can_subscribe(quote), subscription=service.subscription_of(quote))


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


# ---------------------------------------------------------------------------------------
# The four steps


class Access:
    """Who is subscribing: the quote, the journal's actor and the URL arguments of its pages."""

    def __init__(self, quote: Quote, actor, url_args: dict, back_url: str):
        self.quote, self.actor, self.url_args, self.back_url = quote, actor, url_args, back_url

    @property
    def by_broker(self) -> bool:
        return "quote_id" in self.url_args


def _access(token: str | None = None, quote_id: int | None = None) -> Access:
    """The link's client once its birth date is confirmed, or a broker of the quote's firm;
    a quote that can no longer be subscribed goes back to its page."""
    if token is not None:
        link = _link_or_page(token)
        if not _verified(link):
            abort(redirect(url_for("subscription.open_link", token=token)))
        access = Access(link.quote, "client", {"token": token}, url_for("subscription.open_link", token=token))
    else:
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        if not getattr(current_user, "is_staff", False) or current_user.role is not Role.BROKER:
            abort(403)
        quote = get_scoped_or_404(Quote, quote_id, current_user)
        access = Access(quote, current_user._get_current_object(), {"quote_id": quote.id},
                        url_for("quotes.show", quote_id=quote.id))
    if not service.can_subscribe(access.quote):
        if access.by_broker:
            flash("Ce devis ne peut pas être souscrit dans son état actuel.", "error")
        abort(redirect(access.back_url))
    return access


def _subscription(access: Access):
    try:
        subscription = service.subscription_for(access.quote, access.actor)
    except service.SubscriptionError as error:
        flash(error.message, "error")
        abort(redirect(access.back_url))
    db.session.commit()
    return subscription


@bp.post("/devis/<int:quote_id>/souscrire")
def broker_start(quote_id: int):
    """"Souscrire avec le client": the steps in the broker's session, "vente à distance par
    téléphone" when the client is on the phone."""
    access = _access(quote_id=quote_id)
    try:
        service.subscription_for(access.quote, access.actor, telephone_sale=request.form.get("telephone") == "on")
    except service.SubscriptionError as error:
        flash(error.message, "error")
        return redirect(access.back_url)
    db.session.commit()
    return redirect(url_for("subscription.step", step=1, **access.url_args))


@bp.route("/souscription/<token>/etape/<int:step>", methods=["GET", "POST"])
@bp.route("/devis/<int:quote_id>/souscription/etape/<int:step>", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def step(step: int, token: str | None = None, quote_id: int | None = None):
    access = _access(token, quote_id)
    subscription = _subscription(access)
    if not 1 <= step <= service.LAST_STEP:
        abort(404)
    if step > subscription.step:  # not reached yet: typed in a page of another subscription's state
        return redirect(url_for("subscription.step", step=subscription.step, **access.url_args))
    if request.method == "POST":
        going_back = request.form.get("action") == "precedent"
        try:
            errors = service.save_step(subscription, step, request.form, access.actor, final=not going_back)
        except service.SubscriptionError as error:
            flash(error.message, "error")
            return redirect(access.back_url)
        db.session.commit()
        if going_back:
            return redirect(url_for("subscription.step", step=max(step - 1, 1), **access.url_args))
        if errors:
            return _step_page(access, subscription, step, errors, status=422)
        return redirect(url_for("subscription.step", step=min(step + 1, service.LAST_STEP), **access.url_args))
    if step == service.LAST_STEP:
        missing = service.first_incomplete_step(subscription)
        if missing is not None:
            flash("Une information manque ou est à corriger avant la signature.", "error")
            return redirect(url_for("subscription.step", step=missing, **access.url_args))
    return _step_page(access, subscription, step, service.step_errors(subscription, step))


def _step_page(access: Access, subscription, step: int, errors: dict, status: int = 200):
    quote = access.quote
    catalog = get_catalog()
    product = catalog.product(quote.product_code)
    context = {
        "access": access, "subscription": subscription, "quote": quote, "product": product, "catalog": catalog,
        "formula": product.formula(quote.formula_code), "firm": quote.firm, "steps": STEPS, "current": step,
        "values": service.form_values(subscription, step), "errors": errors,
        "kept": service.kept_secrets(subscription, step), "quoted": service.quoted(subscription),
        "autosave_url": url_for("subscription.autosave", step=step, **access.url_args),
    }
    if step == 3:
        context["instalments"] = service.instalments(subscription)
        context["insurer"] = catalog.insurer
    if step == 4:
        context["signature_choices"] = (SIGNATURE_ELECTRONIC, SIGNATURE_MANUAL)
        context["mobile"] = display_mobile(subscription.mobile or "")
        context["signature_url"] = _signature_pages(access)
    return render_template(f"subscription/step{step}.html", **context), status


@bp.post("/souscription/<token>/etape/<int:step>/enregistrer")
@bp.post("/devis/<int:quote_id>/souscription/etape/<int:step>/enregistrer")
@csrf.exempt  # checked below, to answer in JSON rather than with the HTML page of an expired form
@limiter.limit("120 per minute")
def autosave(step: int, token: str | None = None, quote_id: int | None = None):
    """The save as the client types: the step's fields → {"erreurs": {field: message}}."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return jsonify(erreur="Votre session a expiré : rechargez la page. Ce que vous avez saisi reste affiché ; "
                              "enregistrez-le avec « Suivant »."), 400
    if not 1 <= step < service.LAST_STEP:
        abort(404)
    access = _access(token, quote_id)
    subscription = _subscription(access)
    if step > subscription.step:
        return jsonify(erreur="Complétez d'abord les étapes précédentes : rechargez la page."), 409
    try:
        errors = service.save_step(subscription, step, request.form, access.actor)
    except service.SubscriptionError as error:
        return jsonify(erreur=error.message), 409
    db.session.commit()
    return jsonify(erreurs=errors, enregistre=True)


@bp.get("/souscription/<token>/a-signer/<kind>")
@bp.get("/devis/<int:quote_id>/souscription/a-signer/<kind>")
def document_to_sign(kind: str, token: str | None = None, quote_id: int | None = None):
    """One of the three documents to sign, made from the subscription as it stands."""
    access = _access(token, quote_id)
    subscription = _subscription(access)
    if kind not in service.DOCUMENT_FILENAMES:
        abort(404)
    try:
        filename, pdf = service.document(subscription, kind)
    except service.SubscriptionError as error:
        flash(error.message, "error")
        return redirect(url_for("subscription.step", step=subscription.step, **access.url_args))
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=filename)


@bp.post("/souscription/<token>/signature-choisie")
@bp.post("/devis/<int:quote_id>/souscription/signature-choisie")
@limiter.limit("30 per minute")
def choose_signature(token: str | None = None, quote_id: int | None = None):
    access = _access(token, quote_id)
    subscription = _subscription(access)
    try:
        service.choose_signature(subscription, request.form.get("signature", ""), access.actor)
    except service.SubscriptionError as error:
        db.session.rollback()
        return _step_page(access, subscription, service.LAST_STEP, {"signature": error.message}, status=422)
    db.session.commit()
    following = _signature_pages(access)
    if following is not None:
        return redirect(following)
    return redirect(url_for("subscription.step", step=service.LAST_STEP, **access.url_args))


def _signature_pages(access: Access) -> str | None:
    """The signature's first page when the application has it, for this way in."""
    if "signature.start" not in current_app.view_functions:
        return None
    try:
        return url_for("signature.start", **access.url_args)
    except BuildError:
        return None


READABLE_IN_PAGE = ("ipid", "regles_generales")


@bp.get("/souscription/<token>/lire/<kind>")
@bp.get("/devis/<int:quote_id>/souscription/lire/<kind>")
def readable_document(kind: str, token: str | None = None, quote_id: int | None = None):
    """The IPID or the règles générales as HTML, framed in step 2 so that they are read in the page."""
    access = _access(token, quote_id)
    if kind not in READABLE_IN_PAGE:
        abort(404)
    response = make_response(product_document_html(get_catalog().product(access.quote.product_code), kind))
    # Framed by this portal's own page only; the document carries no script.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; frame-ancestors 'self'"
    return response
