"""The quote wizard's screens and the issued quote's page. Thin: read the form, call
wizard.py / service.py, render or redirect."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..auth.models import Role
from ..auth.scoping import brokers_only, get_scoped_or_404, staff_readers
from ..catalog.geo import communes_for
from ..catalog.loader import get_catalog
from ..clock import today
from ..documents.product_documents import document_links
from ..extensions import db
from ..journal.service import history, label
from ..messaging.service import about, delivery_states
from ..validators import display_mobile
from . import service, wizard
from .chart import needs_chart
from .models import Quote, QuoteStatus

bp = Blueprint("quotes", __name__)

# The back-office and the administrator read every firm's dossiers, and act on none of them.

SCREEN_TITLES = ("Vos besoins", "Vos solutions", "Vos coordonnées", "Récapitulatif du DEVIS")


def dossier_tab() -> str:
    """The tab of a quote's or a client's page: "consultation", or "gestion" ("Acte de gestion")
    for a broker, the only one who acts on a dossier."""
    wanted = request.args.get("onglet")
    return wanted if current_user.role is Role.BROKER and wanted in ("consultation", "gestion") else "consultation"


def _product_or_404(code: str):
    try:
        return get_catalog().product(code)
    except KeyError:
        abort(404)


def _draft(quote_id: int) -> Quote:
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    if quote.status is not QuoteStatus.INCOMPLET:
        # An issued version is never edited: its page says so and offers "Dupliquer".
        abort(redirect(url_for("quotes.show", quote_id=quote.id)))
    return quote


def _screen(quote: Quote, screen: str):
    """The screen if the ones before it are filled in, else a redirect to the first missing one."""
    try:
        wizard.require_screen(quote, screen)
    except wizard.WizardError as error:
        flash(error.message, "info")
        abort(redirect(url_for(f"quotes.{error.screen}", quote_id=quote.id)))


def _back(quote: Quote, screen: str, previous: str):
    """"Précédent": keep what was typed on this screen, show the previous one."""
    wizard.keep_pending(quote, screen, request.form)
    db.session.commit()
    return redirect(url_for(f"quotes.{previous}", quote_id=quote.id))


# ---------------------------------------------------------------------------------------
# Screen 1


@bp.route("/vente-directe/<product_code>/devis", methods=["GET", "POST"])
@brokers_only
def start(product_code: str):
    product = _product_or_404(product_code)
    if request.method == "GET":
        return _needs_page(product, None, {"creation_key": service.new_creation_key()}, {})
    needs, errors = wizard.check_needs(request.form, product, today())
    if errors:
        return _needs_page(product, None, request.form, errors), 422
    try:
        key = service.creation_key_of(request.form.get("creation_key"))
        quote = service.start_draft(current_user, product.code, key)
    except service.QuoteError as error:
        flash(error.message, "error")
        return redirect(url_for("quotes.start", product_code=product.code))
    if quote.status is not QuoteStatus.INCOMPLET:  # the first click's draft was issued meanwhile
        return redirect(url_for("quotes.show", quote_id=quote.id))
    wizard.save_needs(quote, needs)
    db.session.commit()
    return redirect(url_for("quotes.solutions", quote_id=quote.id))


@bp.route("/devis/<int:quote_id>/besoins", methods=["GET", "POST"])
@brokers_only
def besoins(quote_id: int):
    quote = _draft(quote_id)
    product = _product_or_404(quote.product_code)
    if request.method == "GET":
        return _needs_page(product, quote, wizard.pending(quote, "besoins") or _needs_values(quote), {})
    needs, errors = wizard.check_needs(request.form, product, today())
    if errors:
        return _needs_page(product, quote, request.form, errors), 422
    wizard.save_needs(quote, needs)
    wizard.clear_pending(quote, "besoins")
    db.session.commit()
    return redirect(url_for("quotes.solutions", quote_id=quote.id))


def _needs_page(product, quote, values, errors):
    return _form_page("quotes/needs.html", 0, product, quote, values, errors, catalog=get_catalog())


def _form_page(template: str, screen: int, product, quote, values, errors, **extra):
    """A screen with a "Code postal" / "Ville" pair: the towns of the postcode typed are listed."""
    postcode = (values.get("code_postal") or "").strip()
    return render_template(template, product=product, quote=quote, values=values, errors=errors,
                           communes=communes_for(postcode) if len(postcode) == 5 else [],
                           **_wizard_context(screen, quote), **extra)


def _needs_values(quote: Quote) -> dict:
    if not quote.needs:
        return {}
    values = {f"besoin_{axis}": str(level) for axis, level in quote.needs.items()}
    values.update({
        "date_effet": quote.effect_date.isoformat(), "regime": quote.regime, "code_postal": quote.postcode,
        "ville": quote.commune_code, "date_naissance": quote.birth_date.isoformat(),
        "conjoint": "oui" if quote.has_spouse else "non",
        "date_naissance_conjoint": quote.spouse_birth_date.isoformat() if quote.spouse_birth_date else "",
        "enfants": "oui" if quote.has_children else "non",
        "nombre_enfants": str(quote.children) if quote.children else "",
    })
    return values


# ---------------------------------------------------------------------------------------
# Screen 2


@bp.route("/devis/<int:quote_id>/solutions", methods=["GET", "POST"])
@brokers_only
def solutions(quote_id: int):
    quote = _draft(quote_id)
    product = _product_or_404(quote.product_code)
    _screen(quote, "solutions")
    if request.method == "POST" and request.form.get("action") == "precedent":
        return _back(quote, "solutions", "besoins")
    if request.method == "GET":
        kept = wizard.pending(quote, "solutions")
        choice, _ = wizard.check_solution(_as_multidict(kept), product) if kept else (None, {})
        return _solutions_page(product, quote, choice, {})
    choice, errors = wizard.check_solution(request.form, product)
    if errors:
        return _solutions_page(product, quote, None, errors), 422
    wizard.save_solution(quote, product, *choice)
    wizard.clear_pending(quote, "solutions")
    db.session.commit()
    return redirect(url_for("quotes.coordonnees", quote_id=quote.id))


def _solutions_page(product, quote, choice, errors):
    shown = wizard.solutions(quote, product, *(choice or (None, None)))
    catalog = get_catalog()
    return render_template("quotes/solutions.html", product=product, quote=quote, shown=shown, errors=errors,
                           catalog=catalog, chart=needs_chart(catalog, product, quote.needs, shown.formula_code,
                                                              shown.options),
                           documents=document_links(product, shown.formula_code), **_wizard_context(1, quote))


def _as_multidict(answers: dict) -> MultiDict:
    items = []
    for key, value in answers.items():
        items.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    return MultiDict(items)


# ---------------------------------------------------------------------------------------
# Screen 3


@bp.route("/devis/<int:quote_id>/coordonnees", methods=["GET", "POST"])
@brokers_only
def coordonnees(quote_id: int):
    quote = _draft(quote_id)
    product = _product_or_404(quote.product_code)
    _screen(quote, "coordonnees")
    if request.method == "POST" and request.form.get("action") == "precedent":
        return _back(quote, "coordonnees", "solutions")
    if request.method == "GET":
        return _contact_page(product, quote, wizard.pending(quote, "coordonnees") or _contact_values(quote), {})
    contact, errors = wizard.check_contact(request.form, quote, current_user, today())
    if errors:
        return _contact_page(product, quote, request.form, errors), 422
    wizard.save_contact(quote, contact)
    wizard.clear_pending(quote, "coordonnees")
    db.session.commit()
    return redirect(url_for("quotes.recapitulatif", quote_id=quote.id))


def _contact_page(product, quote, values, errors):
    return _form_page("quotes/contact.html", 2, product, quote, values, errors)


def _contact_values(quote: Quote) -> dict:
    postcode = quote.client_postcode or quote.postcode
    city_code = quote.commune_code
    if quote.client_postcode:
        city_code = next((c.insee_code for c in communes_for(quote.client_postcode) if c.name == quote.client_city), "")
    return {
        "civilite": quote.civility or "", "nom": quote.last_name or "", "nom_naissance": quote.birth_name or "",
        "prenom": quote.first_name or "", "date_naissance": quote.birth_date.isoformat() if quote.birth_date else "",
        "adresse": quote.address or "", "adresse_complementaire": quote.address2 or "", "code_postal": postcode or "",
        "ville": city_code or "", "pays": quote.country or wizard.COUNTRY,
        "telephone_portable": display_mobile(quote.mobile or ""), "email": quote.email or "",
        "sans_email": "oui" if quote.without_email else "",
    }


# ---------------------------------------------------------------------------------------
# Screen 4 and issuing


@bp.get("/devis/<int:quote_id>/recapitulatif")
@brokers_only
def recapitulatif(quote_id: int):
    quote = _draft(quote_id)
    _screen(quote, "recapitulatif")
    return _recap_page(quote)


def _recap_page(quote: Quote, error: str | None = None):
    catalog = get_catalog()
    product = _product_or_404(quote.product_code)
    return render_template("quotes/recap.html", product=product, quote=quote, catalog=catalog, error=error,
                           mobile=display_mobile(quote.mobile or ""), **_wizard_context(3, quote))


@bp.post("/devis/<int:quote_id>/valider")
@brokers_only
def valider(quote_id: int):
    return _issue(quote_id, service.issue_quote, "Le devis a été envoyé au client.")


@bp.post("/devis/<int:quote_id>/bulletin")
@brokers_only
def bulletin(quote_id: int):
    return _issue(quote_id, service.propose_on_paper,
                  "Le bulletin individuel d'adhésion est prêt : imprimez-le et remettez-le au client.")


def _issue(quote_id: int, operation, done: str):
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    if quote.status is not QuoteStatus.INCOMPLET:
        return redirect(url_for("quotes.show", quote_id=quote.id))  # a replayed or double POST
    _screen(quote, "recapitulatif")
    try:
        operation(quote, current_user)
    except service.AlreadyIssued:
        return redirect(url_for("quotes.show", quote_id=quote_id))
    except (service.QuoteError, wizard.WizardError) as error:
        db.session.rollback()
        return _recap_page(db.session.get(Quote, quote_id), error.message), 422
    flash(done, "success")
    return redirect(url_for("quotes.show", quote_id=quote.id))


# ---------------------------------------------------------------------------------------
# The issued quote


@bp.get("/devis/<int:quote_id>")
@staff_readers
def show(quote_id: int):
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    if quote.status is QuoteStatus.INCOMPLET:
        if current_user.role is not Role.BROKER:
            abort(404)  # a draft is its broker's work in progress, not yet a dossier
        screen = wizard.SCREENS[min(quote.step, 3)]
        return redirect(url_for(f"quotes.{screen}", quote_id=quote.id))
    catalog = get_catalog()
    product = _product_or_404(quote.product_code)
    return render_template("quotes/show.html", quote=quote, product=product, catalog=catalog, tab=dossier_tab(),
                           status=service.status_on(quote, today()), mobile=display_mobile(quote.mobile or ""),
                           creation_key=service.new_creation_key(), history=history("devis", quote.id),
                           status_label=label, deliveries=delivery_states(about("quote", quote.id)),
                           preparing=service.is_preparing(quote))


@bp.get("/devis/<int:quote_id>/document")
@staff_readers
def document(quote_id: int):
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    try:
        content = service.quote_document(quote)  # laid out here if the worker has not done it yet
    except LookupError:
        abort(404)
    except OSError:  # the storage cannot be written or read right now
        db.session.rollback()
        flash("Le document n'a pas pu être préparé : réessayez dans un instant.", "error")
        return redirect(url_for("quotes.show", quote_id=quote_id))
    return send_file(BytesIO(content), mimetype="application/pdf", download_name=service.document_filename(quote))


@bp.post("/devis/<int:quote_id>/classer-sans-suite")
@brokers_only
def classer_sans_suite(quote_id: int):
    return _act(quote_id, service.decline_quote, "Le devis est classé sans suite.")


@bp.post("/devis/<int:quote_id>/renvoyer")
@brokers_only
def renvoyer(quote_id: int):
    return _act(quote_id, service.resend_quote, "Le devis a été renvoyé au client.")


def _act(quote_id: int, operation, done: str):
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    if quote.status is QuoteStatus.INCOMPLET:
        abort(404)
    try:
        operation(quote, current_user)
    except service.QuoteError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("quotes.show", quote_id=quote_id))


@bp.post("/devis/<int:quote_id>/dupliquer")
@brokers_only
def dupliquer(quote_id: int):
    return _new_version(quote_id, "Dupliquer")


@bp.post("/devis/<int:quote_id>/modifier")
@brokers_only
def modifier(quote_id: int):
    return _new_version(quote_id, "Acte de gestion : Modifier")


def _new_version(quote_id: int, action: str):
    source = get_scoped_or_404(Quote, quote_id, current_user)
    try:
        key = service.creation_key_of(request.form.get("creation_key"))
        draft = service.new_version_draft(source, current_user, action, key)
    except service.QuoteError as error:
        flash(error.message, "error")
        return redirect(url_for("quotes.show", quote_id=source.id))
    db.session.commit()
    return redirect(url_for("quotes.besoins", quote_id=draft.id))


def _wizard_context(current: int, quote: Quote | None) -> dict:
    reached = quote.step if quote is not None else 0
    steps = [{"title": title, "screen": screen, "current": index == current,
              "done": index < current, "reachable": quote is not None and index <= reached and index != current}
             for index, (title, screen) in enumerate(zip(SCREEN_TITLES, wizard.SCREENS))]
    return {"steps": steps, "current_step": current}
