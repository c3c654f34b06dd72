"""The signature pages, under the customer's link: /souscription/<token>/signature…

Opened by the client whose browser confirmed the birth date of the link, or by a broker of
the quote's firm at its side (never for a sale started by telephone). Every page sends a
browser that is not where the signature stands (back button, second tab) to where it is.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, make_response, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from ..catalog.loader import get_catalog
from ..extensions import db, limiter
from ..subscription import service as subscriptions
from ..subscription.models import SubscriptionStatus
from ..subscription.views import VERIFIED
from .. import storage
from . import service
from .codes import CodeError
from .models import SignatureState
from .pages import page_png
from .proof import PROOF_FILENAME

bp = Blueprint("signature", __name__)
PREFIX = "/souscription/<token>/signature"


class Access:
    def __init__(self, token, link, subscription, contract, by_broker):
        self.token, self.link, self.subscription, self.contract, self.by_broker = (
            token, link, subscription, contract, by_broker)
        self.quote = link.quote

    @property
    def actor(self):
        return current_user._get_current_object() if self.by_broker else "client"


def _closed(title: str, text: str, status: int, firm=None):
    return make_response(render_template("subscription/closed.html", title=title, text=text, firm=firm), status)


def _access(token: str) -> Access:
    link = subscriptions.find_link(token)
    if link is None:
        abort(_closed("Lien invalide", "Ce lien n'est pas reconnu. Vérifiez qu'il est complet ou contactez votre "
                      "conseiller.", 404))
    quote = link.quote
    by_broker = bool(current_user.is_authenticated and getattr(current_user, "is_staff", False)
                     and current_user.firm_id == quote.firm_id)
    if not by_broker and link.id not in session.get(VERIFIED, []):
        abort(redirect(url_for("subscription.open_link", token=token)))
    subscription = subscriptions.subscription_of(quote)
    if subscription is None:
        abort(redirect(url_for("subscription.open_link", token=token)))
    contract = service.contract_of(subscription)
    signed = contract is not None and contract.signature_state in (SignatureState.SIGNE, SignatureState.MANUSCRITE)
    if not signed:
        reason = subscriptions.closed_reason(link)
        if reason is not None:
            abort(_closed(*reason, status=410, firm=quote.firm))
    return Access(token, link, subscription, contract, by_broker)


def _requester() -> service.Requester:
    return service.Requester(ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""))


def _where(access: Access):
    """Where the signature stands: the page to show."""
    contract = access.contract
    if contract is None or contract.signature_state is not SignatureState.EN_COURS:
        if contract is not None and contract.signature_state is SignatureState.SIGNE:
            return redirect(url_for("signature.signed", token=access.token))
        return redirect(url_for("signature.start", token=access.token))
    if contract.accepted < len(service.DOCUMENT_TITLES):
        return redirect(url_for("signature.document", token=access.token, index=contract.accepted + 1))
    return redirect(url_for("signature.sign", token=access.token))


def _running(token: str) -> Access:
    access = _access(token)
    if access.contract is not None:
        service.expire_if_idle(access.contract)
    if access.contract is None or access.contract.signature_state is not SignatureState.EN_COURS:
        abort(_where(access))
    return access


def _page(template: str, access: Access, status: int = 200, **context):
    product = get_catalog().product(access.quote.product_code)
    return render_template(template, access=access, token=access.token, quote=access.quote, firm=access.quote.firm,
                           contract=access.contract, product=product, titles=service.DOCUMENT_TITLES,
                           **context), status


@bp.get(PREFIX)
def start(token: str):
    access = _access(token)
    contract = access.contract
    if contract is not None:
        service.expire_if_idle(contract)
        if contract.signature_state is SignatureState.SIGNE:
            return redirect(url_for("signature.signed", token=token))
        if contract.signature_state is SignatureState.EN_COURS and contract.documents:
            return _where(access)
    if access.subscription.status is SubscriptionStatus.MANUSCRITE or (
            contract is not None and contract.signature_state is SignatureState.MANUSCRITE):
        return _page("signature/manual.html", access)
    if access.subscription.status not in (SubscriptionStatus.A_SIGNER, SubscriptionStatus.ECHEC):
        return redirect(url_for("subscription.open_link", token=token))
    return _page("signature/start.html", access, waiting=service.refusal_to_sign(access.subscription, access.by_broker),
                 attempt=contract.attempt if contract else 0, mobile=service.mask_phone(access.subscription.mobile))


@bp.post(PREFIX)
@limiter.limit("10 per minute")
def begin(token: str):
    access = _access(token)
    try:
        attempt = int(request.form.get("tentative", "0")[:6])
    except ValueError:
        attempt = -1
    try:
        access.contract = service.begin(access.subscription, attempt, _requester(), access.actor,
                                        by_broker=access.by_broker)
    except service.SignatureError as refused:
        db.session.rollback()
        return _page("signature/start.html", access, 409, error=refused.message, attempt=attempt, waiting=None,
                     mobile=service.mask_phone(access.subscription.mobile))
    return _where(access)


@bp.post(PREFIX + "/manuscrite")
@limiter.limit("10 per minute")
def by_hand(token: str):
    access = _access(token)
    try:
        access.contract = service.sign_by_hand(access.subscription, access.actor)
    except service.SignatureError as refused:
        db.session.rollback()
        return _page("signature/manual.html", access, 409, error=refused.message)
    return redirect(url_for("signature.start", token=token))


@bp.get(PREFIX + "/document/<int:index>")
def document(token: str, index: int):
    access = _running(token)
    contract = access.contract
    if not 1 <= index <= len(service.DOCUMENT_TITLES) or index > contract.accepted + 1:
        return _where(access)
    service.document_shown(contract, index, _requester())
    return _page("signature/document.html", access, index=index, doc=contract.documents[index - 1],
                 accepted=index <= contract.accepted, consents=service.CONSENTS, errors={})


@bp.get(PREFIX + "/document/<int:index>/page/<int:number>.png")
def page_image(token: str, index: int, number: int):
    access = _access(token)
    contract = access.contract
    if contract is None or not contract.documents or not 1 <= index <= len(contract.documents):
        abort(404)
    key = contract.documents[index - 1]["key"]
    try:
        image = page_png(key, storage.get(key), number)
    except IndexError:
        abort(404)
    response = send_file(BytesIO(image), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post(PREFIX + "/document/<int:index>")
@limiter.limit("30 per minute")
def accept(token: str, index: int):
    access = _running(token)
    contract = access.contract
    if not 1 <= index <= len(service.DOCUMENT_TITLES):
        return _where(access)
    consents = [request.form.get(f"consentement_{n}") == "oui" for n in (1, 2, 3)]
    try:
        service.accept_document(contract, index, request.form.get("document", "")[:64], consents, _requester())
    except service.SignatureError as refused:
        db.session.rollback()
        db.session.refresh(contract)
        if contract.signature_state is not SignatureState.EN_COURS or index > contract.accepted + 1:
            return _where(access)
        return _page("signature/document.html", access, 422, index=index, doc=contract.documents[index - 1],
                     accepted=False, consents=service.CONSENTS, errors=refused.errors, error=refused.message)
    except CodeError as refused:
        db.session.rollback()
        return _page("signature/failed.html", access, 409, error=str(refused))
    db.session.refresh(contract)
    return _where(access)


@bp.get(PREFIX + "/signer")
def sign(token: str):
    access = _running(token)
    if access.contract.accepted < len(service.DOCUMENT_TITLES):
        return _where(access)
    return _sign_page(access)


def _sign_page(access: Access, status: int = 200, **context):
    return _page("signature/sign.html", access, status, mobile=service.masked_mobile(access.contract),
                 conditions=service.CONDITIONS, errors=context.pop("errors", {}), **context)


@bp.post(PREFIX + "/signer")
@limiter.limit("20 per minute")
def sign_post(token: str):
    access = _running(token)
    contract = access.contract
    if contract.accepted < len(service.DOCUMENT_TITLES):
        return _where(access)
    conditions = [request.form.get(f"condition_{n}") == "oui" for n in (1, 2)]
    try:
        service.sign(contract, request.form.get("code", "")[:20], conditions, _requester())
    except service.SignatureError as refused:
        db.session.rollback()
        db.session.refresh(contract)
        if contract.signature_state is SignatureState.EN_COURS:
            return _sign_page(access, 422, error=refused.message, errors=refused.errors)
        if contract.signature_state is SignatureState.SIGNE:
            return redirect(url_for("signature.signed", token=token))
        return redirect(url_for("signature.start", token=token))
    db.session.refresh(contract)
    if contract.signature_state is SignatureState.EN_COURS:
        return _page("signature/wait.html", access, 202)  # the other click is sealing right now
    return _where(access)


@bp.post(PREFIX + "/renvoyer")
@limiter.limit("10 per minute")
def resend(token: str):
    access = _running(token)
    try:
        sent = service.resend(access.contract, _requester())
    except (service.SignatureError, CodeError) as refused:
        db.session.rollback()
        return _sign_page(access, 429, error=getattr(refused, "message", str(refused)))
    return _sign_page(access, notice=f"Un nouveau code vous a été envoyé au {sent.masked_phone}.")


@bp.post(PREFIX + "/refuser")
@limiter.limit("10 per minute")
def refuse(token: str):
    access = _running(token)
    try:
        service.refuse(access.contract, request.form.get("motif", ""), _requester())
    except service.SignatureError:
        db.session.rollback()
    return redirect(url_for("signature.start", token=token))


@bp.get(PREFIX + "/signee")
def signed(token: str):
    access = _access(token)
    if access.contract is None or access.contract.signature_state is not SignatureState.SIGNE:
        return _where(access)
    files = [document["filename"] for document in access.contract.signed_documents] + [PROOF_FILENAME]
    return _page("signature/signed.html", access, files=files)


@bp.get(PREFIX + "/fichiers/<int:number>")
def signed_file(token: str, number: int):
    """The signed documents (1 to 3) and the proof file (4), from the same link afterwards."""
    access = _access(token)
    contract = access.contract
    if contract is None or contract.signature_state is not SignatureState.SIGNE:
        abort(404)
    files = [(d["filename"], d["key"]) for d in contract.signed_documents] + [(PROOF_FILENAME, contract.proof_key)]
    if not 1 <= number <= len(files):
        abort(404)
    name, key = files[number - 1]
    return send_file(BytesIO(storage.get(key)), mimetype="application/pdf", download_name=name)
