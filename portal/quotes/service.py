"""Quote operations: drafts, new versions, issuing by e-mail or on paper, statuses.

Every change of status goes through `transition`, which has the journal check the TRANSITIONS
table and write the journal row with the agenda entry the change implies. "Valider et envoyer"
commits the issued version with a job in the same transaction (a quote is issued entirely or
not at all); the worker then lays out DEVIS.pdf and queues the e-mail, so the broker does not
wait for WeasyPrint. Opening DEVIS.pdf before the worker is done lays it out on the spot.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..catalog import eligibility
from ..catalog.loader import get_catalog
from ..catalog.pricing import price
from ..catalog.geo import communes_for
from ..clock import now, today
from ..documents.product_documents import quote_attachments
from ..documents.render import PDF_CONTENT_TYPE
from ..extensions import db
from ..formatting import folded
from ..journal.service import AgendaNote, TransitionRefused, record
from ..journal.service import transition as journal_transition
from ..messaging.jobs import handler, enqueue, latest_job
from ..messaging.models import JobStatus
from ..messaging.service import File, about, queue_email
from ..numbering import next_number
from .. import storage
from .devis import render_bia, render_devis
from .links import new_link
from .models import EXPIRING, Person, Quote, QuoteStatus  # noqa: F401  EXPIRING: read here by older callers
from .wizard import family_of, require_screen

DEVIS_FILENAME = "DEVIS.pdf"
SEND_QUOTE_JOB = "quote.send"  # DEVIS.pdf, then the quote e-mail with its six attachments
BIA_FILENAME = "Bulletin individuel d'adhésion.pdf"
LINK_PATH = "/souscription/"
COPIED_FIELDS = (
    "product_code", "person_id", "needs", "effect_date", "regime", "postcode", "commune_code", "city", "birth_date",
    "has_spouse", "spouse_birth_date", "has_children", "children", "formula_code", "options", "civility", "last_name",
    "birth_name", "first_name", "address", "address2", "client_postcode", "client_city", "country", "mobile", "email",
    "without_email",
)


class QuoteError(Exception):
    """A quote operation refused, with the French message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyIssued(QuoteError):
    """The draft was issued meanwhile (double click, second tab): nothing more to do."""


# ---------------------------------------------------------------------------------------
# Statuses


def transition(quote: Quote, to: QuoteStatus, actor, action: str, agenda: tuple[str, str] | None = None) -> None:
    """`quote` becomes `to` through the journal; `agenda` = (kind, what) adds its agenda entry."""
    try:
        journal_transition(quote, to, actor=actor, action=action,
                           agenda=agenda_note(quote, *agenda) if agenda else None)
    except TransitionRefused as refused:
        raise QuoteError(f"Un devis {refused.message}") from None


def agenda_note(quote: Quote, kind: str, what: str) -> AgendaNote:
    """"Pour le client : M. DUPONT Jean, dossier SMAT ACTIVE TNS, SMAT ACTIVE TNS 300, <what>."""
    product = get_catalog().product(quote.product_code)
    parts = [f"Pour le client : {quote.client_name}", f"dossier {product.name}"]
    if quote.formula_code:
        parts.append(product.formula(quote.formula_code).name)
    return AgendaNote(kind=kind, description=", ".join(parts) + f", {what.rstrip('.')}.",
                      domain=f"Devis n° {quote.reference}", effect_date=quote.effect_date,
                      person_id=quote.person_id, quote_id=quote.id)


def status_on(quote: Quote, day: date) -> QuoteStatus:
    """The status every page shows: an open quote past its "Expire le" is "Expiré" even before
    the nightly command writes it (Quote.is_past_expiry, the same rule in SQL)."""
    return quote.status_on(day)


def document_filename(quote: Quote) -> str:
    """DEVIS.pdf, or the BIA for a quote issued on paper (whatever its status since)."""
    return BIA_FILENAME if quote.without_email else DEVIS_FILENAME


# ---------------------------------------------------------------------------------------
# Drafts


def start_draft(broker, product_code: str, creation_key: str | None) -> Quote:
    """A new "Incomplet" quote. The same `creation_key` (the page's hidden field) gives the same
    draft back, so a double click on the first "Suivant" does not create two."""
    get_catalog().product(product_code)  # KeyError for an unknown product
    existing = _draft_of_key(creation_key)
    if existing is None:
        quote = Quote(firm_id=broker.firm_id, broker_id=broker.id, product_code=product_code,
                      status=QuoteStatus.INCOMPLET, creation_key=creation_key, step=0)
        existing = _insert_draft(quote, creation_key)
        if existing is None:
            record(actor=broker, object_type="devis", object_id=quote.id, action="Devis commencé",
                   to_status=QuoteStatus.INCOMPLET, firm_id=quote.firm_id)
            return quote
    if existing.broker_id != broker.id:
        raise QuoteError("Ce formulaire n'est plus valable : recommencez le devis.")
    return existing


def _draft_of_key(creation_key: str | None) -> Quote | None:
    if not creation_key:
        return None
    return db.session.scalar(select(Quote).where(Quote.creation_key == creation_key))


def _insert_draft(quote: Quote, creation_key: str | None) -> Quote | None:
    """Inserts `quote`; None when done. When a simultaneous click inserted the same creation key
    first (its INSERT won the unique index), that click's draft is returned instead."""
    try:
        with db.session.begin_nested():
            db.session.add(quote)
    except IntegrityError:
        existing = _draft_of_key(creation_key)
        if existing is None:
            raise
        return existing
    return None


def new_version_draft(source: Quote, broker, action: str, creation_key: str | None = None) -> Quote:
    """"Dupliquer" or "Modifier": a draft prefilled with `source`, carrying its number. The same
    `creation_key` (the button's hidden field) gives the same draft back on a double click."""
    if source.status is QuoteStatus.INCOMPLET:
        return source
    existing = _draft_of_key(creation_key)
    if existing is None:
        draft = Quote(firm_id=source.firm_id, broker_id=broker.id, number=source.number, source_id=source.id,
                      status=QuoteStatus.INCOMPLET, step=1, creation_key=creation_key)
        for name in COPIED_FIELDS:
            value = getattr(source, name)
            setattr(draft, name, list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value)
        existing = _insert_draft(draft, creation_key)
        if existing is None:
            record(actor=broker, object_type="devis", object_id=draft.id, action=action, to_status=QuoteStatus.INCOMPLET,
                   detail=f"nouvelle version du devis n° {source.reference}", firm_id=draft.firm_id)
            return draft
    if existing.broker_id != broker.id or existing.source_id != source.id:
        raise QuoteError("Ce formulaire n'est plus valable : recommencez.")
    return existing


# ---------------------------------------------------------------------------------------
# Issuing


def issue_quote(quote: Quote, broker) -> Quote:
    """"Valider et envoyer le devis au client": number, version, DEVIS.pdf, e-mail, event."""
    return _issue(quote, broker, QuoteStatus.VALIDE)


def propose_on_paper(quote: Quote, broker) -> Quote:
    """Client without e-mail: the prefilled "Bulletin individuel d'adhésion" to print; "Proposé"."""
    return _issue(quote, broker, QuoteStatus.PROPOSE)


def _issue(quote: Quote, broker, status: QuoteStatus) -> Quote:
    require_screen(quote, "recapitulatif")
    if status is QuoteStatus.VALIDE and (quote.without_email or not quote.email):
        raise QuoteError("Le client n'a pas d'adresse e-mail : imprimez le bulletin d'adhésion.")
    if status is QuoteStatus.PROPOSE and not quote.without_email:
        raise QuoteError("Le client a une adresse e-mail : envoyez-lui le devis.")
    catalog = get_catalog()
    product = catalog.product(quote.product_code)
    family = family_of(quote)
    day = today()
    problems = eligibility.check(product, family, day, catalog)
    if problems:
        raise QuoteError(" ".join(f"{p.reason} {p.advice}" for p in problems) + " Modifiez l'étape « Vos besoins ».")

    # Claim the draft: of two simultaneous clicks, only one changes a row; the other stops here.
    claimed = db.session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.status == QuoteStatus.INCOMPLET)
        .values(status=status, updated_at=now()).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AlreadyIssued("Ce devis a déjà été émis.")
    if quote.number is None:
        quote.number = next_number("devis", product.number_prefix)
        quote.version = 1
    else:
        # Versions of a number are issued one at a time: locking the issued ones makes a
        # concurrent issuer of the same number wait, then count this version too.
        db.session.execute(select(Quote.id).where(Quote.number == quote.number, Quote.version.is_not(None))
                           .with_for_update()).all()
        quote.version = (db.session.scalar(select(func.max(Quote.version)).where(Quote.number == quote.number)) or 0) + 1
    priced = price(product, quote.formula_code, family, quote.options or ())
    quote.monthly, quote.annual = priced.monthly, priced.annual
    quote.catalog_version = catalog.version
    quote.issued_at = now()
    quote.issued_on = day
    quote.expires_on = day + timedelta(days=catalog.quote_validity_days)
    quote.creation_key = None
    quote.pending_inputs = None
    quote.person = _person_for(quote)
    db.session.flush()
    if status is QuoteStatus.VALIDE:
        quote.last_sent_at = now()
        transition(quote, status, broker, "Devis envoyé au client",
                   agenda=("devis_envoye", "devis envoyé au client par e-mail"))
    else:
        transition(quote, status, broker, "Bulletin d'adhésion papier édité",
                   agenda=("devis_propose", "bulletin d'adhésion papier remis au client"))

    if status is QuoteStatus.VALIDE:
        enqueue(SEND_QUOTE_JOB, about=about("quote", quote.id), quote_id=quote.id, issuer_id=broker.id)
    else:
        # The broker prints the bulletin now: it is laid out in the request.
        try:
            quote.pdf_key = storage.put(render_bia(quote, catalog, broker), owner=("quote", quote.id), kind="bia",
                                        name=BIA_FILENAME, created_by=f"user:{broker.id}")
        except OSError:
            # The file could not be written: nothing of this issue stays (number, status, journal).
            db.session.rollback()
            raise QuoteError("Le document n'a pas pu être enregistré : le devis n'a pas été émis. "
                             "Réessayez dans un instant.")
    db.session.commit()
    return quote


@handler(SEND_QUOTE_JOB)
def send_issued_quote(quote_id: int, issuer_id: int) -> None:
    """The work of "Valider et envoyer", done by the worker: DEVIS.pdf, then the e-mail."""
    quote, issuer = db.session.get(Quote, quote_id), db.session.get(User, issuer_id)
    product = get_catalog().product(quote.product_code)
    _send_quote_email(quote, product, issuer, _devis(quote, issuer))


def is_preparing(quote: Quote) -> bool:
    """True while the worker has not yet laid out DEVIS.pdf and queued the e-mail."""
    job = latest_job(SEND_QUOTE_JOB, about("quote", quote.id))
    return job is not None and job.status is JobStatus.PENDING


def quote_document(quote: Quote) -> bytes:
    """DEVIS.pdf or the BIA. Opened before the worker laid DEVIS.pdf out, it is laid out here,
    once: the worker then finds it stored. LookupError when the quote has no document."""
    pdf = _document(quote)
    db.session.commit()
    return pdf


def _document(quote: Quote) -> bytes:
    if quote.pdf_key:
        return storage.get(quote.pdf_key)
    job = latest_job(SEND_QUOTE_JOB, about("quote", quote.id))
    if job is None:
        raise LookupError(f"quote {quote.id} has no document")
    return _devis(quote, db.session.get(User, job.payload["issuer_id"]))


def _devis(quote: Quote, issuer) -> bytes:
    """The quote's DEVIS.pdf, laid out and stored if it is not yet (the caller commits).

    The layout is deterministic and storage content-addressed, so the worker and a viewer give
    the same key; the conditional UPDATE of `pdf_key` (a row lock on PostgreSQL) lets one of
    them store it, and the other reads what was stored."""
    if quote.pdf_key:
        return storage.get(quote.pdf_key)
    pdf = render_devis(quote, get_catalog(), issuer)
    key = hashlib.sha256(pdf).hexdigest()
    claimed = db.session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.pdf_key.is_(None)).values(pdf_key=key)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(quote, ["pdf_key"])
    if claimed != 1:
        return storage.get(quote.pdf_key)
    storage.put(pdf, owner=("quote", quote.id), kind="devis", name=DEVIS_FILENAME, created_by=f"user:{issuer.id}")
    return pdf


def _send_quote_email(quote: Quote, product, broker, pdf: bytes) -> None:
    """The quote e-mail of SPEC §9, with a new customer link, the client in To, the broker in Cc."""
    token = new_link(quote)
    queue_email(
        to=quote.email, cc=broker.email,
        subject=f"Votre devis {product.name} proposé par {quote.firm.name}",
        template="quote_sent",
        context={"quote": quote, "product": product, "formula": product.formula(quote.formula_code),
                 "firm": quote.firm, "link": current_app.config["BASE_URL"] + LINK_PATH + token},
        attachments=[File(DEVIS_FILENAME, PDF_CONTENT_TYPE, pdf), *quote_attachments(product, quote.formula_code)],
        about=about("quote", quote.id), firm_id=quote.firm_id,
    )


def _person_for(quote: Quote) -> Person:
    """The portfolio's client: the one of the quote's number, else a match on name, birth date
    and e-mail in the firm, else a new one; updated with the details as quoted."""
    person = quote.person
    if person is None:
        # The e-mail is encrypted (no SQL equality): compared among the namesakes born that day,
        # reading (and decrypting) their e-mail only, not every column of each.
        namesakes = db.session.execute(select(Person.id, Person.email).where(
            Person.firm_id == quote.firm_id, Person.birth_date == quote.birth_date,
            Person.search_name == search_name(quote.last_name, quote.first_name)).order_by(Person.id))
        same = next((person_id for person_id, email in namesakes if email == (quote.email or "")), None)
        person = db.session.get(Person, same) if same is not None else None
    if person is None:
        person = Person(firm_id=quote.firm_id)
        db.session.add(person)
    person.civility, person.last_name, person.birth_name = quote.civility, quote.last_name, quote.birth_name or ""
    person.first_name, person.birth_date = quote.first_name, quote.birth_date
    person.search_name = search_name(quote.last_name, quote.first_name)
    person.address, person.address2 = quote.address, quote.address2 or ""
    person.postcode, person.city, person.country = quote.client_postcode, quote.client_city, quote.country
    person.mobile, person.email = quote.mobile or "", quote.email or ""
    return person


def search_name(last_name: str, first_name: str) -> str:
    """"Dupönt", "Jean" → "DUPONT JEAN": what the portfolio's accent-insensitive prefix search matches."""
    return folded(f"{last_name} {first_name}").upper()


# ---------------------------------------------------------------------------------------
# Acte de gestion


RESEND_PAUSE = timedelta(seconds=60)


def decline_quote(quote: Quote, broker) -> None:
    """"Classer sans suite": the quote is "Décliné" and its link closes."""
    if status_on(quote, today()) is QuoteStatus.EXPIRE:
        raise QuoteError("Ce devis a expiré : il n'y a plus rien à classer.")
    transition(quote, QuoteStatus.DECLINE, broker, "Classer sans suite",
               agenda=("devis_decline", "devis classé sans suite"))
    db.session.commit()


def resend_quote(quote: Quote, broker) -> None:
    """"Renvoyer le devis au client": the same DEVIS.pdf and documents, with a new link that
    replaces the earlier ones. One sending a minute: the send is claimed by a conditional UPDATE
    of `last_sent_at`, so of simultaneous clicks one sends and the others are told to wait."""
    status = status_on(quote, today())
    if status is not QuoteStatus.VALIDE:
        raise QuoteError(f"Seul un devis « Validé » peut être renvoyé ; celui-ci est « {status.label} ».")
    moment = now()
    claimed = db.session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.status == QuoteStatus.VALIDE,
                            or_(Quote.last_sent_at.is_(None), Quote.last_sent_at <= moment - RESEND_PAUSE))
        .values(last_sent_at=moment).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise QuoteError("Le devis vient d'être envoyé au client : attendez une minute avant de le renvoyer.")
    if is_preparing(quote):
        # Its first e-mail is still to leave, with a link that would replace this one.
        db.session.rollback()
        raise QuoteError("Le devis est en préparation : il part dans un instant, inutile de le renvoyer.")
    product = get_catalog().product(quote.product_code)
    _send_quote_email(quote, product, broker, _document(quote))
    record(actor=broker, object_type="devis", object_id=quote.id, action="Devis renvoyé au client",
           firm_id=quote.firm_id, agenda=agenda_note(quote, "devis_renvoye", "devis renvoyé au client par e-mail"))
    db.session.commit()


def draft_for_person(person: Person, broker, product_code: str, creation_key: str | None) -> Quote:
    """"Nouveau devis" from a client's synthesis: a new number, the profile prefilled."""
    quote = start_draft(broker, product_code, creation_key)
    if quote.person_id is None:
        quote.person_id = person.id
        quote.civility, quote.last_name, quote.birth_name = person.civility, person.last_name, person.birth_name
        quote.first_name, quote.address, quote.address2 = person.first_name, person.address, person.address2
        quote.client_postcode, quote.client_city, quote.country = person.postcode, person.city, person.country
        quote.mobile, quote.email, quote.without_email = person.mobile, person.email, not person.email
        town = next((c.insee_code for c in communes_for(person.postcode) if c.name == person.city), "")
        quote.pending_inputs = {"besoins": {"date_naissance": person.birth_date.isoformat(),
                                            "code_postal": person.postcode, "ville": town}}
    return quote


CREATION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_creation_key() -> str:
    return secrets.token_urlsafe(24)


def creation_key_of(value: str | None) -> str | None:
    """The form's creation key if it is one this portal made; anything else is no key at all."""
    return value if value and CREATION_KEY.fullmatch(value) else None
