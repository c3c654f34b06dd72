"""The signature's tables: the one-time code, the contract ("demande d'adhésion") and the
steps of an electronic signature that its proof file lists."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import ClientAccount
from ..clock import now
from ..extensions import db
from ..journal.service import tracked
from ..quotes.models import Quote, status_column


class CodeStatus(str, enum.Enum):
    PENDING = "pending"     # sent, waiting for the signer
    VERIFIED = "verified"   # the right code was typed: used, never again
    BLOCKED = "blocked"     # every try used up, or the signature stopped


class SignatureCode(db.Model):
    """One challenge per subject (an opaque key such as "souscription:42"), replaced when a
    signature restarts. The code itself is never stored: only its HMAC."""
    __tablename__ = "signature_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)          # E.164
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)      # HMAC-SHA256, hex
    salt: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default=CodeStatus.PENDING.value, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resends: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignatureState(str, enum.Enum):
    """"Signature électronique" on the contract page."""
    EN_COURS = "en_cours"        # the electronic signature is under way
    SIGNE = "signe"
    MANUSCRITE = "manuscrite"    # signed on paper
    ECHEC = "echec"              # refused, too many wrong codes or abandoned; it can start again

    @property
    def label(self) -> str:
        return SIGNATURE_LABELS[self]


SIGNATURE_LABELS = {SignatureState.EN_COURS: "En cours", SignatureState.SIGNE: "Signé",
                    SignatureState.MANUSCRITE: "Manuscrite", SignatureState.ECHEC: "Échec"}

#: A failed electronic signature starts again (Échec → En cours) or turns into a paper one.
SIGNATURE_TRANSITIONS: dict[SignatureState, frozenset[SignatureState]] = {
    SignatureState.EN_COURS: frozenset({SignatureState.SIGNE, SignatureState.ECHEC, SignatureState.MANUSCRITE}),
    SignatureState.ECHEC: frozenset({SignatureState.EN_COURS, SignatureState.MANUSCRITE}),
    SignatureState.MANUSCRITE: frozenset({SignatureState.EN_COURS}),
    SignatureState.SIGNE: frozenset(),
}


class Progress(str, enum.Enum):
    """"Avancement": set once the contract is signed (electronically or on paper)."""
    EN_ATTENTE_PIECES = "en_attente_pieces"
    DOSSIER_TRANSMIS = "dossier_transmis"
    ADHESION_CREEE = "adhesion_creee"

    @property
    def label(self) -> str:
        return PROGRESS_LABELS[self]


PROGRESS_LABELS = {Progress.EN_ATTENTE_PIECES: "En attente de pièces", Progress.DOSSIER_TRANSMIS: "Dossier transmis",
                   Progress.ADHESION_CREEE: "Adhésion créée"}

PROGRESS_TRANSITIONS: dict[Progress, frozenset[Progress]] = {
    Progress.EN_ATTENTE_PIECES: frozenset({Progress.DOSSIER_TRANSMIS}),
    Progress.DOSSIER_TRANSMIS: frozenset({Progress.ADHESION_CREEE}),
    Progress.ADHESION_CREEE: frozenset(),
}


@tracked("contrat", PROGRESS_TRANSITIONS, field="progress")
@tracked("contrat", SIGNATURE_TRANSITIONS, field="signature_state")
class Contract(db.Model):
    """The "demande d'adhésion" of a subscription, created when its signature starts.

    The row exists from the first "Commencer la signature" (state "En cours", no Avancement
    yet), so that a pending signature shows as such and its number is taken in a short
    transaction of its own, before any PDF work. Signing sets "Signé" and "En attente de
    pièces"; a failure sets "Échec" and the same row starts again. Its files are StoredFile
    rows owned by ("contract", id): kinds "a_signer" (as shown), "signe" (sealed), "preuve",
    "papier" (sent for a signature by hand)."""
    __tablename__ = "contract"
    # The back-office's queue: the transmitted dossiers oldest first, for every firm, one firm
    # or one product (backoffice/queue.py).
    __table_args__ = (Index("ix_contract_firm_progress", "firm_id", "progress", "transmitted_at"),
                      Index("ix_contract_queue", "progress", "transmitted_at", "id"),
                      Index("ix_contract_queue_product", "progress", "product_code", "transmitted_at"),
                      Index("ix_contract_pieces_asked_at", "pieces_asked_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), unique=True, nullable=False)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id"), nullable=False, index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # The client space the contract shows in: the account of the address the adhesion e-mail
    # went to, set when the contract is signed (electronically or chosen on paper).
    client_account_id: Mapped[int | None] = mapped_column(ForeignKey("client_account.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(40), nullable=False)
    formula_code: Mapped[str] = mapped_column(String(10), nullable=False)
    signature_state: Mapped[SignatureState] = mapped_column(status_column(SignatureState, "signature_state"),
                                                            nullable=False, default=SignatureState.EN_COURS)
    progress: Mapped[Progress | None] = mapped_column(status_column(Progress, "progress"))
    periodicity: Mapped[str | None] = mapped_column(String(12))
    annual: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)  # "Cotisation totale TTC"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transmitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # "Dossier transmis"
    adhesion_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adhesion_created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # When the supporting documents were asked: the electronic signature, or the paper documents
    # sent for a signature by hand (whose signed_at waits for the signed BIA). The reminders
    # count their days from it; each reminder's time claims it once.
    pieces_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_7_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_14_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The electronic signature under way: its attempt (1, 2… after restarts), the documents
    # accepted so far, when its last step happened (30 minutes without one and it fails).
    attempt: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    documents: Mapped[list | None] = mapped_column(JSON)  # [{"title", "filename", "key", "pages"}], as shown
    data_fingerprint: Mapped[str | None] = mapped_column(String(64))  # of the data they print (service.is_stale)
    accepted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_step_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str | None] = mapped_column(Text)  # why the last attempt failed, as the pages say it
    # After sealing: [{"filename", "key"}] of the three documents, and the proof file.
    signed_documents: Mapped[list | None] = mapped_column(JSON)
    proof_key: Mapped[str | None] = mapped_column(String(64))

    quote: Mapped[Quote] = relationship()
    client_account: Mapped[ClientAccount | None] = relationship()

    @property
    def state_label(self) -> str:
        return self.signature_state.label

    @property
    def progress_label(self) -> str:
        return self.progress.label if self.progress else ""


class SignatureStep(db.Model):
    """One step of an electronic signature, with when, from where and with which browser: the
    proof file's events. Never the code."""
    __tablename__ = "signature_step"
    __table_args__ = (Index("ix_signature_step_contract", "contract_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    step: Mapped[str] = mapped_column(String(60), nullable=False)
    detail: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    ip: Mapped[str] = mapped_column(String(45), default="", nullable=False)
    user_agent: Mapped[str] = mapped_column(String(300), default="", nullable=False)
