"""The client space's pages (/espace-client): its pieces to send, its details, quotes and contracts.

Every page is `client_required`: a client session only (a broker's answers 403). Whatever is
not the account's own (client_space.py) answers 404, as a missing id.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ..auth.sessions import client_required
from ..catalog.geo import communes_for
from ..catalog.loader import get_catalog
from ..extensions import csrf, db
from ..quotes import service as quotes
from . import client_space, service
from .views import piece_file_response, receive_sent_file, stored_file_response

bp = Blueprint("client_space", __name__, url_prefix="/espace-client")

DOCUMENT_RECEIVED = "Votre document est bien reçu : votre conseiller et le service de gestion en sont informés."
ADDRESS_SAVED = "Votre adresse est enregistrée."
NO_FILE = "Choisissez le document à transmettre (un PDF ou une photo)."
ADDRESS_FIELDS = ("adresse", "adresse_complementaire", "code_postal", "ville")
#: What the file input offers: with image types listed, a phone proposes its camera as well as its files.
ACCEPTED_FILES = "application/pdf,image/jpeg,image/png,image/heic,image/heif,.pdf,.jpg,.jpeg,.png,.heic,.heif"


def _found(thing):
    if thing is None:
        abort(404)
    return thing


@bp.get("/")
@client_required
def home():
    return _home()


def _home(errors: dict | None = None, status: int = 200):
    dossiers = client_space.pieces_by_contract(current_user)
    db.session.commit()  # pieces built on this first read are kept
    person = client_space.person_of(current_user)
    listed = {piece.id for _, pieces in dossiers for piece in pieces}
    for piece_id, error in (errors or {}).items():
        if piece_id not in listed:  # validated or its adhesion created meanwhile: said above the list
            flash(error, "error")
    return render_template("client/home.html", person=person, dossiers=dossiers, errors=errors or {},
                           accepted=ACCEPTED_FILES, catalog=get_catalog()), status


@bp.post("/pieces/<int:piece_id>/fichiers")
@csrf.exempt  # checked by receive_sent_file once the body's size is known: the global check reads it first
@client_required
def upload(piece_id: int):
    piece = _found(client_space.own_piece(current_user, piece_id))
    refusal = receive_sent_file(piece, uploaded_by=f"client:{current_user.id}", actor=client_space.CLIENT_ACTOR,
                                no_file=NO_FILE)
    if refusal:
        return _home({piece.id: refusal}, 422)
    flash(DOCUMENT_RECEIVED, "success")
    return redirect(url_for(".home", _anchor=f"piece-{piece.id}"))


@bp.get("/pieces/fichiers/<int:piece_file_id>")
@client_required
def piece_file(piece_file_id: int):
    return piece_file_response(_found(client_space.own_piece_file(current_user, piece_file_id)))


@bp.route("/mes-infos", methods=["GET", "POST"])
@client_required
def my_details():
    person = _found(client_space.person_of(current_user))
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = client_space.correct_address(current_user, request.form)
        if not errors:
            db.session.commit()
            flash(ADDRESS_SAVED, "success")
            return redirect(url_for(".my_details"))
        db.session.rollback()
        values = {name: str(request.form.get(name) or "") for name in ADDRESS_FIELDS}
    else:
        town = next((c.insee_code for c in communes_for(person.postcode) if c.name == person.city), "")
        values = {"adresse": person.address, "adresse_complementaire": person.address2,
                  "code_postal": person.postcode, "ville": town}
    postcode = values["code_postal"].strip()
    return render_template("client/details.html", person=person, values=values, errors=errors,
                           communes=communes_for(postcode) if len(postcode) == 5 else []), 422 if errors else 200


@bp.get("/devis")
@client_required
def my_quotes():
    return render_template("client/quotes.html", quotes=client_space.quotes_of(current_user), catalog=get_catalog())


@bp.get("/devis/<int:quote_id>/document")
@client_required
def quote_document(quote_id: int):
    quote = _found(client_space.own_quote(current_user, quote_id))
    try:
        content = quotes.quote_document(quote)
    except LookupError:
        abort(404)
    return send_file(BytesIO(content), mimetype="application/pdf", download_name=quotes.document_filename(quote))


@bp.get("/contrats")
@client_required
def my_contracts():
    contracts = client_space.contracts_of(current_user)
    return render_template("client/contracts.html", catalog=get_catalog(),
                           contracts=[(contract, service.sent_documents(contract)) for contract in contracts])


@bp.get("/contrats/<int:contract_id>/documents/<int:stored_file_id>")
@client_required
def contract_document(contract_id: int, stored_file_id: int):
    return stored_file_response(_found(client_space.own_document(current_user, contract_id, stored_file_id)))
