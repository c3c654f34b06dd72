"""Navigation by role, route by route: a broker sells and acts on its firm's dossiers; the
back-office and the administrator read every firm's dossiers (quote, client, documents) and act
on none of them: no action button shown, and the server refuses the action with 403."""
import pytest
from flask import url_for

from portal.auth.models import Role
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from tests.conftest import PASSWORD, csrf_token
from tests.integration.test_client_space import logged_in_client, make_client
from tests.integration.test_exports_and_daily import logged_in
from tests.integration.wizard import Wizard, text

pytestmark = pytest.mark.usefixtures("quote_day")

READERS = {"gestion@mes-solutions-plus.fr": Role.BACKOFFICE, "admin@mes-solutions-plus.fr": Role.ADMIN}
QUOTE_ACTIONS = ("modifier", "dupliquer", "classer-sans-suite", "renvoyer")


@pytest.fixture
def dossier(wizard, client):
    """A broker's issued quote (with its client and agenda event) and a draft left at screen 2."""
    wizard.walk()
    issued = db.session.scalar(db.select(Quote).where(Quote.number.is_not(None)))
    draft = Wizard(client)
    draft.needs()
    event = db.session.scalar(db.select(JournalEntry).where(JournalEntry.agenda_kind.is_not(None)))
    return {"quote": issued.id, "person": issued.person_id, "draft": draft.quote_id, "event": event.id}


@pytest.fixture(params=sorted(READERS), ids=["back-office", "administrateur"])
def reader(request, app, make_user, dossier):
    make_user(email=request.param, role=READERS[request.param])
    return logged_in(app, request.param)


def post_with_token(browser, page_url: str, url: str, **data):
    token = csrf_token(browser.get(page_url).get_data(as_text=True))
    return browser.post(url, data={"csrf_token": token, **data})


def test_the_back_office_reads_the_quote_page_without_its_actions(reader, dossier):
    response = reader.get(f"/devis/{dossier['quote']}")
    assert response.status_code == 200
    page = text(response)
    assert "Devis n° RIS-0000000001 Version 1" in page and "Etat Validé" in page
    assert "Recherche Synthèse Devis n° RIS-0000000001 / 1" in page and "Consultation" in page
    assert "Formule choisie : SMAT ACTIVE TNS 300 Cotisation : 115,23 € / mois" in page
    for hidden in ("Acte de gestion", "Dupliquer", "Modifier", "Classer sans suite", "Renvoyer le devis au client"):
        assert hidden not in page, hidden
    # Asking for the "Acte de gestion" tab by its address shows "Consultation" all the same.
    assert "Classer sans suite" not in text(reader.get(f"/devis/{dossier['quote']}?onglet=gestion"))


def test_the_back_office_downloads_the_quote_s_pdf(reader, dossier):
    response = reader.get(f"/devis/{dossier['quote']}/document")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")


@pytest.mark.parametrize("action", QUOTE_ACTIONS)
def test_the_server_refuses_the_back_office_s_quote_actions(reader, dossier, outbox, action):
    before = db.session.scalar(db.select(db.func.count(Quote.id)))
    response = post_with_token(reader, f"/devis/{dossier['quote']}", f"/devis/{dossier['quote']}/{action}",
                               creation_key="A" * 32)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Quote, dossier["quote"]).status is QuoteStatus.VALIDE
    assert db.session.scalar(db.select(db.func.count(Quote.id))) == before
    assert len(outbox()) == 1  # the first sending only


def test_a_broker_s_draft_is_not_a_dossier_for_the_back_office(reader, dossier):
    assert reader.get(f"/devis/{dossier['draft']}").status_code == 404
    for screen in ("besoins", "solutions", "coordonnees", "recapitulatif"):
        assert reader.get(f"/devis/{dossier['draft']}/{screen}").status_code == 403, screen


def test_the_back_office_reads_the_client_synthesis_without_nouveau_devis(reader, dossier):
    response = reader.get(f"/clients/{dossier['person']}")
    assert response.status_code == 200
    page = text(response)
    assert "Synthèse du compte client Monsieur DUPONT Jean" in page and "RIS-0000000001 / 1" in page
    assert "Nouveau devis" not in page and "Acte de gestion" not in page
    assert "Nouveau devis" not in text(reader.get(f"/clients/{dossier['person']}?onglet=gestion"))
    response = post_with_token(reader, f"/clients/{dossier['person']}", f"/clients/{dossier['person']}/nouveau-devis",
                               produit="smat-serenite", creation_key="B" * 32)
    assert response.status_code == 403


def test_the_agenda_s_ouvrir_leads_the_back_office_to_the_quote(reader, dossier):
    page = text(reader.get("/"))
    assert "Devis n° RIS-0000000001/1" in page and "Ouvrir" in page
    opened = reader.get(f"/agenda/{dossier['event']}/ouvrir")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/devis/{dossier['quote']}")
    assert reader.get(opened.headers["Location"]).status_code == 200


def test_the_back_office_does_not_close_a_broker_s_event(reader, dossier):
    assert "Clôturer" not in text(reader.get("/"))
    response = post_with_token(reader, "/", f"/agenda/{dossier['event']}/cloturer")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(JournalEntry, dossier["event"]).closed_at is None


def test_the_back_office_menus_have_no_vente_directe(reader, dossier):
    for url in ("/", "/portefeuille", f"/devis/{dossier['quote']}", f"/clients/{dossier['person']}", "/exports"):
        page = text(reader.get(url))
        assert "Vente directe" not in page and "SMAT ACTIVE TNS fiche produit" not in page, url
        assert "Exports de tous les cabinets" in page, url


def test_the_broker_menus_sell_and_have_no_back_office_links(client, dossier):
    for url in ("/", "/portefeuille", f"/devis/{dossier['quote']}", f"/clients/{dossier['person']}", "/exports"):
        page = text(client.get(url))
        assert "Vente directe" in page, url
        assert "Exports de tous les cabinets" not in page and "Tous les cabinets" not in page, url
    quote_page = text(client.get(f"/devis/{dossier['quote']}"))
    assert "Dupliquer" in quote_page and "Consultation Acte de gestion" in quote_page
    assert "Clôturer" in text(client.get("/"))


BACK_OFFICE_ROUTES_PREFIX = "/gestion/"


def back_office_urls(app, ids: dict) -> list[tuple[str, str]]:
    """(method, url) of every back-office route of the URL map, its ids taken from `ids`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(BACK_OFFICE_ROUTES_PREFIX):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})  # KeyError: add the id
        urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


def test_a_broker_or_a_client_opening_any_back_office_url_is_refused(app, client, signing_dossier):
    from portal.auth.models import ClientAccount
    from portal.dossiers.models import Piece, PieceStatus
    from tests.integration.test_dossiers import a_pdf, paper_contract, pieces, send

    contract = paper_contract(signing_dossier)
    assert send(client, client.get(f"/contrats/{contract.id}"), pieces()["rib"], "rib.pdf", a_pdf()).status_code == 302
    piece_id = pieces()["rib"].id
    urls = back_office_urls(app, {"contract_id": contract.id, "piece_id": piece_id})
    assert {"/gestion/dossiers", f"/gestion/dossiers/{contract.id}", f"/gestion/pieces/{piece_id}/valider",
            f"/gestion/pieces/{piece_id}/refuser", f"/gestion/dossiers/{contract.id}/adhesion",
            f"/gestion/dossiers/{contract.id}/afficher"} <= {url for _, url in urls}

    # The broker whose dossier it is: no link to them, and 403 everywhere, with a valid token.
    home = client.get("/").get_data(as_text=True)
    assert 'href="/gestion/dossiers"' not in home
    token = csrf_token(home)
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token, "motif": "x", "donnee": "nir"})
        assert response.status_code == 403, f"broker {method} {url} → {response.status_code}"

    # A client's session counts as none on a staff page: to the staff login, never the page.
    account = db.session.get(ClientAccount, contract.client_account_id)  # made when the paper documents left
    account.password_hash = "x"
    db.session.commit()
    customer = app.test_client()
    with customer.session_transaction() as session:
        session["_user_id"], session["epoch"] = f"c:{account.id}", account.session_epoch
    for method, url in urls:
        response = customer.open(url, method=method, data={"motif": "x", "donnee": "nir"})
        assert response.status_code in (302, 400, 403), f"client {method} {url} → {response.status_code}"
        if response.status_code == 302:
            assert "/connexion" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Piece, piece_id).status is PieceStatus.RECUE
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)
                             .where(JournalEntry.action == "Donnée protégée affichée")) == 0


def _client_space_urls(app):
    """Every client-space page and action, ids filled with 1 (the role is refused before any id is read)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("client_space."):
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", "1")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


def test_no_staff_role_opens_the_client_space(app, reader, client, dossier):
    """The broker (`client`) and the back-office or administrator (`reader`): 403 on every client page."""
    urls = list(_client_space_urls(app))
    assert len(urls) >= 8
    for browser in (client, reader):
        token = csrf_token(browser.get("/").get_data(as_text=True))
        for method, url in urls:
            response = browser.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 403, f"{method} {url} → {response.status_code}"


def test_a_client_session_is_no_session_on_staff_pages(app, dossier):
    make_client("client@exemple.fr")
    browser = logged_in_client(app, "client@exemple.fr", PASSWORD)
    for url in ("/", "/portefeuille", f"/devis/{dossier['quote']}", f"/clients/{dossier['person']}", "/exports",
                "/administration/utilisateurs", "/journal"):
        response = browser.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion"), url
    assert browser.get("/espace-client/").status_code == 200
