"""Accueil (AGENDA), Portefeuille (search), a client's synthesis, and the exports."""
from __future__ import annotations

import os

from flask import (Blueprint, Response, abort, after_this_request, flash, redirect, render_template, request,
                   send_file, stream_with_context, url_for)
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import Role
from ..auth.scoping import (brokers_only, get_scoped_or_404, management_only, scoped, sees_all_firms,
                            staff_readers)
from ..catalog.loader import get_catalog
from ..clock import today
from ..extensions import db
from ..formatting import number
from ..journal.service import record
from ..parsing import DATABASE_ID_MAX, whole_number
from ..quotes import service as quotes
from ..quotes.models import Person, Quote, QuoteStatus
from ..quotes.views import dossier_tab
from ..signature.models import PROGRESS_LABELS, Contract
from ..validators import display_mobile, parse_date
from . import agenda, exports, search, sepa

bp = Blueprint("portfolio", __name__)
DRAFTS_SHOWN = 20
EXPORT_NAME = "devis-non-transformes"
CONTRACTS_EXPORT_NAME = "contrats"
EXPORT_FORMATS = ("csv", "xlsx")


@bp.app_context_processor
def role_screens() -> dict:
    """What the menus and dossier pages show by role: a broker sells and acts on its firm's
    dossiers; the back-office and the administrator read every firm's, without acting."""
    user = current_user
    signed_in = getattr(user, "is_authenticated", False) and user.is_staff  # a client has no role
    return {"sells": signed_in and user.role is Role.BROKER,
            "manages_all_firms": signed_in and sees_all_firms(user)}


@bp.get("/")
@staff_readers
def index():
    include_closed = request.args.get("clotures") == "1"
    text = request.args.get("filtre", "")[:100]
    events = agenda.agenda(current_user, include_closed, text)
    drafts = db.session.scalars(
        scoped(select(Quote), current_user)
        .where(Quote.status == QuoteStatus.INCOMPLET, Quote.broker_id == current_user.id)
        .order_by(Quote.updated_at.desc()).limit(DRAFTS_SHOWN)).all()
    return render_template("portfolio/agenda.html", events=events, include_closed=include_closed, text=text,
                           drafts=drafts, limit=agenda.MAX_EVENTS)


@bp.post("/agenda/<int:event_id>/cloturer")
@brokers_only
def close_event(event_id: int):
    agenda.close_event(current_user, event_id)
    flash("L'événement est clôturé : il reste dans le dossier.", "success")
    return redirect(url_for("portfolio.index", **_agenda_args()))


@bp.get("/agenda/<int:event_id>/ouvrir")
@staff_readers
def open_event(event_id: int):
    event = agenda.entry_or_404(current_user, event_id)
    if event.quote_id is not None:
        return redirect(url_for("quotes.show", quote_id=event.quote_id))
    if event.person_id is not None:
        return redirect(url_for("portfolio.person", person_id=event.person_id))
    abort(404)


def _agenda_args() -> dict:
    return {key: value for key, value in (("filtre", request.form.get("filtre", "")),
                                          ("clotures", request.form.get("clotures", ""))) if value}


@bp.get("/portefeuille")
@staff_readers
def portfolio():
    objet = request.args.get("objet", "personne")
    page = _page_number()
    searched = "rechercher" in request.args
    if objet == "devis":
        statuses = request.args.getlist("statut")
        identifier = request.args.get("identifiant", "")
        found = search.quotes(current_user, identifier, statuses, today(), page) if searched else None
        return render_template("portfolio/search_quotes.html", found=found, identifier=identifier[:100],
                               statuses=statuses, labels=search.QUOTE_STATUS_CHOICES, catalog=get_catalog(),
                               today=today(), status_on=quotes.status_on)
    if objet == "contrat":
        args = request.args
        criteria = search.ContractCriteria(
            number=args.get("numero", "")[:100], product=args.get("produit", ""), name=args.get("nom", "")[:100],
            progress=tuple(args.getlist("avancement")), signature=tuple(args.getlist("signature")))
        catalog = get_catalog()
        products = {product.code for product in catalog.products}
        found = search.contracts(current_user, criteria, products, page) if searched else None
        return render_template("portfolio/search_contracts.html", found=found, criteria=criteria, catalog=catalog,
                               progress_options=[(progress.value, label) for progress, label in PROGRESS_LABELS.items()],
                               signature_options=[(state.value, state.label) for state in search.SIGNATURE_CHOICES],
                               display_mobile=display_mobile)
    text = request.args.get("nom", "")
    found = search.people(current_user, text, page)
    clients = search.clients_among(found.items) if found else set()
    return render_template("portfolio/search_people.html", found=found, text=text[:100],
                           role_of=lambda person: "Client" if person.id in clients else "Prospect")


def _page_number() -> int:
    return whole_number(request.args.get("page"), 1, search.MAX_PAGE) or 1


@bp.get("/clients/<int:person_id>")
@staff_readers
def person(person_id: int):
    client = get_scoped_or_404(Person, person_id, current_user)
    person_quotes = db.session.scalars(
        select(Quote).where(Quote.person_id == client.id, Quote.status != QuoteStatus.INCOMPLET)
        .order_by(Quote.number.desc(), Quote.version.desc())).all()
    day = today()
    shown = [q for q in person_quotes if quotes.status_on(q, day) is not QuoteStatus.SOUSCRIT]
    contracts = db.session.scalars(select(Contract).where(Contract.person_id == client.id)
                                   .order_by(Contract.number.desc())).all()
    return render_template("portfolio/person.html", client=client, quotes=shown, contracts=contracts,
                           catalog=get_catalog(),
                           tab=dossier_tab(), status_on=lambda q: quotes.status_on(q, day),
                           creation_key=quotes.new_creation_key())


@bp.post("/clients/<int:person_id>/nouveau-devis")
@brokers_only
def new_quote(person_id: int):
    client = get_scoped_or_404(Person, person_id, current_user)
    product_code = request.form.get("produit", "")
    try:
        key = quotes.creation_key_of(request.form.get("creation_key"))
        draft = quotes.draft_for_person(client, current_user, product_code, key)
    except (KeyError, quotes.QuoteError):
        flash("Choisissez un produit de la liste.", "error")
        return redirect(url_for("portfolio.person", person_id=client.id, onglet="gestion"))
    db.session.commit()
    return redirect(url_for("quotes.besoins", quote_id=draft.id))


@bp.get(f"/exports/{EXPORT_NAME}.<fmt>")
@staff_readers
def export(fmt: str):
    """CSV or XLSX of the unconverted quotes; the back-office chooses a firm or takes them all."""
    return _download(exports.UNCONVERTED, exports.unconverted_rows(current_user, today(), _firm_chosen()),
                     EXPORT_NAME, fmt)


@bp.get(f"/exports/{CONTRACTS_EXPORT_NAME}.<fmt>")
@staff_readers
def contracts_export(fmt: str):
    """CSV or XLSX of the contracts, their Avancement and pieces; a broker's firm only."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    return _download(exports.CONTRACTS, exports.contract_rows(current_user, _firm_chosen()), CONTRACTS_EXPORT_NAME,
                     fmt)


def _firm_chosen() -> int | None:
    """The back-office's and the administrator's "Cabinet" filter (a broker's rows are its firm's
    whatever it asks)."""
    if sees_all_firms(current_user):
        return whole_number(request.args.get("cabinet"), 1, DATABASE_ID_MAX)
    return None


def _download(sheet: exports.Sheet, rows, name: str, fmt: str):
    name = f"{name}-{today():%Y-%m-%d}"
    if fmt == "csv":
        response = Response(stream_with_context(exports.csv_chunks(sheet, rows)), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        path = exports.xlsx_file(sheet, rows)

        @after_this_request
        def remove(response):
            os.unlink(path)
            return response

        # Made for this request: nothing for a browser to revalidate (no ETag, never a 304).
        return send_file(path, as_attachment=True, download_name=f"{name}.xlsx", conditional=False, etag=False,
                         last_modified=None,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


@bp.get("/exports")
@staff_readers
def exports_page():
    return _exports_page()


def _exports_page(sepa_date: str = "", sepa_error: str | None = None, status: int = 200):
    return render_template("portfolio/exports.html", firms=exports.firms() if sees_all_firms(current_user) else [],
                           debits=current_user.role is Role.BACKOFFICE, sepa_date=sepa_date,
                           sepa_error=sepa_error), status


@bp.post("/exports/prelevements-sepa")
@management_only
def sepa_file():
    """The pain.008 of the contracts "Adhésion créée" debited on the date asked; its download
    is journaled (it carries the clients' IBAN), hence a POST with its CSRF token."""
    typed = request.form.get("date", "")[:20]
    try:
        collection = parse_date(typed)
        made = sepa.debit_file(collection)
    except ValueError as error:  # SepaError included
        return _exports_page(typed, str(error), 422)
    record(actor=current_user, object_type="user", object_id=current_user.id, action="Fichier de prélèvement SEPA",
           detail=f"{collection:%d/%m/%Y} : {made.payments} prélèvement(s), {number(made.total)} €")
    db.session.commit()
    return Response(made.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="prelevements-sepa-{collection:%Y-%m-%d}.xml"'})
