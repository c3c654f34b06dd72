"""The supporting documents (pièces justificatives) of a contract and the files received for them."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..formatting import day
from ..journal.service import tracked
from ..quotes.models import status_column
from ..security import EncryptedText


class PieceStatus(str, enum.Enum):
    EN_ATTENTE = "en_attente"
    RECUE = "recue"
    VALIDEE = "validee"
    REFUSEE = "refusee"

    @property
    def label(self) -> str:
        return PIECE_LABELS[self]


PIECE_LABELS = {PieceStatus.EN_ATTENTE: "En attente", PieceStatus.RECUE: "Reçue", PieceStatus.VALIDEE: "Validée",
                PieceStatus.REFUSEE: "Refusée"}

#: A mandatory piece in one of these is still missing (a refused one waits for another file).
MISSING_STATUSES = (PieceStatus.EN_ATTENTE, PieceStatus.REFUSEE)

#: A file received makes a piece "Reçue" (again, after a refusal: the client sends another);
#: the back-office validates or refuses it, a refused piece waits for a new file.
PIECE_TRANSITIONS: dict[PieceStatus, frozenset[PieceStatus]] = {
    PieceStatus.EN_ATTENTE: frozenset({PieceStatus.RECUE}),
    PieceStatus.RECUE: frozenset({PieceStatus.VALIDEE, PieceStatus.REFUSEE}),
    PieceStatus.REFUSEE: frozenset({PieceStatus.EN_ATTENTE, PieceStatus.RECUE}),
    PieceStatus.VALIDEE: frozenset(),
}


@tracked("piece", PIECE_TRANSITIONS)
class Piece(db.Model):
    """One supporting document asked of a contract's client: from the catalog's list, the signed
    BIA and SEPA mandate of a signature by hand, or added by the broker."""
    __tablename__ = "piece"
    # The queue counts a page's pieces by contract and status.
    __table_args__ = (Index("ix_piece_contract", "contract_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), nullable=False)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False)  # the contract's: scoping
    code: Mapped[str] = mapped_column(String(40), nullable=False)  # catalog code, "bia_signe", "mandat_signe"
    label: Mapped[str] = mapped_column(String(400), nullable=False)
    mandatory: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[PieceStatus] = mapped_column(status_column(PieceStatus, "piece_status"), nullable=False,
                                                default=PieceStatus.EN_ATTENTE)
    requested_on: Mapped[date] = mapped_column(Date, nullable=False)  # "Demande"
    received_on: Mapped[date | None] = mapped_column(Date)  # "Réception": the last file received
    # The back-office's decisions: the last refusal is shown next to "En attente" until another
    # file comes. Its reason speaks of the client: encrypted at rest, and kept out of the journal.
    refusal_reason: Mapped[str | None] = mapped_column(EncryptedText)
    refused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refused_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    files: Mapped[list["PieceFile"]] = relationship(order_by="PieceFile.id", back_populates="piece")

    @property
    def status_text(self) -> str:
        """"Statut" as the pages show it: a piece refused and waiting for another file says
        when and why ("En attente — refusée le 20/11/2026 : illisible")."""
        if self.status is PieceStatus.EN_ATTENTE and self.refused_at is not None:
            return f"{self.status.label} — refusée le {day(self.refused_at)} : {self.refusal_reason}"
        return self.status.label


class PieceFile(db.Model):
    """One file received for a piece: its PDF is a StoredFile owned by ("piece", id), kind "piece"."""
    __tablename__ = "piece_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    piece_id: Mapped[int] = mapped_column(ForeignKey("piece.id"), nullable=False, index=True)
    storage_key: Mapped[str] = mapped_column(String(64), nullable=False)
    # As the sender named it ("CNI_Jean_Dupont.jpg"): personal, encrypted at rest.
    original_name: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(80), nullable=False)  # "user:12" or "client:7"
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    piece: Mapped[Piece] = relationship(back_populates="files")
