"""Customer links: a random token per e-mailed link, only its SHA-256 stored, with an expiry.

A link belongs to one quote version. Sending the quote again (Renvoyer) replaces the links of
that version: the earlier ones are revoked. Once one version of a number is subscribed, the
links of every version of that number close (checked when a link is opened).
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import PARIS, now
from ..extensions import db
from ..security import new_token
from .models import Quote, QuoteStatus


class CustomerLink(db.Model):
    __tablename__ = "customer_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Birth-date confirmation: wrong answers in a row, and the lock they lead to.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    last_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # replaced by a newer link

    quote: Mapped[Quote] = relationship()


def new_link(quote: Quote) -> str:
    """A new link to `quote`, valid until the end of its "Expire le" (Paris); the version's
    earlier links are revoked. Returns the token, which only the e-mail keeps."""
    moment = now()
    db.session.execute(update(CustomerLink).where(CustomerLink.quote_id == quote.id, CustomerLink.revoked_at.is_(None))
                       .values(revoked_at=moment).execution_options(synchronize_session=False))
    token, token_hash = new_token()
    end_of_validity = datetime.combine(quote.expires_on, time(23, 59, 59), tzinfo=PARIS)
    db.session.add(CustomerLink(quote_id=quote.id, token_hash=token_hash, expires_at=end_of_validity,
                                created_at=moment))
    return token


def is_revoked(link: CustomerLink) -> bool:
    return link.revoked_at is not None


def number_subscribed(link: CustomerLink) -> bool:
    """True when a version of the link's quote number is "Souscrit" (this one or another)."""
    # A plain SELECT … LIMIT 1: its compiled form is cached, unlike an EXISTS over a fresh alias.
    return db.session.scalar(select(Quote.id).where(
        Quote.number == link.quote.number, Quote.status == QuoteStatus.SOUSCRIT).limit(1)) is not None
