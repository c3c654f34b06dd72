"""How far the pieces of some contracts are, counted in the database: the back-office's queue
shows the counts, the contracts export the counts and the types of the missing ones."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..extensions import db
from .models import MISSING_STATUSES, Piece, PieceStatus


@dataclass(frozen=True)
class PieceCounts:
    received: int = 0  # "Reçue": a file to examine
    validated: int = 0
    missing: int = 0   # mandatory, "En attente" or "Refusée" (refused and not sent again)
    missing_types: tuple[str, ...] = ()  # their labels, in the order asked, when asked for


def piece_counts(contract_ids: list[int], *, missing_types: bool = False) -> dict[int, PieceCounts]:
    """contract id → its pieces' counts, for the contracts of `contract_ids` that have pieces
    (one grouped query; with `missing_types`, one more for the missing ones' labels)."""
    if not contract_ids:
        return {}
    missing = Piece.mandatory.is_(True) & Piece.status.in_(MISSING_STATUSES)
    stmt = (select(Piece.contract_id,
                   func.sum(case((Piece.status == PieceStatus.RECUE, 1), else_=0)),
                   func.sum(case((Piece.status == PieceStatus.VALIDEE, 1), else_=0)),
                   func.sum(case((missing, 1), else_=0)))
            .where(Piece.contract_id.in_(contract_ids)).group_by(Piece.contract_id))
    labels: dict[int, list[str]] = {}
    if missing_types:
        for contract_id, label in db.session.execute(
                select(Piece.contract_id, Piece.label).where(Piece.contract_id.in_(contract_ids), missing)
                .order_by(Piece.contract_id, Piece.id)):
            labels.setdefault(contract_id, []).append(label)
    return {contract_id: PieceCounts(int(received), int(validated), int(missing_count),
                                     tuple(labels.get(contract_id, ())))
            for contract_id, received, validated, missing_count in db.session.execute(stmt)}
