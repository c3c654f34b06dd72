"""A subscription: what the customer (or its broker, at its side) types in the four steps of
SPEC §6 from the quote e-mail's link, kept as it is typed, then the signature chosen.

One subscription per quote version (`quote_id` unique). Personal data at rest is encrypted
(EncryptedText); the raw answers of each step, invalid ones included, are kept in `answers`
so that nothing typed is lost. The signature pages read this model:

- `status`: SubscriptionStatus, changed only through journal.service.transition() with the
  TRANSITIONS table below (journal type "souscription").
- `signature_choice`: None, SIGNATURE_ELECTRONIC ("electronique") or SIGNATURE_MANUAL ("manuscrite"),
  recorded by service.choose_signature(), which also moves the status to a_signer / manuscrite.
- `mobile`: E.164 ("+33612345678"), checked as a French mobile: where the signature code goes.
- service.documents(subscription) gives the three PDFs to sign, service.document_data() their data.
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import now
from ..extensions import db
from ..journal.service import tracked
from ..quotes.links import CustomerLink  # noqa: F401  (kept importable here: the link opens the subscription)
from ..quotes.models import Quote, status_column
from ..security import EncryptedText


class SubscriptionStatus(str, enum.Enum):
    EN_COURS = "en_cours"        # the steps are being filled
    A_SIGNER = "a_signer"        # electronic signature chosen, in progress
    SIGNEE = "signee"            # signed electronically
    MANUSCRITE = "manuscrite"    # signature on paper chosen
    ECHEC = "echec"              # the electronic signature failed; it can start again
    REFUSEE = "refusee"          # the back-office refused the application

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    SubscriptionStatus.EN_COURS: "En cours",
    SubscriptionStatus.A_SIGNER: "À signer",
    SubscriptionStatus.SIGNEE: "Signée",
    SubscriptionStatus.MANUSCRITE: "Signature manuscrite",
    SubscriptionStatus.ECHEC: "Échec de signature",
    SubscriptionStatus.REFUSEE: "Refusée",
}

#: A choice of signature can be changed until the signature is done (back to en_cours when the
#: customer goes back to a step); a failed signature starts again.
TRANSITIONS: dict[SubscriptionStatus, frozenset[SubscriptionStatus]] = {
    SubscriptionStatus.EN_COURS: frozenset({SubscriptionStatus.A_SIGNER, SubscriptionStatus.MANUSCRITE}),
    SubscriptionStatus.A_SIGNER: frozenset({SubscriptionStatus.SIGNEE, SubscriptionStatus.ECHEC,
                                            SubscriptionStatus.EN_COURS, SubscriptionStatus.MANUSCRITE}),
    SubscriptionStatus.MANUSCRITE: frozenset({SubscriptionStatus.EN_COURS, SubscriptionStatus.A_SIGNER,
                                              SubscriptionStatus.SIGNEE, SubscriptionStatus.REFUSEE}),
    SubscriptionStatus.ECHEC: frozenset({SubscriptionStatus.A_SIGNER, SubscriptionStatus.EN_COURS,
                                         SubscriptionStatus.MANUSCRITE}),
    SubscriptionStatus.SIGNEE: frozenset({SubscriptionStatus.REFUSEE}),
    SubscriptionStatus.REFUSEE: frozenset(),
}

SIGNATURE_ELECTRONIC = "electronique"
SIGNATURE_MANUAL = "manuscrite"
PERIODICITIES = ("mensuel", "trimestriel", "semestriel", "annuel")
STEPS = ("Données personnelles", "Informations contractuelles", "Informations de paiement", "Confirmation")


class EncryptedJSON(EncryptedText):
    """JSON (a dict or a list) stored encrypted: answers and the family hold personal data. An
    EncryptedText, so that a key rotation (security.reencrypt_all) rewrites it too."""
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else super().process_bind_param(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")), dialect)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(super().process_result_value(value, dialect))


@tracked("souscription", TRANSITIONS)
class Subscription(db.Model):
    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id"), unique=True, nullable=False)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False, index=True)
    status: Mapped[SubscriptionStatus] = mapped_column(status_column(SubscriptionStatus, "status"),
                                                       nullable=False, default=SubscriptionStatus.EN_COURS)
    step: Mapped[int] = mapped_column(Integer, default=1, nullable=False)  # furthest step reached, 1..4
    # Step number (as text) → field name → the value as typed, valid or not (bounded per field).
    answers: Mapped[dict | None] = mapped_column(EncryptedJSON)

    # Step 1 "Données personnelles", as validated
    civility: Mapped[str | None] = mapped_column(String(10))
    last_name: Mapped[str | None] = mapped_column(String(80))
    birth_name: Mapped[str | None] = mapped_column(EncryptedText)
    first_name: Mapped[str | None] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    nir: Mapped[str | None] = mapped_column(EncryptedText)
    mobile: Mapped[str | None] = mapped_column(EncryptedText)  # E.164
    tns_declared: Mapped[bool | None] = mapped_column(Boolean)
    teletransmission: Mapped[bool | None] = mapped_column(Boolean)
    prospecting_opt_out: Mapped[bool | None] = mapped_column(Boolean)
    # {"first_name", "last_name", "birth_date" (ISO), "nir"}
    spouse: Mapped[dict | None] = mapped_column(EncryptedJSON)
    # [{"first_name", "last_name", "birth_date" (ISO)}, …]
    children: Mapped[list | None] = mapped_column(EncryptedJSON)

    # Step 2 "Informations contractuelles"
    documents_acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Step 3 "Informations de paiement"
    account_holder: Mapped[str | None] = mapped_column(EncryptedText)
    iban: Mapped[str | None] = mapped_column(EncryptedText)
    bic: Mapped[str | None] = mapped_column(EncryptedText)
    periodicity: Mapped[str | None] = mapped_column(String(12))  # one of PERIODICITIES
    debit_day: Mapped[int | None] = mapped_column(Integer)  # 5, 10 or 15
    mandate_reference: Mapped[str | None] = mapped_column(String(35), unique=True)

    # Step 4 "Confirmation"
    signature_choice: Mapped[str | None] = mapped_column(String(12))
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # "Souscrire avec le client"
    telephone_sale: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    documents_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now, nullable=False)

    quote: Mapped[Quote] = relationship()
    broker: Mapped[User | None] = relationship()
