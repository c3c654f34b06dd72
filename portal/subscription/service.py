"""The customer's link: finding it by its token, what state its quote is in, and the
birth-date check that stands between a forwarded e-mail and the client's personal data."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, or_, select, update

from ..journal.service import record
from ..clock import as_utc, now, today
from ..extensions import db
from ..formatting import clock
from ..quotes.links import is_revoked, number_subscribed
from ..quotes.models import QuoteStatus
from ..quotes.service import status_on
from ..security import hash_token
from .. import validators
from .models import CustomerLink

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
