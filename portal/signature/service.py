"""The signature of a subscription: electronic (three documents read and accepted, an SMS
code, the portal's seal and a proof file) or by hand (the documents e-mailed to sign on paper).

The contract row is made when the signature starts ("En cours"), in a short transaction of
its own once the documents are rendered: its number never waits for a PDF. Each later step
is claimed by a conditional UPDATE on the contract (its state and its attempt), so a double
click, a second tab or the back button changes nothing twice; `sign` does everything the
right code implies in one transaction. A failure (refusal, 5 wrong codes, 30 minutes without
a step) leaves the contract "Échec" and the same link starts a new attempt while the quote
is open; a refusal is the client's answer: the quote is "Refusé" and stays so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..auth.client_links import CLIENT_LOGIN_PATH, client_account_for, password_link_while_none
from ..catalog.loader import get_catalog
from ..clock import as_utc, now, today
from ..documents.product_documents import product_document
from ..documents.render import PDF_CONTENT_TYPE
from ..extensions import db
from ..formatting import clock, day
from ..journal.service import AgendaNote, record, transition
from ..messaging.service import File, about, queue_email
from ..numbering import next_number
from ..quotes.devis import supporting_pieces
from ..quotes.links import new_link
from ..quotes.models import Quote, QuoteStatus
from ..quotes.service import LINK_PATH, agenda_note, status_on
from ..subscription import service as subscriptions
from ..subscription.models import Subscription, SubscriptionStatus
from ..validators import without_control
from .. import storage
from . import codes, proof
from .codes import mask_phone
from .models import CodeStatus, Contract, Progress, SignatureCode, SignatureState, SignatureStep
from .pages import page_count
from .seal import SealError, sealer_for

IDLE_LIMIT = timedelta(minutes=30)
# Restarts of one subscription's signature: each one sends a new code, so they are bounded.
MAX_ATTEMPTS = 10
TELEPHONE_SALE_DELAY = timedelta(hours=24)  # Code des assurances L112-2-2
DOCUMENT_TITLES = ("Fiche d'information précontractuelle", "Bulletin individuel d'adhésion", "Mandat SEPA")
CONSENTS = (
    "Je déclare avoir lu toutes les pages du document ci-dessus.",
    "Je déclare accepter les conditions de ce document.",
    "Je confirme mon choix de signer électroniquement ce document (et dans ce cadre accepte les conditions "
    "d'utilisation des services électroniques).",
)
CONDITIONS = (
    "J'accepte les conditions d'utilisation du service de signature électronique.",
    "J'ai pris connaissance de la politique de protection des données personnelles du service de signature.",
)
SEAL_REASON = "Signature électronique de la demande d'adhésion (code à usage unique par SMS)"
SIGNED_SUBJECT = "Mes Solutions Plus - Vos documents signés"
FAILED_TEXT = ("Votre signature électronique a échoué. Veuillez recommencer votre devis ou contacter votre "
               "interlocuteur habituel.")
REASON_MAX_LENGTH = 300
OPEN_QUOTE = (QuoteStatus.VALIDE, QuoteStatus.EN_ATTENTE, QuoteStatus.ACCEPTE)


class SignatureError(Exception):
    """A signature step refused, with the French message to show."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class Requester:
    """Where a step comes from, as the proof file records it."""
    ip: str
    user_agent: str

    def __post_init__(self):
        object.__setattr__(self, "ip", without_control(self.ip or "")[:45])
        object.__setattr__(self, "user_agent", without_control(self.user_agent or "")[:300])


def subject_of(subscription_id: int) -> str:
    return f"souscription:{subscription_id}"


def contract_of(subscription: Subscription) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.subscription_id == subscription.id)
                             .execution_options(populate_existing=True))


def _step(contract: Contract, requester: Requester, step: str, detail: str = "") -> None:
    db.session.add(SignatureStep(contract_id=contract.id, attempt=contract.attempt, at=now(), step=step,
                                 detail=detail[:300], ip=requester.ip, user_agent=requester.user_agent))


def contract_note(contract: Contract, kind: str, what: str) -> AgendaNote:
    """The agenda entry of a contract event: the quote's wording, the contract's domain."""
    note = agenda_note(contract.quote, kind, what)
    return AgendaNote(kind=note.kind, description=note.description, domain=f"Contrat n° {contract.number}",
                      effect_date=today(), person_id=note.person_id, quote_id=note.quote_id)


def _product(contract_or_quote):
    return get_catalog().product(contract_or_quote.product_code)


# ---------------------------------------------------------------------------------------
# Who may sign, and when


def signing_opens_at(subscription: Subscription) -> datetime | None:
    """A sale started by telephone: not before 24 h after the documents were sent."""
    if not subscription.telephone_sale or subscription.documents_sent_at is None:
        return None
    return as_utc(subscription.documents_sent_at) + TELEPHONE_SALE_DELAY


def refusal_to_sign(subscription: Subscription, by_broker: bool) -> str | None:
    """Why the electronic signature cannot start now, as the page says it; None when it can."""
    if subscription.telephone_sale:
        if by_broker:
            return ("Vente à distance par téléphone : le client signe lui-même, depuis le lien reçu par e-mail, "
                    "au plus tôt 24 heures après l'envoi des documents.")
        opens = signing_opens_at(subscription)
        if opens is None:
            return "Les documents de votre adhésion ne vous ont pas encore été envoyés : votre conseiller va vous les adresser."
        if now() < opens:
            return (f"Vous pourrez signer à partir du {day(opens)} à {clock(opens)} : la loi vous laisse 24 heures pour lire les "
                    "documents reçus avant de signer (Code des assurances, article L112-2-2).")
    return None


def send_documents_to_sign(subscription: Subscription, actor) -> datetime:
    """A sale started by telephone: the three documents e-mailed to the client with a new link
    (the earlier ones are replaced), from which it signs itself 24 hours later at the earliest.
    Once: a second click finds them sent. Returns when they were sent."""
    if not subscription.telephone_sale or subscription.status is not SubscriptionStatus.A_SIGNER:
        raise SignatureError("Choisissez d'abord « Signature électronique » pour une vente par téléphone.")
    _check_quote_open(subscription.quote)
    rendered = subscriptions.documents(subscription)
    moment = now()
    claimed = db.session.execute(update(Subscription).where(
        Subscription.id == subscription.id, Subscription.documents_sent_at.is_(None))
        .values(documents_sent_at=moment).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        db.session.refresh(subscription)
        return as_utc(subscription.documents_sent_at)
    quote = subscription.quote
    product = _product(quote)
    link = current_app.config["BASE_URL"] + LINK_PATH + new_link(quote)
    queue_email(to=quote.email, cc=quote.broker.email, subject=f"Mes Solutions Plus - Vos documents d'adhésion {product.name}",
                template="documents_to_sign",
                context={"quote": quote, "product": product, "firm": quote.firm, "link": link,
                         "opens_at": moment + TELEPHONE_SALE_DELAY},
                attachments=[File(filename, PDF_CONTENT_TYPE, pdf) for filename, pdf in rendered],
                about=about("quote", quote.id), firm_id=quote.firm_id)
    record(actor=actor, object_type="souscription", object_id=subscription.id, firm_id=subscription.firm_id,
           action="Documents à signer envoyés au client", detail="vente à distance par téléphone (L112-2-2)")
    db.session.commit()
    return moment


def _check_quote_open(quote: Quote) -> None:
    if status_on(quote, today()) not in OPEN_QUOTE:
        raise SignatureError("Ce devis ne peut plus être signé : contactez votre conseiller.")


# ---------------------------------------------------------------------------------------
# Electronic signature


def begin(subscription: Subscription, attempt_seen: int, requester: Requester, actor, *,
          by_broker: bool = False) -> Contract:
    """"Commencer la signature": the three documents rendered and kept as shown, the contract
    "En cours" (made now, or an earlier one started again). `attempt_seen` is the attempt the
    page showed: a second click, or a tab behind, finds the attempt started and changes nothing."""
    contract = contract_of(subscription)
    if contract is not None:
        expire_if_idle(contract)
        if contract.attempt != attempt_seen or contract.signature_state is SignatureState.SIGNE:
            return contract  # started meanwhile (double click, second tab) or already signed
    reason = refusal_to_sign(subscription, by_broker)
    if reason:
        raise SignatureError(reason)
    if contract is not None and contract.attempt >= MAX_ATTEMPTS:
        raise SignatureError(f"La signature a été commencée {MAX_ATTEMPTS} fois : par sécurité, elle ne peut plus "
                             "être recommencée en ligne. Contactez votre conseiller.")
    quote = subscription.quote
    _check_quote_open(quote)
    if subscription.status is SubscriptionStatus.ECHEC:
        transition(subscription, SubscriptionStatus.A_SIGNER, actor=actor, action="Signature recommencée")
    if subscription.status is not SubscriptionStatus.A_SIGNER:
        raise SignatureError("Choisissez d'abord « Signature électronique » à l'étape Confirmation.")
    fingerprint = data_fingerprint(subscription)
    rendered = subscriptions.documents(subscription)  # before any lock: the slow part
    if contract is None:
        contract, made = _new_contract(subscription, SignatureState.EN_COURS, actor)
        if not made:  # another click made it first
            db.session.rollback()
            return contract_of(subscription)
    else:
        claimed = db.session.execute(update(Contract).where(
            Contract.id == contract.id, Contract.attempt == attempt_seen,
            Contract.signature_state != SignatureState.SIGNE)
            .values(attempt=attempt_seen + 1).execution_options(synchronize_session=False)).rowcount
        if not claimed:
            db.session.rollback()
            return contract_of(subscription)
        db.session.refresh(contract)
        if contract.signature_state is not SignatureState.EN_COURS:
            transition(contract, SignatureState.EN_COURS, actor=actor, action="Signature électronique recommencée",
                       agenda=contract_note(contract, "signature_recommencee", "signature électronique recommencée"))
    _mark_quote_waiting(quote, actor)
    contract.documents = [
        {"title": title, "filename": filename, "pages": page_count(pdf),
         "key": storage.put(pdf, owner=("contract", contract.id), kind="a_signer", name=filename, created_by="client")}
        for title, (filename, pdf) in zip(DOCUMENT_TITLES, rendered)]
    contract.accepted, contract.failure, contract.last_step_at = 0, None, now()
    contract.data_fingerprint = fingerprint
    codes.cancel_code(subject_of(subscription.id))
    _step(contract, requester, "Signature commencée", f"tentative n° {contract.attempt}")
    db.session.commit()
    return contract


def _new_contract(subscription: Subscription, state: SignatureState, actor) -> tuple[Contract, bool]:
    """(the contract, whether this call made it), numbered from its own sequence; of two
    simultaneous first clicks, the loser's insert fails on the unique subscription."""
    quote = subscription.quote
    contract = Contract(number=next_number("contrat", _product(quote).number_prefix), subscription_id=subscription.id,
                        quote_id=quote.id, firm_id=quote.firm_id, person_id=quote.person_id,
                        product_code=quote.product_code, formula_code=quote.formula_code, signature_state=state,
                        periodicity=subscription.periodicity, annual=quote.annual, attempt=1, accepted=0,
                        last_step_at=now())
    try:
        with db.session.begin_nested():
            db.session.add(contract)
    except IntegrityError:
        return contract_of(subscription), False
    record(actor=actor, object_type="contrat", object_id=contract.id, action="Demande d'adhésion créée",
           to_status=state, firm_id=contract.firm_id, detail=f"devis n° {quote.reference}")
    return contract, True


def _mark_quote_waiting(quote: Quote, actor) -> None:
    locked = db.session.scalars(select(Quote).where(Quote.id == quote.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if locked.status is QuoteStatus.VALIDE:
        transition(locked, QuoteStatus.EN_ATTENTE, actor=actor, action="Signature électronique commencée")


def document_shown(contract: Contract, index: int, requester: Requester) -> None:
    _step(contract, requester, "Document affiché", contract.documents[index - 1]["title"])
    db.session.commit()


def accept_document(contract: Contract, index: int, key: str, consents: list[bool], requester: Requester):
    """"ACCEPTER LE DOCUMENT" n° `index` (1 to 3) with its three consents; the third one sends
    the SMS code. Accepting again a document already accepted changes nothing."""
    _check_running(contract)
    if index <= contract.accepted:
        return
    if index != contract.accepted + 1 or contract.documents[index - 1]["key"] != key:
        raise SignatureError("Ce document a changé depuis son affichage : relisez-le avant de l'accepter.")
    missing = {f"consentement_{n}": "Cochez cette case pour accepter le document."
               for n, ticked in enumerate(consents, start=1) if not ticked}
    if missing:
        raise SignatureError("Cochez les trois cases pour accepter le document.", missing)
    claimed = db.session.execute(update(Contract).where(
        Contract.id == contract.id, Contract.attempt == contract.attempt, Contract.accepted == index - 1,
        Contract.signature_state == SignatureState.EN_COURS)
        .values(accepted=index, last_step_at=now()).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return
    title = contract.documents[index - 1]["title"]
    for consent in CONSENTS:
        _step(contract, requester, "Consentement coché", f"{title} : {consent}")
    _step(contract, requester, "Document accepté", title)
    if index == len(DOCUMENT_TITLES):
        subscription = db.session.get(Subscription, contract.subscription_id)
        sent = codes.send_code(subject_of(subscription.id), subscription.mobile)  # commits
        _step(contract, requester, "Code envoyé", f"par SMS au {sent.masked_phone}")
    db.session.commit()


def masked_mobile(contract: Contract) -> str:
    return mask_phone(db.session.get(Subscription, contract.subscription_id).mobile)


def resend(contract: Contract, requester: Requester) -> codes.CodeSent:
    _check_running(contract)
    sent = codes.resend_code(subject_of(contract.subscription_id))
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(last_step_at=now())
                       .execution_options(synchronize_session=False))
    _step(contract, requester, "Code renvoyé", f"par SMS au {sent.masked_phone}")
    db.session.commit()
    return sent


def _check_running(contract: Contract) -> None:
    if expire_if_idle(contract):
        raise SignatureError(contract.failure)
    if contract.signature_state is not SignatureState.EN_COURS:
        raise SignatureError("Cette signature n'est plus en cours.")
    if is_stale(contract):
        raise SignatureError(STALE)


STALE = ("Vos informations ont changé depuis le début de la signature : recommencez-la pour signer les documents "
         "à jour.")


def data_fingerprint(subscription: Subscription) -> str:
    """What the documents print, hashed: the documents shown must still say what the
    subscription says when they are signed."""
    try:
        data = subscriptions.document_data(subscription)
    except subscriptions.SubscriptionError as incomplete:
        raise SignatureError(incomplete.message) from None
    return proof.sha256(repr(data).encode())


def is_stale(contract: Contract) -> bool:
    """The subscription was changed (a step saved again) after the documents were made."""
    subscription = db.session.get(Subscription, contract.subscription_id)
    if subscription.status is not SubscriptionStatus.A_SIGNER:
        return True
    try:
        return data_fingerprint(subscription) != contract.data_fingerprint
    except SignatureError:
        return True


def sign(contract: Contract, code: str, conditions: list[bool], requester: Requester) -> None:
    """"Signer": the conditions ticked and the right code (one try taken per call, even in
    parallel), then everything the signature makes, in one transaction (`_complete`)."""
    _check_running(contract)
    if contract.accepted < len(DOCUMENT_TITLES):
        raise SignatureError("Acceptez d'abord chacun des trois documents.")
    errors = {f"condition_{n}": "Cochez cette case pour signer." for n, ticked in enumerate(conditions, start=1)
              if not ticked}
    if errors:
        raise SignatureError("Cochez les deux cases pour signer.", errors)
    subject = subject_of(contract.subscription_id)
    try:
        codes.verify_code(subject, code or "")
    except codes.TooManyAttempts as blocked:
        _step(contract, requester, "Code erroné", "5e code erroné : signature bloquée")
        fail(contract, "Vous avez saisi 5 codes erronés.", requester, refused=False)
        raise SignatureError(str(blocked)) from None
    except codes.WrongCode as wrong:
        _step(contract, requester, "Code erroné", f"il reste {wrong.remaining} essai(s)")
        db.session.commit()
        raise SignatureError(str(wrong), {"code": str(wrong)}) from None
    except codes.CodeError as refused:
        db.session.rollback()
        raise SignatureError(str(refused), {"code": str(refused)}) from None
    _step(contract, requester, "Code vérifié", "code à usage unique saisi et vérifié")
    try:
        _complete(contract, requester)
    except SealError as error:
        # Nothing of the signature stays; the code is spent, so a new one goes out.
        db.session.rollback()
        codes.cancel_code(subject)
        codes.send_code(subject, db.session.get(Subscription, contract.subscription_id).mobile)
        raise SignatureError(f"{error} Un nouveau code vous a été envoyé.") from None


def being_sealed(contract: Contract) -> bool:
    """The right code was taken and the signature is not done yet: another click is sealing."""
    status = db.session.scalar(select(SignatureCode.status).where(
        SignatureCode.subject == subject_of(contract.subscription_id)))
    return contract.signature_state is SignatureState.EN_COURS and status == CodeStatus.VERIFIED.value


def _complete(contract: Contract, requester: Requester) -> None:
    """The right code: seal, proof, statuses, e-mails, client account, agenda — one transaction."""
    claimed = db.session.execute(update(Contract).where(
        Contract.id == contract.id, Contract.attempt == contract.attempt,
        Contract.signature_state == SignatureState.EN_COURS)
        .values(last_step_at=now()).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return
    db.session.refresh(contract)
    subscription = db.session.get(Subscription, contract.subscription_id)
    quote = contract.quote
    product = _product(contract)
    signer = proof.Signer(name=f"{subscription.first_name} {subscription.last_name.upper()}",
                          masked_phone=mask_phone(subscription.mobile), email=quote.email or "")
    sealer = sealer_for(current_app.config)
    signed, files = [], []
    for document in contract.documents:
        before = storage.get(document["key"])
        after = sealer.seal(before, signer.name, SEAL_REASON)
        signed.append(proof.SignedDocument(document["filename"], before, after))
        files.append({"filename": document["filename"],
                      "key": storage.put(after, owner=("contract", contract.id), kind="signe",
                                         name=document["filename"], created_by="client")})
    _step(contract, requester, "Signature", "documents scellés par le certificat de l'assureur")
    db.session.flush()
    steps = db.session.scalars(select(SignatureStep).where(
        SignatureStep.contract_id == contract.id, SignatureStep.attempt == contract.attempt)
        .order_by(SignatureStep.at, SignatureStep.id)).all()
    events = [proof.Event(step=s.step, at=as_utc(s.at), ip=s.ip, user_agent=s.user_agent, detail=s.detail)
              for s in steps]
    proof_pdf = proof.build_proof(f"Contrat n° {contract.number}", signer, signed, events, sealer)
    contract.proof_key = storage.put(proof_pdf, owner=("contract", contract.id), kind="preuve",
                                     name=proof.PROOF_FILENAME, created_by="client")
    contract.signed_documents = files
    contract.signed_at = now()
    transition(contract, SignatureState.SIGNE, actor="client", action="Signature électronique",
               agenda=contract_note(contract, "contrat_signe", "Demande d'adhésion au contrat signée électroniquement"))
    _progress_starts(contract, "client")
    transition(subscription, SubscriptionStatus.SIGNEE, actor="client", action="Adhésion signée électroniquement")
    _subscribe_quote(quote, "client")
    attachments = [File(s.name, PDF_CONTENT_TYPE, s.after) for s in signed]
    attachments.append(File(proof.PROOF_FILENAME, PDF_CONTENT_TYPE, proof_pdf))
    context = _mail_context(contract, quote, product)
    queue_email(to=quote.email, cc=quote.broker.email, subject=SIGNED_SUBJECT, template="signed_documents",
                context=context, attachments=attachments, about=about("contract", contract.id), firm_id=contract.firm_id)
    queue_email(to=quote.email, cc=quote.broker.email, subject=adhesion_subject(product, quote),
                template="adhesion", context={**context, "manual": False, "password_link": _client_space(contract, quote)},
                about=about("contract", contract.id), firm_id=contract.firm_id)
    db.session.commit()


def _client_space(contract: Contract, quote: Quote) -> str | None:
    """The contract joins the client space of the address the adhesion e-mail goes to (the
    account is made on its first contract); the link to create its password while it has none."""
    account = client_account_for(quote.email, quote.person_id)
    contract.client_account_id = account.id
    return password_link_while_none(account)


def _progress_starts(contract: Contract, actor, agenda: AgendaNote | None = None) -> None:
    """The signed contract gets its first "Avancement" (it had none while being signed); its
    pieces are asked from now on, the reminders count from here."""
    contract.progress = Progress.EN_ATTENTE_PIECES
    contract.pieces_asked_at = now()
    record(actor=actor, object_type="contrat", object_id=contract.id, action="Avancement",
           to_status=Progress.EN_ATTENTE_PIECES, firm_id=contract.firm_id, agenda=agenda)


def adhesion_subject(product, quote: Quote) -> str:
    return f"Votre adhésion au contrat {product.name} proposé par {quote.firm.name}"


def _mail_context(contract: Contract, quote: Quote, product) -> dict:
    pieces = [piece.label for piece in supporting_pieces(quote, get_catalog(), product)]
    return {"contract": contract, "quote": quote, "product": product, "firm": quote.firm,
            "formula": product.formula(quote.formula_code), "pieces": pieces,
            "client_login_link": current_app.config["BASE_URL"] + CLIENT_LOGIN_PATH}


def _subscribe_quote(quote: Quote, actor) -> None:
    """The quote "Souscrit"; its number's other open versions are closed ("Décliné")."""
    locked = db.session.scalars(select(Quote).where(Quote.number == quote.number, Quote.version.is_not(None))
                                .order_by(Quote.id).with_for_update().execution_options(populate_existing=True)).all()
    for version in locked:
        if version.id == quote.id:
            transition(version, QuoteStatus.SOUSCRIT, actor=actor, action="Devis souscrit")
        elif version.status in (QuoteStatus.VALIDE, QuoteStatus.EN_ATTENTE, QuoteStatus.PROPOSE,
                                QuoteStatus.ACCEPTE, QuoteStatus.REFUSE):
            transition(version, QuoteStatus.DECLINE, actor=actor,
                       action=f"Version close : la version {quote.version} est souscrite")


# ---------------------------------------------------------------------------------------
# Failure


def refuse(contract: Contract, reason: str, requester: Requester) -> None:
    """"Refuser de signer", with an optional reason."""
    _check_running(contract)
    reason = " ".join(without_control(reason or "").split())[:REASON_MAX_LENGTH]
    _step(contract, requester, "Signature refusée", reason)
    fail(contract, "Vous avez refusé de signer." + (f" Motif : {reason}" if reason else ""), requester, refused=True)


def expire_if_idle(contract: Contract) -> bool:
    """30 minutes without a step: the signature fails. True when it did now."""
    if (contract.signature_state is SignatureState.EN_COURS and contract.last_step_at is not None
            and now() - as_utc(contract.last_step_at) > IDLE_LIMIT):
        return fail(contract, "La signature n'a pas été terminée dans les 30 minutes.", None, refused=False)
    return False


def expire_abandoned() -> int:
    """Fail every electronic signature left 30 minutes without a step (`flask portal signatures`)."""
    idle = db.session.scalars(select(Contract).where(Contract.signature_state == SignatureState.EN_COURS,
                                                     Contract.last_step_at < now() - IDLE_LIMIT)).all()
    return sum(1 for contract in idle if expire_if_idle(contract))


def fail(contract: Contract, why: str, requester: Requester | None, *, refused: bool) -> bool:
    """The contract "Échec", the quote "Refusé" (refusal) or back to "Validé", the failure
    e-mail and the agenda entry — once, whoever calls first. True when this call did it."""
    claimed = db.session.execute(update(Contract).where(
        Contract.id == contract.id, Contract.attempt == contract.attempt,
        Contract.signature_state == SignatureState.EN_COURS)
        .values(failure=why, last_step_at=now()).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return False
    db.session.refresh(contract)
    actor = "client" if requester else "système"
    transition(contract, SignatureState.ECHEC, actor=actor, action="Échec de la signature électronique", detail=why,
               agenda=contract_note(contract, "signature_refusee" if refused else "signature_echec",
                            "signature électronique refusée" if refused else "échec de la signature électronique"))
    subscription = db.session.get(Subscription, contract.subscription_id)
    if subscription.status is SubscriptionStatus.A_SIGNER:
        transition(subscription, SubscriptionStatus.ECHEC, actor=actor, action="Échec de la signature électronique")
    quote = db.session.scalars(select(Quote).where(Quote.id == contract.quote_id).with_for_update()
                               .execution_options(populate_existing=True)).one()
    if quote.status is QuoteStatus.EN_ATTENTE:
        transition(quote, QuoteStatus.REFUSE if refused else QuoteStatus.VALIDE, actor=actor,
                   action="Signature refusée par le client" if refused else "Échec de la signature électronique")
    codes.cancel_code(subject_of(contract.subscription_id))
    product = _product(contract)
    queue_email(to=quote.email, cc=quote.broker.email, subject=f"{product.name} - : Echec de signature électronique",
                template="signature_failed", context={**_mail_context(contract, quote, product), "text": FAILED_TEXT},
                about=about("contract", contract.id), firm_id=contract.firm_id)
    db.session.commit()
    return True


# ---------------------------------------------------------------------------------------
# Signature by hand


PAPER_DOCUMENTS = ("Bulletin Individuel d'adhésion.pdf", "Mandat SEPA.pdf")


def sign_by_hand(subscription: Subscription, actor) -> Contract:
    """"Signature manuscrite": the contract "Manuscrite", "En attente de pièces", the quote
    "Accepté", the e-mail with the documents to print, sign and return. Once."""
    quote = subscription.quote
    if subscription.status is not SubscriptionStatus.MANUSCRITE:
        raise SignatureError("Choisissez d'abord « Signature manuscrite » à l'étape Confirmation.")
    contract = contract_of(subscription)
    if contract is not None and contract.signature_state is SignatureState.MANUSCRITE:
        return contract
    _check_quote_open(quote)
    rendered = subscriptions.documents(subscription)
    if contract is None:
        contract, made = _new_contract(subscription, SignatureState.MANUSCRITE, actor)
        if not made:
            db.session.rollback()
            return contract_of(subscription)
    else:
        claimed = db.session.execute(update(Contract).where(
            Contract.id == contract.id, Contract.signature_state.in_([SignatureState.EN_COURS, SignatureState.ECHEC]))
            .values(last_step_at=now()).execution_options(synchronize_session=False)).rowcount
        if not claimed:
            db.session.rollback()
            return contract_of(subscription)
        db.session.refresh(contract)
        transition(contract, SignatureState.MANUSCRITE, actor=actor, action="Signature manuscrite choisie")
        codes.cancel_code(subject_of(subscription.id))
    product = _product(quote)
    bulletin, mandate = rendered[1][1], rendered[2][1]
    for name, pdf in zip(PAPER_DOCUMENTS, (bulletin, mandate)):
        storage.put(pdf, owner=("contract", contract.id), kind="papier", name=name, created_by="client")
    _progress_starts(contract, actor, contract_note(contract, "signature_manuscrite",
                                            "signature manuscrite choisie, documents envoyés au client"))
    locked = db.session.scalars(select(Quote).where(Quote.id == quote.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if locked.status is QuoteStatus.VALIDE:
        transition(locked, QuoteStatus.EN_ATTENTE, actor=actor, action="Souscription commencée")
    if locked.status is QuoteStatus.EN_ATTENTE:
        transition(locked, QuoteStatus.ACCEPTE, actor=actor, action="Signature manuscrite choisie")
    attachments = [File(PAPER_DOCUMENTS[0], PDF_CONTENT_TYPE, bulletin), File(PAPER_DOCUMENTS[1], PDF_CONTENT_TYPE, mandate)]
    for kind, name in (("regles_generales", "Règles générales.pdf"), ("ipid", None), ("exemples", None)):
        file = product_document(product, kind, quote.formula_code)
        attachments.append(File(name or file.filename, file.content_type, file.content))
    queue_email(to=quote.email, cc=quote.broker.email, subject=adhesion_subject(product, quote), template="adhesion",
                context={**_mail_context(contract, quote, product), "manual": True,
                         "password_link": _client_space(contract, quote)},
                attachments=attachments, about=about("contract", contract.id), firm_id=contract.firm_id)
    db.session.commit()
    return contract


def signed_bulletin_received(contract: Contract, actor) -> None:
    """The signed BIA of a signature by hand has arrived (an uploaded piece): the quote
    "Souscrit", its other versions closed, the subscription signed. The caller commits; a
    second BIA changes nothing."""
    claimed = db.session.execute(update(Contract).where(
        Contract.id == contract.id, Contract.signature_state == SignatureState.MANUSCRITE,
        Contract.signed_at.is_(None)).values(signed_at=now()).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return
    db.session.refresh(contract)
    subscription = db.session.get(Subscription, contract.subscription_id)
    if subscription.status is SubscriptionStatus.MANUSCRITE:
        transition(subscription, SubscriptionStatus.SIGNEE, actor=actor, action="Bulletin signé reçu")
    _subscribe_quote(contract.quote, actor)
    record(actor=actor, object_type="contrat", object_id=contract.id, action="Bulletin individuel d'adhésion signé reçu",
           firm_id=contract.firm_id,
           agenda=contract_note(contract, "bulletin_signe_recu", "bulletin individuel d'adhésion signé reçu"))
