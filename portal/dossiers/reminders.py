"""The reminders of missing supporting documents (SPEC §8), run by `flask portal daily`.

A client whose mandatory pieces are not all "Reçue" or "Validée" 7 and then 14 days after
they were asked (Contract.pieces_asked_at: the electronic signature, or the paper documents
sent for a signature by hand, whose own signed BIA is one of the pieces) gets an e-mail, its
broker in copy, and the broker an agenda event.

Each reminder is sent once: its column (reminded_7_at, reminded_14_at) is claimed by an
UPDATE … WHERE … IS NULL in the transaction that queues the e-mail, so two runs at once, or
the same day twice, send it once. A day missed is caught up on the next run, within
CATCH_UP_DAYS of its day: a contract first seen at D+15 gets the D+14 reminder only (the
D+7 one would say less, a day later), and from D+21 nothing more is sent.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, or_, select, update

from ..clock import PARIS, now
from ..extensions import db
from ..journal.service import record
from ..quotes.expiry import SYSTEM
from ..signature.models import Contract, Progress, SignatureState
from ..signature.service import contract_note
from .models import MISSING_STATUSES, Piece
from .management import tell_client
from .service import pieces_of

REMINDER_DAYS = (7, 14)
CATCH_UP_DAYS = 7
SUBJECT = "Mes Solutions Plus - Relance : pièces justificatives manquantes"
OPEN_PROGRESS = (Progress.EN_ATTENTE_PIECES, Progress.DOSSIER_TRANSMIS)
SIGNED_STATES = (SignatureState.SIGNE, SignatureState.MANUSCRITE)


def send_reminders(day: date) -> dict[int, int]:
    """Every reminder due on `day` (or missed in the CATCH_UP_DAYS before), once: reminder day
    (7, 14) → e-mails queued. Commits contract by contract, so a run stopped half-way keeps
    what it sent."""
    sent = {}
    for days in REMINDER_DAYS:
        sent[days] = 0
        for contract_id in _due(day, days):
            sent[days] += _remind(db.session.get(Contract, contract_id), days)
            db.session.commit()
    return sent


def _reminded_column(days: int):
    return getattr(Contract, f"reminded_{days}_at")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), PARIS).astimezone(timezone.utc)


def _due(day: date, days: int) -> list[int]:
    """The contracts whose pieces were asked between `days` and `days` + CATCH_UP_DAYS - 1
    days before `day` (Paris dates), not yet reminded, signed, not "Adhésion créée", with a
    mandatory piece missing or no piece built yet (nobody opened the contract): a range of
    the pieces_asked_at index."""
    latest = _midnight(day - timedelta(days=days - 1))
    earliest = _midnight(day - timedelta(days=days + CATCH_UP_DAYS - 1))
    built = exists().where(Piece.contract_id == Contract.id)
    missing = exists().where(Piece.contract_id == Contract.id, Piece.mandatory.is_(True),
                             Piece.status.in_(MISSING_STATUSES))
    return db.session.scalars(select(Contract.id).where(
        Contract.pieces_asked_at >= earliest, Contract.pieces_asked_at < latest,
        _reminded_column(days).is_(None), Contract.progress.in_(OPEN_PROGRESS),
        Contract.signature_state.in_(SIGNED_STATES), or_(~built, missing))
        .order_by(Contract.pieces_asked_at, Contract.id)).all()


def unreceived_pieces(contract: Contract) -> list[Piece]:
    """The mandatory pieces neither received nor validated (built first if nobody opened the
    contract yet)."""
    return [piece for piece in pieces_of(contract) if piece.mandatory and piece.status in MISSING_STATUSES]


def _remind(contract: Contract, days: int) -> bool:
    """True: the reminder queued; False: nothing missing (the pieces just built had no
    mandatory one), or another run at the same time sent it."""
    missing = unreceived_pieces(contract)
    if not missing:
        return False
    column = _reminded_column(days)
    claimed = db.session.execute(update(Contract).where(
        Contract.id == contract.id, column.is_(None), Contract.progress.in_(OPEN_PROGRESS))
        .values({column: now()}).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return False
    labels = [piece.label for piece in missing]
    tell_client(contract, SUBJECT, "pieces_reminder", offer_password=True, pieces=labels, days=days)
    record(actor=SYSTEM, object_type="contrat", object_id=contract.id, action=f"Relance J+{days} des pièces manquantes",
           detail="; ".join(labels), firm_id=contract.firm_id,
           agenda=contract_note(contract, f"relance_pieces_j{days}",
                                f"relance J+{days} envoyée au client : {_count(len(labels))}"))
    return True


def _count(missing: int) -> str:
    """The agenda's words (the list itself, of any length, is in the journal's detail)."""
    return f"{missing} pièce{'s' if missing > 1 else ''} justificative{'s' if missing > 1 else ''} " \
           f"manquante{'s' if missing > 1 else ''}"
