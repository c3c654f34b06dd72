"""Export of the unconverted quotes (CSV for French Excel, XLSX) and the nightly expiry."""
import csv
import io
from datetime import date

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from portal.auth.models import Role
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.portfolio.exports import inert_text
from portal.quotes.expiry import run_daily
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.service import new_version_draft, status_on
from tests.conftest import PASSWORD, IsolatedClient, csrf_token
from tests.integration.wizard import Wizard, text

pytestmark = pytest.mark.usefixtures("quote_day")
COLUMNS = ["Prospect", "E-mail", "Téléphone", "Devis n°", "Version", "Produit", "Formule", "Cotisation mensuelle",
           "Créé le", "Date de validité", "Vendeur"]


@pytest.fixture
def three_quotes(wizard, client):
    """RIS-…1 Validé, RIS-…2 to be subscribed, RIS-…3 to be expired."""
    for _ in range(3):
        Wizard(client).walk()
    quotes = db.session.scalars(db.select(Quote).order_by(Quote.number)).all()
    quotes[1].status = QuoteStatus.SOUSCRIT
    quotes[2].status = QuoteStatus.EXPIRE
    db.session.commit()
    return quotes


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_export_has_the_spec_columns_and_only_validated_quotes(three_quotes, client):
    response = client.get("/exports/devis-non-transformes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == COLUMNS
    assert rows[1:] == [["M. DUPONT Jean", "jean.dupont@exemple.fr", "06 12 34 56 78", "RIS-0000000001", "1",
                         "SMAT ACTIVE TNS", "SMAT ACTIVE TNS 300", "115,23", "20/11/2026", "20/12/2026", "Claire Martin"]]


def test_the_xlsx_export_opens_with_typed_dates_and_amounts(three_quotes, client):
    response = client.get("/exports/devis-non-transformes.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS and len(rows) == 2
    assert rows[1][3] == "RIS-0000000001" and rows[1][7] == pytest.approx(115.23)
    assert rows[1][8].date() == date(2026, 11, 20)


def test_every_version_is_exported_and_an_unknown_format_is_404(wizard, client):
    wizard.walk()
    quote = db.session.scalar(db.select(Quote))
    # A second version of the same number.
    draft = new_version_draft(quote, quote.broker, "test")
    db.session.commit()
    wizard.quote_id = draft.id
    wizard.needs()
    wizard.choose("200")
    wizard.contact()
    wizard.validate()
    rows = read_csv(client.get("/exports/devis-non-transformes.csv"))
    assert [(row[3], row[4]) for row in rows[1:]] == [("RIS-0000000001", "2"), ("RIS-0000000001", "1")]
    assert client.get("/exports/devis-non-transformes.pdf").status_code == 404


def test_a_quote_past_its_date_is_not_exported_even_before_the_nightly_job(three_quotes, client, login, broker):
    with freeze_time("2026-12-21 09:00:00"):
        login(broker.email)
        assert read_csv(client.get("/exports/devis-non-transformes.csv"))[1:] == []


def test_the_backoffice_exports_every_firm_or_one(three_quotes, app, make_user, make_firm):
    other_firm = make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr")
    make_user(email="courtier@autre-cabinet.fr", firm=other_firm, first_name="Paul", last_name="Durand")
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    other_broker = logged_in(app, "courtier@autre-cabinet.fr")
    Wizard(other_broker).walk()
    # The broker of the other firm sees only its own quote.
    assert [row[10] for row in read_csv(other_broker.get("/exports/devis-non-transformes.csv"))[1:]] == ["Paul Durand"]
    backoffice = logged_in(app, "gestion@mes-solutions-plus.fr")
    sellers = sorted(row[10] for row in read_csv(backoffice.get("/exports/devis-non-transformes.csv"))[1:])
    assert sellers == ["Claire Martin", "Paul Durand"]
    only = read_csv(backoffice.get(f"/exports/devis-non-transformes.csv?cabinet={other_firm.id}"))
    assert [row[10] for row in only[1:]] == ["Paul Durand"]
    assert "Tous les cabinets" in text(backoffice.get("/exports"))


def logged_in(app, email: str) -> IsolatedClient:
    """Another browser, logged in as `email`."""
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get("/connexion").get_data(as_text=True)
    browser.post("/connexion", data={"csrf_token": csrf_token(page), "identifiant": email, "mot_de_passe": PASSWORD})
    return browser


@pytest.mark.parametrize("day, status", [("2026-12-19", QuoteStatus.VALIDE),  # day 29
                                        ("2026-12-20", QuoteStatus.VALIDE),  # day 30: its last day
                                        ("2026-12-21", QuoteStatus.EXPIRE)])  # day 31
def test_a_quote_expires_after_30_days(wizard, day, status):
    wizard.walk()
    with freeze_time(day + " 03:00:00"):
        report = run_daily(date.fromisoformat(day))
        quote = db.session.scalar(db.select(Quote))
        assert quote.status is status and status_on(quote, date.fromisoformat(day)) is status
        assert report.expired == (1 if status is QuoteStatus.EXPIRE else 0)
    if status is QuoteStatus.EXPIRE:
        event = db.session.scalar(db.select(JournalEntry).where(JournalEntry.agenda_kind == "devis_expire"))
        assert event.description.endswith("devis expiré le 21/12/2026.")
        assert run_daily(date.fromisoformat(day)).expired == 0  # a second run changes nothing


def test_every_page_shows_expire_from_day_31_before_the_nightly_job(wizard, client, login, broker):
    wizard.walk()
    quote = db.session.scalar(db.select(Quote))
    with freeze_time("2026-12-21 09:00:00"):
        login(broker.email)
        assert "Etat Expiré" in text(client.get(f"/devis/{quote.id}"))
        assert "RIS-0000000001" in text(client.get("/portefeuille?objet=devis&statut=expire&rechercher=1"))
        assert "Pas de résultat" in text(client.get("/portefeuille?objet=devis&statut=valide&rechercher=1"))


def test_the_agenda_warns_5_days_before_expiry_once(wizard):
    wizard.walk()
    assert run_daily(date(2026, 12, 14)).warned == 0  # 6 days before
    assert run_daily(date(2026, 12, 15)).warned == 1
    assert run_daily(date(2026, 12, 16)).warned == 0
    event = db.session.scalar(db.select(JournalEntry).where(JournalEntry.agenda_kind == "devis_expire_bientot"))
    assert "Devis arrivant à expiration le 20/12/2026" in event.description


def test_flask_portal_daily_runs_the_jobs(app, wizard):
    wizard.walk()
    with freeze_time("2026-12-21 03:00:00"):
        result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0 and "Devis expirés : 1" in result.output


@pytest.fixture
def formula_like_quote(wizard, client):
    """An issued quote whose text cells each start like a spreadsheet formula, as data from an
    older validator or an import could: e-mail, phone, product, formula and seller."""
    wizard.walk()
    quote = db.session.scalar(db.select(Quote))
    quote.civility, quote.last_name, quote.first_name = None, "", ""
    quote.email, quote.mobile = "=1+1@exemple.fr", "-2+3"
    quote.product_code, quote.formula_code = "\r=2", "\t=x"
    quote.broker.first_name, quote.broker.last_name = "@SUM(1)", ""
    db.session.commit()


FORMULA_LIKE_CELLS = {1: "'=1+1@exemple.fr", 2: "'-2+3", 5: "'\r=2", 6: "'\t=x", 10: "'@SUM(1)"}


def test_cells_starting_like_a_formula_are_inert_in_the_csv(formula_like_quote, client):
    row = read_csv(client.get("/exports/devis-non-transformes.csv"))[1]
    assert {column: row[column] for column in FORMULA_LIKE_CELLS} == FORMULA_LIKE_CELLS
    assert row[3] == "RIS-0000000001" and row[7] == "115,23"  # numbers and amounts untouched


def test_cells_starting_like_a_formula_are_text_in_the_xlsx(formula_like_quote, client):
    sheet = load_workbook(io.BytesIO(client.get("/exports/devis-non-transformes.xlsx").data)).active
    cells = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert {column: (cells[column].data_type, cells[column].value) for column in FORMULA_LIKE_CELLS} == {
        column: ("s", value) for column, value in FORMULA_LIKE_CELLS.items()}
    assert all(cell.data_type != "f" for cell in cells)
    assert cells[7].data_type == "n" and cells[7].value == pytest.approx(115.23)


@pytest.mark.parametrize("value, shown", [("=1+1@exemple.fr", "'=1+1@exemple.fr"), ("@SUM(1)", "'@SUM(1)"),
                                          ("-2+3", "'-2+3"), ("+33 6", "'+33 6"), ("\t=x", "'\t=x"),
                                          ("\r=x", "'\r=x"), ("jean=1@exemple.fr", "jean=1@exemple.fr"),
                                          ("Dupont-Durand", "Dupont-Durand"), ("", ""), ("a\x00=b", "a=b")])
def test_inert_text(value, shown):
    assert inert_text(value) == shown
