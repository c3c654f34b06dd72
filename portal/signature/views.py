"""The signature pages, as the subscription steps are reached: from the customer's link
(/souscription/<token>/signature…, the client whose browser confirmed the birth date) or by
a broker of the quote's firm with its client at its side (/devis/<id>/souscription/signature…,
never for a sale started by telephone). Every page sends a browser that is not where the
signature stands (back button, second tab) to where it is.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, make_response, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from ..catalog.loader import get_catalog
from ..auth.models import Role
from ..auth.scoping import get_scoped_or_404
from ..extensions import db, limiter, login_manager
from ..quotes.models import Quote
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
BROKER_PREFIX = "/devis/<int:quote_id>/souscription/signature"


def route(path: str, **options):
    """The same view under the customer's link and under the broker's quote."""
    def register(view):
        bp.route(BROKER_PREFIX + path, **options)(view)
        return bp.route(PREFIX + path, **options)(view)
    return register


class Access:
    def __init__(self, quote, url_args: dict, subscription, contract, link=None):
        self.quote, self.url_args, self.subscription, self.contract, self.link = (
            quote, url_args, subscription, contract, link)

    @property
    def by_broker(self) -> bool:
        return "quote_id" in self.url_args

    @property
    def actor(self):
        return current_user._get_current_object() if self.by_broker else "client"

    def url(self, endpoint: str, **values) -> str:
        return url_for(endpoint, **self.url_args, **values)

    @property
    def steps_url(self) -> str:
        """The subscription's last step, where the signature is chosen."""
        return url_for("subscription.step", step=4, **self.url_args)


def _closed(title: str, text: str, status: int, firm=None):
    return make_response(render_template("subscription/closed.html", title=title, text=text, firm=firm), status)


def _access(token: str | None = None, quote_id: int | None = None) -> Access:
    if token is not None:
        link = subscriptions.find_link(token)
        if link is None:
            abort(_closed("Lien invalide", "Ce lien n'est pas reconnu. Vérifiez qu'il est complet ou contactez votre "
                          "conseiller.", 404))
        if link.id not in session.get(VERIFIED, []):
            abort(redirect(url_for("subscription.open_link", token=token)))
        quote, url_args = link.quote, {"token": token}
    else:
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        if not getattr(current_user, "is_staff", False) or current_user.role is not Role.BROKER:
            abort(403)
        link, quote, url_args = None, get_scoped_or_404(Quote, quote_id, current_user), {"quote_id": quote_id}
    subscription = subscriptions.subscription_of(quote)
    if subscription is None:
        abort(redirect(Access(quote, url_args, None, None).steps_url))
    contract = service.contract_of(subscription)
    signed = contract is not None and contract.signature_state in (SignatureState.SIGNE, SignatureState.MANUSCRITE)
    if link is not None and not signed:
        reason = subscriptions.closed_reason(link)
        if reason is not None:
            abort(_closed(*reason, status=410, firm=quote.firm))
    return Access(quote, url_args, subscription, contract, link)


def _requester() -> service.Requester:
    return service.Requester(ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""))


def _where(access: Access):
    """Where the signature stands: the page to show."""
    contract = access.contract
    if contract is None or contract.signature_state is not SignatureState.EN_COURS:
        if contract is not None and contract.signature_state is SignatureState.SIGNE:
            return redirect(access.url("signature.signed"))
        return redirect(access.url("signature.start"))
    if contract.accepted < len(service.DOCUMENT_TITLES):
        return redirect(access.url("signature.document", index=contract.accepted + 1))
    return redirect(access.url("signature.sign"))


def _running(**where) -> Access:
    access = _access(**where)
    if access.contract is not None:
        service.expire_if_idle(access.contract)
    if access.contract is None or access.contract.signature_state is not SignatureState.EN_COURS:
        abort(_where(access))
    if service.is_stale(access.contract):
        abort(redirect(access.url("signature.start")))
    return access


def _mobile(access: Access) -> str:
    """"06 •• •• •• 12": where the code goes."""
    return service.mask_phone(access.subscription.mobile) if access.subscription.mobile else ""


def _page(template: str, access: Access, status: int = 200, **context):
    product = get_catalog().product(access.quote.product_code)
    return render_template(template, access=access, args=access.url_args, quote=access.quote, firm=access.quote.firm,
                           contract=access.contract, product=product, titles=service.DOCUMENT_TITLES,
                           **context), status


@route("", methods=["GET"])
def start(**where):
    access = _access(**where)
    contract = access.contract
    if contract is not None:
        service.expire_if_idle(contract)
        if contract.signature_state is SignatureState.SIGNE:
            return redirect(access.url("signature.signed"))
        if (contract.signature_state is SignatureState.EN_COURS and contract.documents
                and not service.is_stale(contract)):
            return _where(access)
    electronic = access.subscription.status in (SubscriptionStatus.A_SIGNER, SubscriptionStatus.ECHEC)
    if access.subscription.status is SubscriptionStatus.MANUSCRITE or (
            contract is not None and contract.signature_state is SignatureState.MANUSCRITE and not electronic):
        return _page("signature/manual.html", access)
    if not electronic:
        return redirect(access.steps_url)
    stale = contract is not None and contract.signature_state is SignatureState.EN_COURS and bool(contract.documents)
    return _page("signature/start.html", access, waiting=service.refusal_to_sign(access.subscription, access.by_broker),
                 attempt=contract.attempt if contract else 0, mobile=_mobile(access),
                 notice=service.STALE if stale else None)


@route("", methods=["POST"])
@limiter.limit("10 per minute")
def begin(**where):
    access = _access(**where)
    try:
        attempt = int(request.form.get("tentative", "0")[:6])
    except ValueError:
        attempt = -1
    try:
        access.contract = service.begin(access.subscription, attempt, _requester(), access.actor,
                                        by_broker=access.by_broker)
    except service.SignatureError as refused:
        db.session.rollback()
        return _page("signature/start.html", access, 409, error=refused.message, waiting=None, mobile=_mobile(access),
                     attempt=access.contract.attempt if access.contract else 0)
    return _where(access)


@route("/envoyer-documents", methods=["POST"])
@limiter.limit("10 per minute")
def send_documents(**where):
    """A sale by telephone: the broker sends the documents; the client signs from its own link."""
    access = _access(**where)
    if not access.by_broker:
        abort(404)
    try:
        service.send_documents_to_sign(access.subscription, access.actor)
    except service.SignatureError as refused:
        db.session.rollback()
        return _page("signature/start.html", access, 409, error=refused.message, attempt=0, waiting=None,
                     mobile=_mobile(access))
    return redirect(access.url("signature.start"))


@route("/manuscrite", methods=["POST"])
@limiter.limit("10 per minute")
def by_hand(**where):
    access = _access(**where)
    try:
        access.contract = service.sign_by_hand(access.subscription, access.actor)
    except service.SignatureError as refused:
        db.session.rollback()
        return _page("signature/manual.html", access, 409, error=refused.message)
    return redirect(access.url("signature.start"))


@route("/document/<int:index>", methods=["GET"])
def document(index: int, **where):
    access = _running(**where)
    contract = access.contract
    if not 1 <= index <= len(service.DOCUMENT_TITLES) or index > contract.accepted + 1:
        return _where(access)
    service.document_shown(contract, index, _requester())
    return _page("signature/document.html", access, index=index, doc=contract.documents[index - 1],
                 accepted=index <= contract.accepted, consents=service.CONSENTS, errors={})


@route("/document/<int:index>/page/<int:number>.png", methods=["GET"])
def page_image(index: int, number: int, **where):
    access = _access(**where)
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


@route("/document/<int:index>", methods=["POST"])
@limiter.limit("30 per minute")
def accept(index: int, **where):
    access = _running(**where)
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


@route("/signer", methods=["GET"])
def sign(**where):
    access = _running(**where)
    if access.contract.accepted < len(service.DOCUMENT_TITLES):
        return _where(access)
    return _sign_page(access)


def _sign_page(access: Access, status: int = 200, **context):
    return _page("signature/sign.html", access, status, mobile=service.masked_mobile(access.contract),
                 conditions=service.CONDITIONS, errors=context.pop("errors", {}), **context)


@route("/signer", methods=["POST"])
@limiter.limit("20 per minute")
def sign_post(**where):
    access = _running(**where)
    contract = access.contract
    if contract.accepted < len(service.DOCUMENT_TITLES):
        return _where(access)
    conditions = [request.form.get(f"condition_{n}") == "oui" for n in (1, 2)]
    try:
        service.sign(contract, request.form.get("code", "")[:20], conditions, _requester())
    except service.SignatureError as refused:
        db.session.rollback()
        db.session.refresh(contract)
        if service.being_sealed(contract):
            return _page("signature/wait.html", access, 202)  # the other click is sealing right now
        if contract.signature_state is SignatureState.EN_COURS:
            return _sign_page(access, 422, error=refused.message, errors=refused.errors)
        if contract.signature_state is SignatureState.SIGNE:
            return redirect(access.url("signature.signed"))
        return redirect(access.url("signature.start"))
    db.session.refresh(contract)
    if contract.signature_state is SignatureState.EN_COURS:
        return _page("signature/wait.html", access, 202)  # the other click is sealing right now
    return _where(access)


@route("/renvoyer", methods=["POST"])
@limiter.limit("10 per minute")
def resend(**where):
    access = _running(**where)
    try:
        sent = service.resend(access.contract, _requester())
    except (service.SignatureError, CodeError) as refused:
        db.session.rollback()
        return _sign_page(access, 429, error=getattr(refused, "message", str(refused)))
    return _sign_page(access, notice=f"Un nouveau code vous a été envoyé au {sent.masked_phone}.")


@route("/refuser", methods=["POST"])
@limiter.limit("10 per minute")
def refuse(**where):
    access = _running(**where)
    try:
        service.refuse(access.contract, request.form.get("motif", ""), _requester())
    except service.SignatureError:
        db.session.rollback()
    return redirect(access.url("signature.start"))


@route("/signee", methods=["GET"])
def signed(**where):
    access = _access(**where)
    if access.contract is None or access.contract.signature_state is not SignatureState.SIGNE:
        return _where(access)
    files = [document["filename"] for document in access.contract.signed_documents] + [PROOF_FILENAME]
    return _page("signature/signed.html", access, files=files)


@route("/fichiers/<int:number>", methods=["GET"])
def signed_file(number: int, **where):
    """The signed documents (1 to 3) and the proof file (4), from the same link afterwards."""
    access = _access(**where)
    contract = access.contract
    if contract is None or contract.signature_state is not SignatureState.SIGNE:
        abort(404)
    files = [(d["filename"], d["key"]) for d in contract.signed_documents] + [(PROOF_FILENAME, contract.proof_key)]
    if not 1 <= number <= len(files):
        abort(404)
    name, key = files[number - 1]
    return send_file(BytesIO(storage.get(key)), mimetype="application/pdf", download_name=name)
