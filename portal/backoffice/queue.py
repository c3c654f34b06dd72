"""The back-office's work: the queue of transmitted dossiers across firms, a dossier as
management sees it, and its decisions (dossiers/management.py).

The back-office reads and acts; the administrator, who sees what the back-office sees (SPEC §1),
reads the queue and the dossiers (and may show a NIR or an IBAN, journaled the same) but takes
no decision: 403 on "Valider", "Refuser" and "Créer l'adhésion". A broker or a client: 403.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import Firm, Role
from ..auth.scoping import get_scoped_or_404, management_only, management_readers
from ..catalog.loader import get_catalog
from ..clock import now
from ..dossiers import management
from ..dossiers.counts import PieceCounts, piece_counts
from ..dossiers.models import Piece, PieceStatus
from ..dossiers.service import pieces_of, timeline_of
from ..extensions import db
from ..formatting import day
from ..journal.service import label
from ..parsing import DATABASE_ID_MAX, whole_number
from ..quotes.models import Person, Quote
from ..signature.models import Contract, Progress
from ..subscription.models import Subscription
from ..validators import masked

bp = Blueprint("queue", __name__)
PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_AGE_DAYS = 3650


@dataclass
class QueueFilters:
    """The queue's filters as typed ("cabinet", "produit", "anciennete"), what they mean once
    checked, and the French message of each one that is not understood (then not applied)."""
    typed: dict[str, str]
    firm_id: int | None = None
    product_code: str | None = None
    older_than_days: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_filters(args) -> QueueFilters:
    typed = {name: (args.get(name) or "")[:100] for name in ("cabinet", "produit", "anciennete")}
    filters = QueueFilters(typed)
    if typed["cabinet"]:
        firm_id = whole_number(typed["cabinet"], 1, DATABASE_ID_MAX)
        if firm_id is None or db.session.get(Firm, firm_id) is None:
            filters.errors["cabinet"] = "Choisissez un cabinet de la liste."
        else:
            filters.firm_id = firm_id
    if typed["produit"]:
        if typed["produit"] in {product.code for product in get_catalog().products}:
            filters.product_code = typed["produit"]
        else:
            filters.errors["produit"] = "Choisissez un produit de la liste."
    if typed["anciennete"].strip():
        days = whole_number(typed["anciennete"], 0, MAX_AGE_DAYS)
        if days is None:
            filters.errors["anciennete"] = f"Indiquez un nombre de jours entier, de 0 à {MAX_AGE_DAYS}."
        else:
            filters.older_than_days = days
    return filters


@dataclass(frozen=True)
class QueueRow:
    contract_id: int
    number: str
    firm: str
    product: str
    client: str
    transmitted_at: datetime
    received: int   # "Reçue": a file to examine
    validated: int
    missing: int    # mandatory, "En attente" (never sent, or refused and not sent again)


def queue_page(filters: QueueFilters, page: int) -> tuple[list[QueueRow], bool]:
    """One page of the "Dossier transmis" contracts, oldest transmitted first, and whether
    another follows. The pieces are counted in SQL for this page's contracts only."""
    stmt = (select(Contract.id, Contract.number, Contract.product_code, Contract.transmitted_at, Firm.name,
                   Quote.civility, Quote.last_name, Quote.first_name)
            .join(Firm, Firm.id == Contract.firm_id).join(Quote, Quote.id == Contract.quote_id)
            .where(Contract.progress == Progress.DOSSIER_TRANSMIS))
    if filters.firm_id is not None:
        stmt = stmt.where(Contract.firm_id == filters.firm_id)
    if filters.product_code is not None:
        stmt = stmt.where(Contract.product_code == filters.product_code)
    if filters.older_than_days is not None:
        stmt = stmt.where(Contract.transmitted_at <= now() - timedelta(days=filters.older_than_days))
    rows = db.session.execute(stmt.order_by(Contract.transmitted_at, Contract.id)
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    has_next, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    counts = piece_counts([row.id for row in rows])
    names = {product.code: product.name for product in get_catalog().products}
    return [QueueRow(row.id, row.number, row.name, names.get(row.product_code, row.product_code),
                     f"{row.civility or ''} {(row.last_name or '').upper()} {row.first_name or ''}".strip(),
                     row.transmitted_at, *_counted(counts.get(row.id, PieceCounts()))) for row in rows], has_next


def _counted(counts: PieceCounts) -> tuple[int, int, int]:
    return counts.received, counts.validated, counts.missing


@bp.get("/gestion/dossiers")
@management_readers
def queue():
    filters = read_filters(request.args)
    page = whole_number(request.args.get("page"), 1, MAX_PAGE) or 1
    rows, has_next = queue_page(filters, page)
    firms = db.session.execute(select(Firm.id, Firm.name).order_by(Firm.name, Firm.id)).all()
    kept = {name: value for name, value in filters.typed.items() if value and name not in filters.errors}
    return render_template("backoffice/queue.html", rows=rows, page=page, has_next=has_next, filters=filters,
                           kept=kept, firms=firms, products=get_catalog().products)


@bp.get("/gestion/dossiers/<int:contract_id>")
@management_readers
def dossier(contract_id: int):
    return _dossier_page(get_scoped_or_404(Contract, contract_id, current_user))


def _dossier_page(contract: Contract, *, shown: dict | None = None, errors: dict | None = None,
                  reasons: dict | None = None, status: int = 200):
    pieces = pieces_of(contract)
    db.session.commit()  # pieces built on this first read are kept
    subscription = db.session.get(Subscription, contract.subscription_id)
    # The client may have corrected its address in its space since it signed: management reads
    # the person's, the quote keeps the one it was issued with.
    person = db.session.get(Person, contract.person_id) if contract.person_id else None
    return render_template("backoffice/dossier.html", contract=contract, quote=contract.quote, person=person,
                           subscription=subscription, product=get_catalog().product(contract.product_code),
                           pieces=pieces, blocked=management.adhesion_refusal(contract), shown=shown or {},
                           masked=masked, errors=errors or {}, reasons=reasons or {},
                           timeline=timeline_of(contract, pieces),
                           status_label=label, iso_day=iso_day, manager_name=management.manager_name, decides=current_user.role is Role.BACKOFFICE), status


def iso_day(text: str | None) -> str:
    """A family member's birth date, stored as ISO text in the subscription, as dd/mm/yyyy."""
    try:
        return day(date.fromisoformat(text or ""))
    except ValueError:
        return text or ""


def last_file_seen() -> int | None:
    """"dernier_fichier": the newest file of the piece on the page the decision comes from."""
    typed = request.form.get("dernier_fichier")
    if typed is None:
        return None
    return whole_number(typed, 0, DATABASE_ID_MAX) or 0


def _back_to(contract_id: int, anchor: str | None = None):
    return redirect(url_for("queue.dossier", contract_id=contract_id, _anchor=anchor))


@bp.post("/gestion/dossiers/<int:contract_id>/afficher")
@management_readers
def reveal(contract_id: int):
    """"Afficher": the NIR or the IBAN in full, in this answer only; the journal says who asked."""
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    try:
        shown = management.reveal(contract, request.form.get("donnee", ""), current_user)
    except management.ManagementError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to(contract.id)
    db.session.commit()
    return _dossier_page(contract, shown=shown)


@bp.post("/gestion/pieces/<int:piece_id>/valider")
@management_only
def validate(piece_id: int):
    piece = get_scoped_or_404(Piece, piece_id, current_user)
    try:
        management.validate_piece(piece, current_user, last_file_seen())
    except management.ManagementError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Pièce « {piece.label} » validée.", "success")
    return _back_to(piece.contract_id, f"piece-{piece.id}")


@bp.post("/gestion/pieces/<int:piece_id>/refuser")
@management_only
def refuse(piece_id: int):
    piece = get_scoped_or_404(Piece, piece_id, current_user)
    typed = request.form.get("motif", "")
    try:
        management.refuse_piece(piece, typed, current_user, last_file_seen())
    except management.ManagementError as error:
        db.session.rollback()
        if piece.status is not PieceStatus.RECUE:  # decided meanwhile: nothing left to correct
            flash(error.message, "error")
            return _back_to(piece.contract_id, f"piece-{piece.id}")
        contract = db.session.get(Contract, piece.contract_id)
        return _dossier_page(contract, errors={piece.id: error.message},
                             reasons={piece.id: typed[:management.REASON_MAX_LENGTH * 2]}, status=422)
    db.session.commit()
    flash(f"Pièce « {piece.label} » refusée : le client est prévenu par e-mail.", "success")
    return _back_to(piece.contract_id, f"piece-{piece.id}")


@bp.post("/gestion/dossiers/<int:contract_id>/adhesion")
@management_only
def create_adhesion(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    try:
        management.create_adhesion(contract, current_user)
    except management.ManagementError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Adhésion créée : le client est prévenu par e-mail, son conseiller en copie.", "success")
    return _back_to(contract.id)
