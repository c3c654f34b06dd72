"""The pieces of a contract: built from the catalog, received from the client or the broker.

The pieces are built on the first read of a signed contract that has none (`pieces_of`), not
by the signature itself: the signature comes before the dossiers in the modules' order and
must not know them. Any page that shows a contract's pieces reads them through `pieces_of`,
so they exist before anyone can send a file; the contract's row is locked while they are
built, so two first reads at once build them once.
"""
from __future__ import annotations

from sqlalchemy import select, update

from ..catalog.loader import get_catalog
from ..clock import now, today
from ..extensions import db
from ..journal.service import history, record, transition
from ..quotes.devis import supporting_pieces
from ..signature import service as signature
from ..signature.models import Contract, Progress, SignatureState
from ..storage.models import StoredFile
from ..validators import without_control
from . import uploads
from .models import MISSING_STATUSES, Piece, PieceFile, PieceStatus

#: The documents of a signature by hand that come back signed, as pieces.
SIGNED_BULLETIN, SIGNED_MANDATE = "bia_signe", "mandat_signe"
PAPER_PIECES = ((SIGNED_BULLETIN, "Bulletin individuel d'adhésion daté et signé"),
                (SIGNED_MANDATE, "Mandat de prélèvement SEPA daté et signé"))
LABEL_MAX_LENGTH = 400
#: The code of a piece the broker asked for itself ("+ Nouvelle Pièce justificative").
ADDED_BY_BROKER = "autre"
ADHESION_DONE = "L'adhésion est créée : le dossier est complet, aucune pièce ni aucun fichier n'est plus attendu."
#: The contract's files shown to the broker ("Documents envoyés") and to the client ("Visualiser
#: les documents"): what the client received or signed.
SENT_KINDS = ("signe", "preuve", "papier")


class PieceError(ValueError):
    """A piece that cannot be added or received, with the French message to show."""


def pieces_of(contract: Contract) -> list[Piece]:
    """The contract's pieces in the order asked; built first if the contract is signed (or
    chosen for a signature by hand) and has none yet. The caller commits."""
    pieces = _pieces(contract.id)
    if pieces or contract.progress is None:
        return pieces
    db.session.execute(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    pieces = _pieces(contract.id)
    if pieces:
        return pieces
    for code, label, mandatory in asked_pieces(contract.quote, contract.product_code, contract.signature_state):
        db.session.add(Piece(contract_id=contract.id, firm_id=contract.firm_id, code=code, label=label,
                             mandatory=mandatory, requested_on=today()))
    db.session.flush()
    return _pieces(contract.id)


def asked_pieces(quote, product_code: str, signature_state: SignatureState) -> list[tuple[str, str, bool]]:
    """(code, label, mandatory) of each piece a signed contract asks, in order: the catalog's
    list for its quote and product, after the signed BIA and mandate of a signature by hand.
    What `pieces_of` builds, and what the export counts for a contract nobody opened yet."""
    catalog = get_catalog()
    asked = [(doc.code, doc.label, doc.when != "optional")
             for doc in supporting_pieces(quote, catalog, catalog.product(product_code))]
    if signature_state is SignatureState.MANUSCRITE:
        asked = [(code, label, True) for code, label in PAPER_PIECES] + asked
    return asked


def sent_documents(contract: Contract) -> list[StoredFile]:
    """The contract's files of SENT_KINDS, in the order they were made."""
    return db.session.scalars(select(StoredFile).where(
        StoredFile.owner_type == "contract", StoredFile.owner_id == str(contract.id), StoredFile.kind.in_(SENT_KINDS))
        .order_by(StoredFile.created_at, StoredFile.id)).all()


def _pieces(contract_id: int) -> list[Piece]:
    return db.session.scalars(select(Piece).where(Piece.contract_id == contract_id).order_by(Piece.id)).all()


def _lock_contract(contract: Contract) -> None:
    """The contract's row locked until the commit, re-read: what the broker, the client and the
    management do to its pieces at once is done one after the other, on what it is now. FOR NO
    KEY UPDATE: a row written meanwhile that refers to the contract (a journal or message row of a
    manager holding a piece's lock) does not wait for it, which would be a deadlock."""
    db.session.refresh(contract, with_for_update={"key_share": True})


def _lock_piece(piece: Piece) -> None:
    """The piece's row locked until the commit, re-read; PieceError if the broker deleted it meanwhile."""
    if db.session.scalar(select(Piece).where(Piece.id == piece.id).with_for_update()
                         .execution_options(populate_existing=True)) is None:
        raise PieceError("Cette pièce vient d'être supprimée par le conseiller.")


def _folded(label: str) -> str:
    return " ".join(label.split()).casefold()


def add_piece(contract: Contract, label: str) -> Piece:
    """"+ Nouvelle Pièce justificative": a piece the broker asks for, by its label. A label
    already asked and still waiting for its file is refused: a double click asks once."""
    label = " ".join(without_control(label or "").split())
    if not label:
        raise PieceError("Indiquez le type de la pièce demandée.")
    if len(label) > LABEL_MAX_LENGTH:
        raise PieceError(f"Le type de la pièce tient en {LABEL_MAX_LENGTH} caractères au plus.")
    _lock_contract(contract)
    if contract.progress is None:
        raise PieceError("Le contrat n'est pas encore signé : aucune pièce ne peut être demandée.")
    if contract.progress is Progress.ADHESION_CREEE:
        raise PieceError(ADHESION_DONE)
    if any(_folded(piece.label) == _folded(label) and piece.status in MISSING_STATUSES
           for piece in pieces_of(contract)):
        raise PieceError(f"La pièce « {label} » est déjà demandée et attend son fichier.")
    piece = Piece(contract_id=contract.id, firm_id=contract.firm_id, code=ADDED_BY_BROKER, label=label, mandatory=True,
                  requested_on=today())
    db.session.add(piece)
    db.session.flush()
    return piece


def added_by_broker(piece: Piece) -> bool:
    """The catalog's own "Autre pièce" shares the code but is optional; the broker's are mandatory."""
    return piece.code == ADDED_BY_BROKER and piece.mandatory


def removable(piece: Piece) -> bool:
    """A piece the broker added and no file was sent for may be taken back ("Supprimer")."""
    return added_by_broker(piece) and piece.status is PieceStatus.EN_ATTENTE and not piece.files


def remove_piece(piece: Piece, actor) -> None:
    """"Supprimer": a piece the broker added, still without a file, taken back; the journal
    keeps which. The caller commits."""
    contract = db.session.get(Contract, piece.contract_id)
    _lock_contract(contract)
    _lock_piece(piece)
    if contract.progress is Progress.ADHESION_CREEE:
        raise PieceError(ADHESION_DONE)
    if not removable(piece):
        raise PieceError("Seule une pièce ajoutée par le conseiller et sans fichier reçu peut être supprimée.")
    record(actor=actor, object_type="contrat", object_id=contract.id, action="Pièce justificative supprimée",
           detail=piece.label[:200], firm_id=contract.firm_id)
    db.session.delete(piece)
    db.session.flush()


def timeline_of(contract: Contract, pieces: list[Piece]) -> list:
    """The contract's history and its pieces', in the order it happened."""
    rows = history("contrat", contract.id) + [row for piece in pieces for row in history("piece", piece.id)]
    rows.sort(key=lambda row: (row.at, row.id))
    return rows


def receive_file(piece: Piece, name: str, content: bytes, *, uploaded_by: str, actor, clamd_url: str = "") -> PieceFile:
    """A file for `piece`, checked and stored (uploads.UploadRefused with the reason otherwise,
    nothing stored); the piece "Reçue"; the contract's first piece received moves it to
    "Dossier transmis"; the signed BIA of a signature by hand subscribes the quote. The caller
    commits.

    The contract's row, then the piece's, are locked and re-read first: a manager validating or
    refusing the piece meanwhile is seen (a piece validated takes no more file, a refused one
    becomes "Reçue" again), and two files at once are written one after the other."""
    contract = db.session.get(Contract, piece.contract_id)
    _lock_contract(contract)
    _lock_piece(piece)
    if contract.progress is Progress.ADHESION_CREEE:
        raise PieceError(ADHESION_DONE)
    if piece.status is PieceStatus.VALIDEE:
        raise PieceError("Cette pièce est déjà validée : aucun autre fichier n'est attendu.")
    key = uploads.receive_upload(name, content, owner=("piece", piece.id), kind="piece", created_by=uploaded_by,
                                 clamd_url=clamd_url)
    again = db.session.scalar(select(PieceFile).where(PieceFile.piece_id == piece.id, PieceFile.storage_key == key))
    if again is not None:
        if piece.status is PieceStatus.EN_ATTENTE and piece.refused_at is not None:
            raise PieceError("Ce document a été refusé par le service de gestion : envoyez-en un autre.")
        return again  # the same file sent twice (a double click): kept once
    received = PieceFile(piece_id=piece.id, storage_key=key, original_name=uploads.clean_file_name(name, keep_extension=True),
                         uploaded_by=uploaded_by)
    db.session.add(received)
    if piece.status is not PieceStatus.RECUE:
        transition(piece, PieceStatus.RECUE, actor=actor, action="Pièce reçue", detail=piece.label[:200])
    piece.received_on = today()
    _dossier_sent(contract, actor)
    if piece.code == SIGNED_BULLETIN and contract.signature_state is SignatureState.MANUSCRITE:
        signature.signed_bulletin_received(contract, actor)
    db.session.flush()
    return received


def _dossier_sent(contract: Contract, actor) -> None:
    """"En attente de pièces" → "Dossier transmis", once, whoever sends the first piece; the
    back-office's queue is ordered by when."""
    transmitted_at = now()
    moved = db.session.execute(update(Contract).where(
        Contract.id == contract.id, Contract.progress == Progress.EN_ATTENTE_PIECES)
        .values(progress=Progress.DOSSIER_TRANSMIS, transmitted_at=transmitted_at)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        return
    # The row is claimed above; the journal writes the change from the status the row had.
    contract.progress, contract.transmitted_at = Progress.EN_ATTENTE_PIECES, transmitted_at
    transition(contract, Progress.DOSSIER_TRANSMIS, actor=actor, action="Avancement",
               agenda=signature.contract_note(contract, "dossier_transmis", "dossier transmis, pièce justificative reçue"))

