"""The broker's contract page: the contract, its documents, its pieces and their files, its history."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from .. import storage
from ..auth.scoping import brokers_only, get_scoped_or_404, staff_readers
from ..catalog.loader import get_catalog
from ..clock import today
from ..extensions import csrf, db
from ..journal.service import label
from ..signature.models import Contract, Progress
from ..storage.models import StoredFile
from . import service, uploads
from .models import Piece, PieceFile
from .service import SENT_KINDS

bp = Blueprint("dossiers", __name__)
TOO_BIG = "Le fichier dépasse 10 Mo : la limite est de 10 Mo par fichier. Envoyez une photo moins lourde ou un PDF plus léger."


def next_renewal(day: date) -> date:
    """"Prochain renouvellement le": every contract renews on 01/01 ("Échéance principale")."""
    return date(day.year + 1, 1, 1)


@bp.get("/contrats/<int:contract_id>")
@staff_readers
def contract_page(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    return _page(contract)


def _page(contract: Contract, errors: dict | None = None, new_label: str = "", status: int = 200):
    pieces = service.pieces_of(contract)
    db.session.commit()  # pieces built on this first read are kept
    quote = contract.quote
    sent = service.sent_documents(contract)
    return render_template("dossiers/contract.html", contract=contract, quote=quote,
                           product=get_catalog().product(contract.product_code), pieces=pieces, sent=sent,
                           renewal=next_renewal(max(today(), quote.effect_date or today())),
                           timeline=service.timeline_of(contract, pieces), status_label=label, errors=errors or {},
                           new_label=new_label, removable=service.removable,
                           open_dossier=contract.progress not in (None, Progress.ADHESION_CREEE)), status


@bp.post("/contrats/<int:contract_id>/pieces")
@brokers_only
def new_piece(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    typed = request.form.get("type", "")
    try:
        service.add_piece(contract, typed)
    except service.PieceError as error:
        db.session.rollback()
        return _page(contract, {"new": str(error)}, typed[:service.LABEL_MAX_LENGTH], 422)
    db.session.commit()
    return redirect(url_for("dossiers.contract_page", contract_id=contract.id, _anchor="pieces"))


@bp.post("/pieces/<int:piece_id>/supprimer")
@brokers_only
def remove_piece(piece_id: int):
    piece = get_scoped_or_404(Piece, piece_id, current_user)
    contract_id = piece.contract_id
    try:
        service.remove_piece(piece, current_user)
    except service.PieceError as error:
        db.session.rollback()
        return _page(db.session.get(Contract, contract_id), {f"supprimer-{piece.id}": str(error)},
                     status=422)
    db.session.commit()
    return redirect(url_for("dossiers.contract_page", contract_id=contract_id, _anchor="pieces"))


@bp.post("/pieces/<int:piece_id>/fichiers")
@csrf.exempt  # checked by receive_sent_file once the body's size is known: the global check reads it first
@brokers_only
def upload(piece_id: int):
    piece = get_scoped_or_404(Piece, piece_id, current_user)
    refusal = receive_sent_file(piece, uploaded_by=f"user:{current_user.id}", actor=current_user,
                                no_file="Sélectionnez le fichier à importer.")
    if refusal:
        contract = db.session.get(Contract, piece.contract_id)
        return _page(contract, {piece.id: refusal}, status=422)
    return redirect(url_for("dossiers.contract_page", contract_id=piece.contract_id, _anchor=f"piece-{piece.id}"))


def receive_sent_file(piece: Piece, *, uploaded_by: str, actor, no_file: str) -> str | None:
    """The request's file "fichier" received for `piece` and committed, or the reason it is
    refused (nothing kept). The broker's and the client's uploads both come here, from views
    exempt from the global CSRF check: the body is capped before anything reads it (a file over
    10 Mo is refused from its Content-Length, unread), then the token is checked here."""
    try:
        uploads.refuse_oversized_request()
    except RequestEntityTooLarge:
        return TOO_BIG
    csrf.protect()
    try:
        sent = request.files.get("fichier")
        if sent is None or not sent.filename:
            raise service.PieceError(no_file)
        service.receive_file(piece, sent.filename, sent.read(), uploaded_by=uploaded_by, actor=actor,
                             clamd_url=current_app.config["CLAMD_URL"])
    except (service.PieceError, uploads.UploadRefused) as error:
        db.session.rollback()
        return str(error)
    except RequestEntityTooLarge:  # sent without a length, it passed the cap while being read
        db.session.rollback()
        return TOO_BIG
    db.session.commit()
    return None


@bp.get("/pieces/fichiers/<int:piece_file_id>")
@staff_readers
def piece_file(piece_file_id: int):
    return piece_file_response(get_scoped_or_404(PieceFile, piece_file_id, current_user, Piece.firm_id,
                                                 joins=[PieceFile.piece]))


def piece_file_response(received: PieceFile):
    """A received file, as the PDF it was stored as, named as it was sent."""
    return send_file(BytesIO(storage.get(received.storage_key)), mimetype="application/pdf",
                     download_name=uploads.clean_file_name(received.original_name) + ".pdf")


def stored_file_response(document: StoredFile):
    return send_file(BytesIO(storage.get(document.sha256)), mimetype=document.content_type,
                     download_name=document.file_name)


@bp.get("/contrats/<int:contract_id>/documents/<int:stored_file_id>")
@staff_readers
def sent_document(contract_id: int, stored_file_id: int):
    contract = get_scoped_or_404(Contract, contract_id, current_user)
    document = db.session.get(StoredFile, stored_file_id)
    if (document is None or document.owner_type != "contract" or document.owner_id != str(contract.id)
            or document.kind not in SENT_KINDS):
        abort(404)
    return stored_file_response(document)
