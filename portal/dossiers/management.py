"""What the insurer's management (back-office) does to a transmitted dossier: validate or refuse
each piece, create the adhesion, and show a subscriber's NIR or IBAN in full.

One function per change of status, each through journal.service.transition (the audit row and
the broker's agenda entry in one row). Two managers on the same piece or the same dossier at
once: the row is claimed by a conditional UPDATE, so one of them changes it and the other is
told what happened (ManagementError). The caller commits, or rolls back on ManagementError.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, exists, func, select, update

from ..auth.client_links import CLIENT_LOGIN_PATH, password_link_while_none
from ..auth.models import User
from ..catalog.loader import get_catalog
from ..clock import now
from ..extensions import db
from ..formatting import clock, day
from ..journal.service import record, transition
from ..messaging.service import about, queue_email
from ..signature.service import contract_note
from ..signature.models import Contract, Progress
from ..subscription.models import Subscription
from ..validators import plain_text
from .models import Piece, PieceFile, PieceStatus
from .service import pieces_of

REASON_MAX_LENGTH = 500
PIECE_REFUSED_SUBJECT = "Mes Solutions Plus - Pièce justificative refusée"
ADHESION_CREATED_SUBJECT = "Mes Solutions Plus - Adhésion créée"
#: What "Afficher" may show in full, as the journal names it.
SENSITIVE = {"nir": "NIR", "iban": "IBAN"}


class ManagementError(ValueError):
    """A decision that cannot be taken, with the French message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


NEW_FILE = "Un nouveau fichier vient d'arriver pour cette pièce : examinez-le avant de décider."


def validate_piece(piece: Piece, actor: User, last_file_seen: int | None = None) -> None:
    """Reçue → Validée (see _claim_received for `last_file_seen`)."""
    at = now()
    _claim_received(piece, last_file_seen, status=PieceStatus.VALIDEE, validated_at=at, validated_by_id=actor.id)
    contract = db.session.get(Contract, piece.contract_id)
    transition(piece, PieceStatus.VALIDEE, actor=actor, action="Pièce validée", detail=piece.label[:200],
               agenda=contract_note(contract, "piece_validee", f"pièce justificative validée : {piece.label}"))
    piece.validated_at, piece.validated_by_id = at, actor.id


def check_reason(reason: str | None) -> str:
    """The refusal's reason as it is written to the journal and the client (ManagementError otherwise)."""
    reason = reason or ""
    try:
        plain_text(reason, "Le motif")
    except ValueError as error:
        raise ManagementError(str(error)) from None
    reason = " ".join(reason.split())
    if not reason:
        raise ManagementError("Indiquez le motif du refus : il est envoyé au client.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ManagementError(f"Le motif tient en {REASON_MAX_LENGTH} caractères au plus.")
    return reason


def refuse_piece(piece: Piece, reason: str | None, actor: User, last_file_seen: int | None = None) -> None:
    """Reçue → Refusée (the reason in the journal) → En attente of another file; the client is
    told by e-mail which piece and why, its broker in copy."""
    reason = check_reason(reason)
    at = now()
    _claim_received(piece, last_file_seen, status=PieceStatus.EN_ATTENTE, refused_at=at, refused_by_id=actor.id, refusal_reason=reason)
    contract = db.session.get(Contract, piece.contract_id)
    # The reason speaks of the client: it stays in the piece's encrypted row, the journal says where.
    transition(piece, PieceStatus.REFUSEE, actor=actor, action="Pièce refusée",
               detail=f"{piece.label[:200]} — motif : voir la pièce",
               agenda=contract_note(contract, "piece_refusee", f"pièce justificative refusée : {piece.label}"))
    transition(piece, PieceStatus.EN_ATTENTE, actor=actor, action="Pièce en attente d'un nouveau fichier",
               detail=piece.label[:200])
    piece.refused_at, piece.refused_by_id, piece.refusal_reason = at, actor.id, reason
    tell_client(contract, PIECE_REFUSED_SUBJECT, "piece_refused", offer_password=True, piece=piece, reason=reason)


def _claim_received(piece: Piece, last_file_seen: int | None, **values) -> None:
    """The piece's row takes `values` if it is still "Reçue"; the in-memory piece is left
    "Reçue" for the journal to write the change from it. With `last_file_seen` (the newest
    file's id on the manager's page, 0 for none), a file received since refuses the decision:
    the piece's row is locked first, so a file being received (dossiers/service.receive_file
    locks it too) is either in, and seen here, or comes after the decision."""
    if last_file_seen is not None:
        db.session.execute(select(Piece.id).where(Piece.id == piece.id).with_for_update())
        newest = db.session.scalar(select(func.max(PieceFile.id)).where(PieceFile.piece_id == piece.id)) or 0
        if newest != last_file_seen:
            db.session.refresh(piece)
            raise ManagementError(NEW_FILE if piece.status is PieceStatus.RECUE else _already_decided(piece))
    claimed = db.session.execute(update(Piece).where(Piece.id == piece.id, Piece.status == PieceStatus.RECUE)
                                 .values(**values).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.refresh(piece)
        raise ManagementError(_already_decided(piece))
    piece.status = PieceStatus.RECUE


def _already_decided(piece: Piece) -> str:
    if piece.status is PieceStatus.VALIDEE:
        return f"Cette pièce a déjà été validée le {day(piece.validated_at)} par {manager_name(piece.validated_by_id)}."
    if piece.refused_at is not None and piece.status is PieceStatus.EN_ATTENTE:
        return (f"Cette pièce a déjà été refusée le {day(piece.refused_at)} par {manager_name(piece.refused_by_id)} : "
                "elle attend un nouveau fichier du client.")
    return f"Cette pièce n'a pas de fichier à examiner (statut « {piece.status.label} »)."


def unvalidated_pieces(contract: Contract) -> list[Piece]:
    """The mandatory pieces not yet "Validée": what keeps the adhesion from being created."""
    return [piece for piece in pieces_of(contract) if piece.mandatory and piece.status is not PieceStatus.VALIDEE]


def adhesion_refusal(contract: Contract) -> str | None:
    """Why "Créer l'adhésion" cannot be done now, in French; None when it can."""
    if contract.progress is Progress.ADHESION_CREEE:
        return (f"L'adhésion a déjà été créée le {day(contract.adhesion_created_at)} à "
                f"{clock(contract.adhesion_created_at)} par {manager_name(contract.adhesion_created_by_id)}.")
    if contract.progress is not Progress.DOSSIER_TRANSMIS:
        return "Le dossier n'est pas transmis : aucune pièce justificative n'a encore été reçue."
    missing = unvalidated_pieces(contract)
    if missing:
        listed = " ; ".join(piece.label for piece in missing)
        return f"L'adhésion ne peut être créée que lorsque toutes les pièces obligatoires sont validées. À valider : {listed}."
    return None


def create_adhesion(contract: Contract, actor: User) -> None:
    """"Dossier transmis" → "Adhésion créée", once every mandatory piece is "Validée"; the
    client told by e-mail, its broker in copy. Of two managers at once, the second is told by
    whom and when it was done."""
    refusal = adhesion_refusal(contract)
    if refusal:
        raise ManagementError(refusal)
    at = now()
    unvalidated = exists().where(Piece.contract_id == Contract.id, Piece.mandatory.is_(True),
                                 Piece.status != PieceStatus.VALIDEE)
    claimed = db.session.execute(update(Contract).where(
        and_(Contract.id == contract.id, Contract.progress == Progress.DOSSIER_TRANSMIS, ~unvalidated))
        .values(progress=Progress.ADHESION_CREEE, adhesion_created_at=at, adhesion_created_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.refresh(contract)
        raise ManagementError(adhesion_refusal(contract) or "Le dossier vient de changer : rechargez la page.")
    contract.progress = Progress.DOSSIER_TRANSMIS
    transition(contract, Progress.ADHESION_CREEE, actor=actor, action="Avancement",
               agenda=contract_note(contract, "adhesion_creee", "adhésion créée par le service de gestion"))
    contract.adhesion_created_at, contract.adhesion_created_by_id = at, actor.id
    tell_client(contract, ADHESION_CREATED_SUBJECT, "adhesion_created")


def reveal(contract: Contract, what: str, actor: User) -> dict[str, str]:
    """The subscriber's (and spouse's) NIR, or the IBAN, in full; who asked and what is written
    to the journal. ManagementError for anything else."""
    if what not in SENSITIVE:
        raise ManagementError("Choisissez la donnée à afficher : NIR ou IBAN.")
    subscription = db.session.get(Subscription, contract.subscription_id)
    record(actor=actor, object_type="souscription", object_id=subscription.id, action="Donnée protégée affichée",
           detail=f"{SENSITIVE[what]} du contrat n° {contract.number}", firm_id=contract.firm_id)
    if what == "iban":
        return {"iban": subscription.iban or ""}
    return {"nir": subscription.nir or "", "spouse_nir": (subscription.spouse or {}).get("nir") or ""}


def tell_client(contract: Contract, subject: str, template: str, *, offer_password: bool = False, **context) -> None:
    """An e-mail about the contract to its client, its broker in copy (the broker alone for a
    client without an e-mail address), with the client space's login link; with
    `offer_password`, an e-mail that asks the client to act there also carries a new link to
    create its password while it has none (the previous link may be dead)."""
    quote = contract.quote
    product = get_catalog().product(contract.product_code)
    password_link = password_link_while_none(contract.client_account) if offer_password else None
    queue_email(to=quote.email or quote.broker.email, cc=quote.broker.email, subject=subject, template=template,
                context={"contract": contract, "quote": quote, "product": product, "firm": quote.firm,
                         "formula": product.formula(contract.formula_code), "password_link": password_link,
                         "login_link": current_app.config["BASE_URL"] + CLIENT_LOGIN_PATH, **context},
                about=about("contract", contract.id), firm_id=contract.firm_id)


def manager_name(user_id: int | None) -> str:
    """Who took a decision, as the pages and messages name them."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        return "le service de gestion"
    return f"{user.first_name} {user.last_name}".strip() or user.email

