"""Quotes (one row per version) and the people they are for.

A quote row is first a draft ("Incomplet") filled screen by screen; issuing gives it its
number and version and freezes it. "Dupliquer" / "Modifier" start a new draft that carries
the number of the quote it came from and becomes version + 1 when issued; earlier versions
are never changed. The client's details are kept on each version as quoted; the Person row
(the portfolio's client) is created or updated from them when a version is issued.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, Numeric, String,
                        UniqueConstraint, and_, or_)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Firm, User
from ..clock import now
from ..extensions import db
from ..journal.service import tracked
from ..security import EncryptedText


class QuoteStatus(str, enum.Enum):
    INCOMPLET = "incomplet"
    PROPOSE = "propose"
    VALIDE = "valide"
    EN_ATTENTE = "en_attente"
    ACCEPTE = "accepte"
    SOUSCRIT = "souscrit"
    REFUSE = "refuse"
    DECLINE = "decline"
    EXPIRE = "expire"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


#: "Etat" as the screens write it.
STATUS_LABELS = {
    QuoteStatus.INCOMPLET: "Incomplet",
    QuoteStatus.PROPOSE: "Proposé",
    QuoteStatus.VALIDE: "Validé",
    QuoteStatus.EN_ATTENTE: "En attente de validation",
    QuoteStatus.ACCEPTE: "Accepté",
    QuoteStatus.SOUSCRIT: "Souscrit",
    QuoteStatus.REFUSE: "Refusé",
    QuoteStatus.DECLINE: "Décliné",
    QuoteStatus.EXPIRE: "Expiré",
}

#: Every allowed change of status; anything else is refused by journal.service.transition().
#: The broker half reaches Incomplet, Validé, Proposé, Décliné and Expiré. "En attente de
#: validation", "Accepté", "Souscrit" and "Refusé" are the subscription's: the customer signs
#: (Validé → En attente de validation, or Proposé → Accepté for the paper form), the back-office
#: accepts or refuses, and the contract makes the quote "Souscrit". They stay in the table so
#: that the statuses already stored keep their meaning when the subscription arrives.
TRANSITIONS: dict[QuoteStatus, frozenset[QuoteStatus]] = {
    QuoteStatus.INCOMPLET: frozenset({QuoteStatus.VALIDE, QuoteStatus.PROPOSE}),
    QuoteStatus.PROPOSE: frozenset({QuoteStatus.ACCEPTE, QuoteStatus.SOUSCRIT, QuoteStatus.DECLINE, QuoteStatus.EXPIRE}),
    QuoteStatus.VALIDE: frozenset({QuoteStatus.EN_ATTENTE, QuoteStatus.DECLINE, QuoteStatus.EXPIRE}),
    QuoteStatus.EN_ATTENTE: frozenset({QuoteStatus.ACCEPTE, QuoteStatus.SOUSCRIT, QuoteStatus.REFUSE, QuoteStatus.VALIDE,
                                       QuoteStatus.DECLINE, QuoteStatus.EXPIRE}),
    QuoteStatus.ACCEPTE: frozenset({QuoteStatus.SOUSCRIT, QuoteStatus.DECLINE, QuoteStatus.EXPIRE}),
    QuoteStatus.SOUSCRIT: frozenset(),
    QuoteStatus.REFUSE: frozenset({QuoteStatus.DECLINE}),
    QuoteStatus.DECLINE: frozenset(),
    QuoteStatus.EXPIRE: frozenset(),
}


#: Statuses that lapse on the day after "Expire le".
EXPIRING = frozenset({QuoteStatus.PROPOSE, QuoteStatus.VALIDE, QuoteStatus.EN_ATTENTE, QuoteStatus.ACCEPTE})


def status_column(enum_class, name):
    """A status stored as its code in a VARCHAR with a CHECK constraint (not a native enum, which
    PostgreSQL makes awkward to extend)."""
    return Enum(enum_class, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda e: [m.value for m in e])


class Person(db.Model):
    """A prospect or client of a firm (the portfolio's "Nom / raison sociale").

    Contact details and birth name are encrypted at rest (EncryptedText); names and birth date
    stay in clear: the portfolio searches the name, the customer link checks the birth date."""
    __tablename__ = "person"
    __table_args__ = (Index("ix_person_firm_search", "firm_id", "search_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False)
    civility: Mapped[str] = mapped_column(String(10), nullable=False)
    last_name: Mapped[str] = mapped_column(String(80), nullable=False)
    birth_name: Mapped[str] = mapped_column(EncryptedText, default="", nullable=False)
    first_name: Mapped[str] = mapped_column(String(80), nullable=False)
    # Upper-case, accents removed, "NOM PRENOM": what the portfolio search matches a prefix on,
    # with a range condition. Byte order ("C") on PostgreSQL, so that the range is exactly the
    # prefix whatever the database's locale, and the index serves it.
    search_name: Mapped[str] = mapped_column(String(170).with_variant(String(170, collation="C"), "postgresql"),
                                             nullable=False)
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    address: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    address2: Mapped[str] = mapped_column(EncryptedText, default="", nullable=False)
    postcode: Mapped[str] = mapped_column(String(5), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    country: Mapped[str] = mapped_column(String(60), nullable=False)
    mobile: Mapped[str] = mapped_column(EncryptedText, default="", nullable=False)
    email: Mapped[str] = mapped_column(EncryptedText, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now, nullable=False)

    firm: Mapped[Firm] = relationship()


@tracked("devis", TRANSITIONS)
class Quote(db.Model):
    __tablename__ = "quote"
    __table_args__ = (UniqueConstraint("number", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False, index=True)
    broker_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(40), nullable=False)
    # The number is set on a new draft of an existing quote (Dupliquer, Modifier) and at the
    # first issue otherwise; the version only at issue.
    number: Mapped[str | None] = mapped_column(String(20), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[QuoteStatus] = mapped_column(status_column(QuoteStatus, "status"), nullable=False,
                                                default=QuoteStatus.INCOMPLET)
    # Random key of the page that created the draft: a double click on the first "Suivant"
    # finds the draft the first click made instead of making a second one.
    creation_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("quote.id"))
    step: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # furthest wizard screen reached
    # Raw answers of a screen left with "Précédent" before it was complete: shown again on return.
    pending_inputs: Mapped[dict | None] = mapped_column(JSON)

    # Vos besoins
    needs: Mapped[dict | None] = mapped_column(JSON)  # need axis code → level 1..4
    effect_date: Mapped[date | None] = mapped_column(Date)
    regime: Mapped[str | None] = mapped_column(String(30))
    postcode: Mapped[str | None] = mapped_column(String(5))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    has_spouse: Mapped[bool | None] = mapped_column(Boolean)
    spouse_birth_date: Mapped[date | None] = mapped_column(Date)
    has_children: Mapped[bool | None] = mapped_column(Boolean)
    children: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    # Vos solutions
    formula_code: Mapped[str | None] = mapped_column(String(10))
    options: Mapped[list | None] = mapped_column(JSON)
    recommended_formula_code: Mapped[str | None] = mapped_column(String(10))
    recommended_options: Mapped[list | None] = mapped_column(JSON)
    monthly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    annual: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    # Vos coordonnées, as quoted
    civility: Mapped[str | None] = mapped_column(String(10))
    last_name: Mapped[str | None] = mapped_column(String(80))
    birth_name: Mapped[str | None] = mapped_column(EncryptedText)
    first_name: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(EncryptedText)
    address2: Mapped[str | None] = mapped_column(EncryptedText)
    client_postcode: Mapped[str | None] = mapped_column(String(5))
    client_city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(60))
    mobile: Mapped[str | None] = mapped_column(EncryptedText)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    without_email: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    catalog_version: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now, nullable=False)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_on: Mapped[date | None] = mapped_column(Date)  # "Créé le" of an issued version
    expires_on: Mapped[date | None] = mapped_column(Date)  # "Expire le"
    pdf_key: Mapped[str | None] = mapped_column(String(64))  # DEVIS.pdf, or the BIA when issued on paper
    # When the quote e-mail last went to the client: "Renvoyer" claims it atomically, once a minute.
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    firm: Mapped[Firm] = relationship()
    broker: Mapped[User] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def reference(self) -> str:
        """"RIS-0000000034/1" once issued."""
        return f"{self.number}/{self.version}" if self.number and self.version else (self.number or "")

    @property
    def is_draft(self) -> bool:
        return self.status is QuoteStatus.INCOMPLET

    @hybrid_method
    def is_past_expiry(self, day: date) -> bool:
        """Open ("Validé", "Proposé"…) and past its "Expire le" on `day`: it shows "Expiré" even
        before the nightly command writes it. The same rule in Python and, below, in SQL."""
        return self.status in EXPIRING and self.expires_on is not None and day > self.expires_on

    @is_past_expiry.expression
    def is_past_expiry(cls, day: date):
        return and_(cls.status.in_(EXPIRING), cls.expires_on.is_not(None), cls.expires_on < day)

    @hybrid_method
    def is_expired_on(self, day: date) -> bool:
        """Shows "Expiré" on `day`: written so, or past its date."""
        return self.status is QuoteStatus.EXPIRE or self.is_past_expiry(day)

    @is_expired_on.expression
    def is_expired_on(cls, day: date):
        return or_(cls.status == QuoteStatus.EXPIRE, cls.is_past_expiry(day))

    @property
    def validity_days(self) -> int | None:
        """The catalog's quote_validity_days when this version was issued."""
        return (self.expires_on - self.issued_on).days if self.expires_on and self.issued_on else None

    def status_on(self, day: date) -> QuoteStatus:
        """The status every page shows on `day`."""
        return QuoteStatus.EXPIRE if self.is_past_expiry(day) else self.status

    @property
    def client_name(self) -> str:
        """"M. DUPONT Jean", as the agenda and the e-mails name the client."""
        title = {"Madame": "Mme", "Monsieur": "M."}.get(self.civility or "", "")
        return " ".join(part for part in (title, (self.last_name or "").upper(), self.first_name or "") if part)
