"""The customer's link (finding it by its token, what state its quote is in, the birth-date
check that stands between a forwarded e-mail and the client's personal data) and the
subscription it opens: the four steps saved as they are typed, the documents to sign and
the choice of signature.

Every change of status goes through the journal; the actor is "client" from the link, or the
broker's User when it subscribes with its client at its side (its rows say so in `detail`).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..catalog.loader import get_catalog
from ..catalog.pricing import instalment, price
from ..journal.service import TransitionRefused, record, transition
from ..clock import as_utc, now, today
from ..extensions import db
from ..formatting import clock
from ..quotes.devis import quote_context, supporting_pieces
from ..quotes.links import is_revoked, number_subscribed
from ..quotes.models import Quote, QuoteStatus
from ..quotes.service import status_on
from ..quotes.service import transition as quote_transition
from ..quotes.wizard import family_of
from ..security import hash_token
from .. import validators
from . import steps
from .documents import (CoveredPerson, FirmIdentity, NeedAnswer, PriceItem, Subscriber, SubscriptionDocumentData,
                        mandate_reference, render_bulletin, render_fiche_conseil, render_mandate)
from .models import (SIGNATURE_ELECTRONIC, SIGNATURE_MANUAL, STEPS, CustomerLink, Subscription,
                     SubscriptionStatus)

MAX_WRONG_BIRTH_DATES = 5
LOCK_DURATION = timedelta(minutes=15)
TOKEN_MAX_LENGTH = 100


class LinkLocked(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def find_link(token: str) -> CustomerLink | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalar(select(CustomerLink).where(CustomerLink.token_hash == hash_token(token)))


def closed_reason(link: CustomerLink) -> tuple[str, str] | None:
    """(title, explanation) when the link no longer opens the quote, else None."""
    quote = link.quote
    firm = quote.firm
    call = f"Pour toute question, contactez votre conseiller {firm.name} au {firm.phone}."
    status = status_on(quote, today())
    if status is QuoteStatus.EXPIRE or as_utc(link.expires_at) < now():
        return ("Ce devis a expiré",
                f"La proposition n° {quote.number} était valable jusqu'au {quote.expires_on:%d/%m/%Y}. {call}")
    if status is QuoteStatus.DECLINE:
        return "Ce devis a été classé sans suite", f"Votre conseiller a clôturé cette proposition. {call}"
    if status is QuoteStatus.SOUSCRIT or number_subscribed(link):
        return "Ce devis a déjà été souscrit", f"L'adhésion a été signée. {call}"
    if is_revoked(link):
        return ("Ce lien a été remplacé",
                f"Un lien plus récent vers ce devis vous a été envoyé par e-mail : utilisez celui-ci. {call}")
    return None


def confirm_birth_date(link: CustomerLink, text: str) -> int:
    """0 when `text` is the main insured's birth date, else the wrong answers still allowed.
    The fifth wrong answer in a row locks the link for a while (LinkLocked says until when).
    Check, count and lock are one conditional UPDATE each, so answers posted at the same moment
    are all counted; the caller commits."""
    moment = now()
    try:
        answer = validators.parse_date(text or "")
    except ValueError:
        answer = None
    open_now = or_(CustomerLink.locked_until.is_(None), CustomerLink.locked_until <= moment)
    this_link = update(CustomerLink).where(CustomerLink.id == link.id, open_now)
    if answer is not None and answer == link.quote.birth_date:
        if db.session.execute(this_link.values(failed_attempts=0, locked_until=None, last_opened_at=moment)
                              .returning(CustomerLink.id)).first() is None:
            raise LinkLocked(_locked_message(link))
        return 0
    locks = CustomerLink.failed_attempts + 1 >= MAX_WRONG_BIRTH_DATES
    counted = db.session.execute(this_link.values(
        failed_attempts=case((locks, 0), else_=CustomerLink.failed_attempts + 1),
        locked_until=case((locks, moment + LOCK_DURATION), else_=None),  # an ended lock is cleared
    ).returning(CustomerLink.failed_attempts, CustomerLink.locked_until)).first()
    if counted is None:
        raise LinkLocked(_locked_message(link))
    if counted.locked_until is not None:  # this answer was the one that locked the link
        record(actor="client", object_type="devis", object_id=link.quote_id, action="Lien verrouillé", firm_id=link.quote.firm_id,
               detail=f"{MAX_WRONG_BIRTH_DATES} dates de naissance erronées")
        raise LinkLocked(_locked_message(link))
    return MAX_WRONG_BIRTH_DATES - counted.failed_attempts


def _locked_message(link: CustomerLink) -> str:
    """Read again: the lock may have been set by another request a moment ago."""
    locked_until = db.session.scalar(select(CustomerLink.locked_until).where(CustomerLink.id == link.id))
    return ("Trop de dates de naissance erronées : par sécurité, ce lien est bloqué. "
            f"Réessayez après {clock(locked_until)}.")


# ---------------------------------------------------------------------------------------
# The subscription

LAST_STEP = len(STEPS)
OPEN_QUOTE_STATUSES = (QuoteStatus.VALIDE, QuoteStatus.EN_ATTENTE)
EDITABLE = (SubscriptionStatus.EN_COURS, SubscriptionStatus.A_SIGNER, SubscriptionStatus.MANUSCRITE,
            SubscriptionStatus.ECHEC)
DOCUMENT_FILENAMES = {
    "fiche": "Fiche d'information précontractuelle.pdf",
    "bulletin": "Bulletin individuel d'adhésion.pdf",
    "mandat": "Mandat SEPA.pdf",
}
SIGNATURE_CHOICES = (SIGNATURE_ELECTRONIC, SIGNATURE_MANUAL)


class SubscriptionError(Exception):
    """An operation refused, with the French message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def subscription_of(quote: Quote) -> Subscription | None:
    return db.session.scalar(select(Subscription).where(Subscription.quote_id == quote.id))


def can_subscribe(quote: Quote) -> bool:
    """"Souscrire" is offered while the quote is "Validé" (or its subscription started) and in date,
    and its subscription, if any, is not signed or refused."""
    if status_on(quote, today()) not in OPEN_QUOTE_STATUSES:
        return False
    existing = subscription_of(quote)
    return existing is None or existing.status in EDITABLE


def subscription_for(quote: Quote, actor, *, telephone_sale: bool | None = None) -> Subscription:
    """The quote's subscription, created at the first call. A second tab or a double click that
    creates it at the same moment finds the first one's (the quote id is unique)."""
    if not can_subscribe(quote):
        raise SubscriptionError("Ce devis ne peut plus être souscrit : contactez votre conseiller.")
    existing = subscription_of(quote)
    if existing is None:
        existing = Subscription(quote_id=quote.id, firm_id=quote.firm_id, status=SubscriptionStatus.EN_COURS,
                                step=1, answers={}, mandate_reference=mandate_reference(quote.number, today()),
                                telephone_sale=bool(telephone_sale) and _is_broker(actor))
        try:
            with db.session.begin_nested():
                db.session.add(existing)
        except IntegrityError:
            existing = subscription_of(quote)
        else:
            record(actor=actor, object_type="souscription", object_id=existing.id, action="Souscription ouverte",
                   to_status=SubscriptionStatus.EN_COURS, firm_id=quote.firm_id, detail=_by_broker(actor, existing))
    if _is_broker(actor):
        existing.broker_id = actor.id
        if telephone_sale is not None:
            existing.telephone_sale = telephone_sale
    return existing


def _is_broker(actor) -> bool:
    return getattr(actor, "id", None) is not None and not isinstance(actor, str)


def _by_broker(actor, subscription: Subscription) -> str | None:
    """The mark of the rows a broker writes with its client at its side."""
    if not _is_broker(actor):
        return None
    return "Souscription avec le client" + (" (vente à distance par téléphone)" if subscription.telephone_sale else "")


def quoted(subscription: Subscription) -> steps.Quoted:
    quote = subscription.quote
    return steps.Quoted(birth_date=quote.birth_date, has_spouse=bool(quote.has_spouse),
                        spouse_birth_date=quote.spouse_birth_date, children=quote.children or 0,
                        tns_required=get_catalog().product(quote.product_code).tns_required, today=today())


def _stored(subscription: Subscription) -> steps.Stored:
    return steps.Stored(nir=subscription.nir, conjoint_nir=(subscription.spouse or {}).get("nir"),
                        iban=subscription.iban)


def save_step(subscription: Subscription, step: int, form, actor, *, final: bool = False) -> dict[str, str]:
    """Keep the step's answers as typed (invalid ones included) and store the valid values;
    returns the French message of each wrong field. `final` ("Suivant") also asks for the
    required fields and, without errors, opens the next step. The first save of step 1 puts the
    quote "En attente de validation". The caller commits."""
    if subscription.status not in EDITABLE:
        raise SubscriptionError("Votre adhésion est déjà signée : elle ne peut plus être modifiée.")
    the_quoted = quoted(subscription)
    raw = steps.raw_answers(step, the_quoted, form)
    previous = (subscription.answers or {}).get(str(step), {})
    for name in steps.SECRET_FIELDS:
        if name in raw and not raw[name].strip():
            # Left empty: the wrong value typed earlier if any (checked again), else the stored one.
            raw[name] = previous.get(name, "")
    checked = steps.check(step, raw, the_quoted, _stored(subscription), partial=not final)
    for name in steps.SECRET_FIELDS:
        if name in raw and name not in checked.errors:
            raw[name] = ""  # a valid secret lives in its encrypted column only, never among the answers
    subscription.answers = {**(subscription.answers or {}), str(step): raw}
    _store(subscription, step, checked.values)
    if final and not checked.errors and step < LAST_STEP:
        subscription.step = max(subscription.step, step + 1)
    if subscription.status is not SubscriptionStatus.EN_COURS:
        # What is signed must be what was typed: a change sends the signature back to the start.
        transition(subscription, SubscriptionStatus.EN_COURS, actor=actor, action="Souscription modifiée",
                   detail=_by_broker(actor, subscription))
        subscription.signature_choice = None
    if step == 1:
        _mark_quote_started(subscription, actor)
    return checked.errors


def _store(subscription: Subscription, step: int, values: dict) -> None:
    if step == 1:
        for column in ("civility", "last_name", "birth_name", "first_name", "nir", "mobile", "tns_declared",
                       "teletransmission", "prospecting_opt_out", "spouse", "children"):
            setattr(subscription, column, values[column])
        subscription.birth_date = subscription.quote.birth_date
    elif step == 2:
        if not values["acknowledged"]:
            subscription.documents_acknowledged_at = None
        elif subscription.documents_acknowledged_at is None:
            subscription.documents_acknowledged_at = now()
    elif step == 3:
        for column in ("account_holder", "iban", "bic", "periodicity", "debit_day"):
            setattr(subscription, column, values[column])


def _mark_quote_started(subscription: Subscription, actor) -> None:
    """Validé → "En attente de validation", once: the quote row is locked first, so two tabs
    saving at the same moment write one journal row."""
    if subscription.quote.status is not QuoteStatus.VALIDE:
        return  # already started (or beyond): no lock for every later save
    quote = db.session.scalars(select(Quote).where(Quote.id == subscription.quote_id).with_for_update()
                               .execution_options(populate_existing=True)).one()
    if quote.status is QuoteStatus.VALIDE:
        quote_transition(quote, QuoteStatus.EN_ATTENTE, actor, "Souscription commencée",
                         agenda=("souscription_commencee", "souscription commencée"))


def step_errors(subscription: Subscription, step: int, *, final: bool = False) -> dict[str, str]:
    """The messages of the step's stored answers, as they were typed."""
    raw = (subscription.answers or {}).get(str(step))
    if raw is None and not final:
        return {}
    return steps.check(step, raw or {}, quoted(subscription), _stored(subscription), partial=not final).errors


def first_incomplete_step(subscription: Subscription) -> int | None:
    for step in range(1, LAST_STEP):
        if step >= subscription.step or step_errors(subscription, step, final=True):
            return step
    return None


def is_complete(subscription: Subscription) -> bool:
    """Every step filled in and valid: the documents can be made and signed."""
    return first_incomplete_step(subscription) is None


def form_values(subscription: Subscription, step: int) -> dict[str, str]:
    """What each field of the step shows: the answers as typed, or the quote's details before the
    first save. A NIR or an IBAN never comes back: its field is empty (see kept_secrets)."""
    raw = (subscription.answers or {}).get(str(step))
    if raw is None and step == 1:
        quote = subscription.quote
        raw = {"civilite": quote.civility or "", "nom": quote.last_name or "", "nom_naissance": quote.birth_name or "",
               "prenom": quote.first_name or "", "mobile": validators.display_mobile(quote.mobile or "")}
    values = dict(raw or {})
    for name in steps.SECRET_FIELDS:
        values[name] = ""
    return values


def kept_secrets(subscription: Subscription, step: int) -> dict[str, str]:
    """Field → the value typed earlier, masked but for its last characters (valid or not)."""
    raw = (subscription.answers or {}).get(str(step)) or {}
    stored = _stored(subscription)
    kept = {}
    for name in steps.SECRET_FIELDS:
        value = raw.get(name) or getattr(stored, name)
        if value:
            kept[name] = validators.masked("".join(value.split()).upper())
    return kept


def instalments(subscription: Subscription) -> dict[str, object]:
    """"Modalité de paiement": the amount taken at each due date, per periodicity."""
    tariff = get_catalog().tariff
    return {periodicity: instalment(subscription.quote.monthly, periodicity.capitalize(), tariff)
            for periodicity in steps.PERIODICITIES}


def document_data(subscription: Subscription) -> SubscriptionDocumentData:
    """Everything the three documents print (the subscription must be complete)."""
    if not is_complete(subscription):
        raise SubscriptionError("Complétez d'abord chaque étape de votre adhésion.")
    quote = subscription.quote
    catalog = get_catalog()
    context = quote_context(quote, catalog, quote.broker)
    product, formula = context["product"], context["formula"]
    firm = quote.firm
    covered = []
    if subscription.spouse:
        spouse = subscription.spouse
        covered.append(CoveredPerson("Conjoint(e)", spouse["last_name"], spouse["first_name"],
                                     date.fromisoformat(spouse["birth_date"]), nir=spouse["nir"]))
    for child in subscription.children or ():
        covered.append(CoveredPerson("Enfant", child["last_name"], child["first_name"],
                                     date.fromisoformat(child["birth_date"])))
    priced = price(product, quote.formula_code, family_of(quote), quote.options or ())
    recommended = context["recommended"]
    return SubscriptionDocumentData(
        firm=FirmIdentity(name=firm.name, orias=firm.orias, address=firm.address, phone=firm.phone, email=firm.email),
        broker_name=quote.broker.display_name,
        subscriber=Subscriber(civility=subscription.civility, last_name=subscription.last_name,
                              first_name=subscription.first_name, birth_name=subscription.birth_name or None,
                              birth_date=quote.birth_date, nir=subscription.nir, address=quote.address or "",
                              postcode=quote.client_postcode or "", city=quote.client_city or "",
                              country=quote.country or "", mobile=subscription.mobile, email=quote.email or ""),
        covered=tuple(covered), regime=context["regime"], product_name=product.name, formula_name=formula.name,
        option_names=tuple(option.name for option in context["options"]),
        price_lines=tuple(PriceItem(line.label, line.amount) for line in priced.lines),
        monthly=quote.monthly,
        association_notice=product.association.notice if product.association else None,
        periodicity=subscription.periodicity.capitalize(), payment_day=subscription.debit_day,
        account_holder=subscription.account_holder, iban=subscription.iban, bic=subscription.bic or "",
        mandate_reference=subscription.mandate_reference, quote_number=quote.number, quote_version=quote.version,
        effect_date=quote.effect_date, made_on=today(),
        needs=tuple(NeedAnswer(need["label"], need["asked"], need["covered"], need["met"]) for need in context["needs"]),
        recommended=_choice_name(recommended, context["recommended_options"]) if recommended else None,
        chosen=_choice_name(formula, context["options"]),
        tns_declared=bool(subscription.tns_declared), teletransmission=bool(subscription.teletransmission),
        prospecting_opt_out=bool(subscription.prospecting_opt_out),
        pieces=tuple(piece.label for piece in supporting_pieces(quote, catalog, product)),
    )


def _choice_name(formula, options) -> str:
    return " + ".join([formula.name, *(option.name for option in options)])


def documents(subscription: Subscription) -> list[tuple[str, bytes]]:
    """The three documents to sign, (file name, PDF), in the order they are signed."""
    data = document_data(subscription)
    return [(DOCUMENT_FILENAMES["fiche"], render_fiche_conseil(data)),
            (DOCUMENT_FILENAMES["bulletin"], render_bulletin(data)),
            (DOCUMENT_FILENAMES["mandat"], render_mandate(data))]


def document(subscription: Subscription, kind: str) -> tuple[str, bytes]:
    """One of the three ("fiche", "bulletin", "mandat"); KeyError for another name."""
    render = {"fiche": render_fiche_conseil, "bulletin": render_bulletin, "mandat": render_mandate}[kind]
    return DOCUMENT_FILENAMES[kind], render(document_data(subscription))


def choose_signature(subscription: Subscription, choice: str, actor) -> None:
    """"Signature électronique" (→ a_signer) or "Signature manuscrite" (→ manuscrite), recorded
    with its journal row; choosing again the same is nothing new. The caller commits."""
    if choice not in SIGNATURE_CHOICES:
        raise SubscriptionError("Choisissez « Signature électronique » ou « Signature manuscrite ».")
    if not is_complete(subscription):
        raise SubscriptionError("Complétez d'abord chaque étape de votre adhésion.")
    if choice == SIGNATURE_ELECTRONIC and not subscription.mobile:
        raise SubscriptionError("La signature électronique demande votre téléphone portable (étape 1).")
    target = SubscriptionStatus.A_SIGNER if choice == SIGNATURE_ELECTRONIC else SubscriptionStatus.MANUSCRITE
    if subscription.status is target:
        return
    try:
        transition(subscription, target, actor=actor, detail=_by_broker(actor, subscription),
                   action="Signature électronique choisie" if choice == SIGNATURE_ELECTRONIC
                   else "Signature manuscrite choisie")
    except TransitionRefused as refused:
        raise SubscriptionError(f"Une souscription {refused.message}") from None
    subscription.signature_choice = choice
