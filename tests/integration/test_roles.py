"""Navigation by role, route by route: a broker sells and acts on its firm's dossiers; the
back-office and the administrator read every firm's dossiers (quote, client, documents) and act
on none of them: no action button shown, and the server refuses the action with 403."""
import pytest
from flask import url_for

from portal.auth.models import Role
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from tests.conftest import IsolatedClient, csrf_token
from tests.integration.test_exports_and_daily import logged_in
from tests.integration.subscription import link_of
from tests.integration.test_client_space import client_pieces, client_space, upload  # noqa: F401 (a fixture)
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


# ---------------------------------------------------------------------------------------
# Every route of the URL map, by role: the README roles table as the server applies it.

ANONYMOUS, BROKER, BACKOFFICE, ADMIN, CLIENT = "anonyme", "courtier", "service de gestion", "administrateur", "client"
ROLES = (ANONYMOUS, BROKER, BACKOFFICE, ADMIN, CLIENT)
ANYONE = frozenset(ROLES)
STAFF = frozenset({BROKER, BACKOFFICE, ADMIN})  # staff_readers
BROKERS = frozenset({BROKER})  # brokers_only
MANAGEMENT = frozenset({BACKOFFICE, ADMIN})  # management_readers
BACK_OFFICE = frozenset({BACKOFFICE})  # management_only
ADMINISTRATOR = frozenset({ADMIN})  # admin_only
CLIENTS = frozenset({CLIENT})  # client_required
NOT_WALKED = {
    "/static/<path:filename>": "files of the pages, no role",
    "/dev/messages": "the local outbox viewer, refused outside development (messaging.views.local_only)",
    "/dev/messages/<int:message_id>": "idem",
    "/dev/messages/<int:message_id>/html": "idem",
    "/dev/messages/<int:message_id>/pieces/<int:attachment_id>": "idem",
}
QUOTE_SUBSCRIPTION = "/devis/<int:quote_id>/souscription"
LINK = "/souscription/<token>"
# Who may pass each route; everyone else is refused: nobody logged in is sent to its login page,
# a logged-in role (a client's session included) gets 403.
ROLES_TABLE = {
    # Logging in and out, passwords, the customer's link (its token opens it), the privacy page: anyone.
    "/connexion": ANYONE, "/deconnexion": ANYONE, "/mot-de-passe": ANYONE, "/premiere-connexion": ANYONE,
    "/premiere-connexion/envoye": ANYONE, "/mot-de-passe/initialiser/<token>": ANYONE,
    "/espace-client/connexion": ANYONE, "/espace-client/deconnexion": ANYONE,
    "/espace-client/mot-de-passe-oublie": ANYONE, "/espace-client/mot-de-passe-oublie/envoye": ANYONE,
    "/espace-client/mot-de-passe/<token>": ANYONE, "/donnees-personnelles": ANYONE,
    LINK: ANYONE, f"{LINK}/communes": ANYONE, f"{LINK}/devis.pdf": ANYONE, f"{LINK}/documents/<kind>": ANYONE,
    f"{LINK}/etape/<int:step>": ANYONE, f"{LINK}/etape/<int:step>/enregistrer": ANYONE,
    f"{LINK}/a-signer/<kind>": ANYONE, f"{LINK}/signature-choisie": ANYONE, f"{LINK}/lire/<kind>": ANYONE,
    f"{LINK}/signature": ANYONE, f"{LINK}/signature/envoyer-documents": ANYONE,
    f"{LINK}/signature/manuscrite": ANYONE, f"{LINK}/signature/document/<int:index>": ANYONE,
    f"{LINK}/signature/document/<int:index>/page/<int:number>.png": ANYONE, f"{LINK}/signature/signer": ANYONE,
    f"{LINK}/signature/renvoyer": ANYONE, f"{LINK}/signature/refuser": ANYONE, f"{LINK}/signature/signee": ANYONE,
    f"{LINK}/signature/fichiers/<int:number>": ANYONE,
    # Accueil, AGENDA, portfolio, synthesis, quotes and their PDF, contracts, exports, product sheets.
    "/": STAFF, "/agenda/<int:event_id>/ouvrir": STAFF, "/portefeuille": STAFF, "/clients/<int:person_id>": STAFF,
    "/devis/<int:quote_id>": STAFF, "/devis/<int:quote_id>/document": STAFF, "/contrats/<int:contract_id>": STAFF,
    "/contrats/<int:contract_id>/documents/<int:stored_file_id>": STAFF, "/pieces/fichiers/<int:piece_file_id>": STAFF,
    "/exports": STAFF, "/exports/devis-non-transformes.<fmt>": STAFF, "/exports/contrats.<fmt>": STAFF,
    "/vente-directe/<code>": STAFF, "/vente-directe/<product_code>/documents/<kind>": STAFF,
    "/vente-directe/<product_code>/documents/<kind>/<formula_code>": STAFF, "/api/communes": STAFF,
    "/messages/<int:message_id>/renvoyer": STAFF,
    # Selling and acting on the firm's dossiers.
    "/agenda/<int:event_id>/cloturer": BROKERS, "/clients/<int:person_id>/nouveau-devis": BROKERS,
    "/vente-directe/<product_code>/devis": BROKERS, "/devis/<int:quote_id>/besoins": BROKERS,
    "/devis/<int:quote_id>/solutions": BROKERS, "/devis/<int:quote_id>/coordonnees": BROKERS,
    "/devis/<int:quote_id>/recapitulatif": BROKERS, "/devis/<int:quote_id>/valider": BROKERS,
    "/devis/<int:quote_id>/bulletin": BROKERS, "/devis/<int:quote_id>/modifier": BROKERS,
    "/devis/<int:quote_id>/dupliquer": BROKERS, "/devis/<int:quote_id>/classer-sans-suite": BROKERS,
    "/devis/<int:quote_id>/renvoyer": BROKERS, "/contrats/<int:contract_id>/pieces": BROKERS,
    "/pieces/<int:piece_id>/fichiers": BROKERS, "/pieces/<int:piece_id>/supprimer": BROKERS,
    "/devis/<int:quote_id>/souscrire": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/etape/<int:step>": BROKERS, f"{QUOTE_SUBSCRIPTION}/etape/<int:step>/enregistrer": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/a-signer/<kind>": BROKERS, f"{QUOTE_SUBSCRIPTION}/signature-choisie": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/lire/<kind>": BROKERS, f"{QUOTE_SUBSCRIPTION}/signature": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/envoyer-documents": BROKERS, f"{QUOTE_SUBSCRIPTION}/signature/manuscrite": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/document/<int:index>": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/document/<int:index>/page/<int:number>.png": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/signer": BROKERS, f"{QUOTE_SUBSCRIPTION}/signature/renvoyer": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/refuser": BROKERS, f"{QUOTE_SUBSCRIPTION}/signature/signee": BROKERS,
    f"{QUOTE_SUBSCRIPTION}/signature/fichiers/<int:number>": BROKERS,
    # The back-office and the administrator read; the back-office alone decides.
    "/journal": MANAGEMENT, "/gestion/messages-en-echec": MANAGEMENT, "/gestion/dossiers": MANAGEMENT,
    "/gestion/dossiers/<int:contract_id>": MANAGEMENT, "/gestion/dossiers/<int:contract_id>/afficher": MANAGEMENT,
    "/gestion/pieces/<int:piece_id>/valider": BACK_OFFICE, "/gestion/pieces/<int:piece_id>/refuser": BACK_OFFICE,
    "/gestion/dossiers/<int:contract_id>/adhesion": BACK_OFFICE, "/exports/prelevements-sepa": BACK_OFFICE,
    # Firms and accounts.
    "/administration/": ADMINISTRATOR, "/administration/cabinets": ADMINISTRATOR,
    "/administration/cabinets/nouveau": ADMINISTRATOR, "/administration/utilisateurs": ADMINISTRATOR,
    "/administration/utilisateurs/inviter": ADMINISTRATOR,
    "/administration/utilisateurs/<user_id>/desactiver": ADMINISTRATOR,
    "/administration/utilisateurs/<user_id>/reactiver": ADMINISTRATOR,
    "/administration/utilisateurs/<user_id>/renvoyer-lien": ADMINISTRATOR,
    # The client's own space.
    "/espace-client/": CLIENTS, "/espace-client/devis": CLIENTS, "/espace-client/contrats": CLIENTS,
    "/espace-client/mes-infos": CLIENTS, "/espace-client/devis/<int:quote_id>/document": CLIENTS,
    "/espace-client/contrats/<int:contract_id>/documents/<int:stored_file_id>": CLIENTS,
    "/espace-client/pieces/<int:piece_id>/fichiers": CLIENTS, "/espace-client/pieces/fichiers/<int:piece_file_id>": CLIENTS,
}
ENDS_THE_SESSION = {"/deconnexion", "/espace-client/deconnexion"}  # walked last


def refused_answer(rule: str, role: str, response) -> str | None:
    """What is wrong with `response` for a role refused on `rule` (None: the exact refusal)."""
    if role == ANONYMOUS:
        login = "/espace-client/connexion" if rule.startswith("/espace-client/") else "/connexion"
        location = response.headers.get("Location", "")
        return None if response.status_code == 302 and location.split("?")[0] == login else f"not sent to {login}"
    return None if response.status_code == 403 else "not 403"


def passed_answer(rule: str, response) -> str | None:
    """What is wrong with `response` for a role that may pass (None: it passed)."""
    if rule in ENDS_THE_SESSION:  # logged out, then to the login page
        return None if response.status_code == 302 else "not 302"
    location = response.headers.get("Location", "").split("?")[0]
    if response.status_code in (401, 403) or location in ("/connexion", "/espace-client/connexion"):
        return "refused"
    return "server error" if response.status_code >= 500 else None


def test_every_route_answers_each_role_as_the_roles_table_says(app, client, client_space, make_user, outbox):
    from portal.dossiers.models import PieceFile
    from portal.messaging.models import Message
    from portal.storage import StoredFile
    from tests.integration.test_dossiers import a_pdf

    rules = {rule.rule for rule in app.url_map.iter_rules()} - set(NOT_WALKED)
    assert not rules - set(ROLES_TABLE), f"add the route to the roles table: {sorted(rules - set(ROLES_TABLE))}"
    assert not set(ROLES_TABLE) - rules, f"no such route any more: {sorted(set(ROLES_TABLE) - rules)}"

    # The objects the routes name, created once: Jean Dupont's e-signed contract, its piece
    # sent from its client space, the broker's quote, client and agenda event; a user to deactivate.
    contract, customer = client_space
    piece = client_pieces()["rib"]
    assert upload(customer, piece, "rib.pdf", a_pdf()).status_code == 302
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    make_user(email="admin@mes-solutions-plus.fr", role=Role.ADMIN)
    quote = db.session.get(Quote, contract.quote_id)
    colleague = make_user(email="collegue@cabinet-demo.fr", firm=quote.firm)
    event_id = db.session.scalar(db.select(JournalEntry.id).where(JournalEntry.agenda_kind.is_not(None)))
    ids = {"quote_id": quote.id, "person_id": quote.person_id, "event_id": event_id, "contract_id": contract.id,
           "piece_id": piece.id, "piece_file_id": db.session.scalar(db.select(PieceFile.id)),
           "stored_file_id": db.session.scalar(db.select(StoredFile.id).where(StoredFile.owner_type == "contract")),
           "message_id": db.session.scalar(db.select(Message.id)), "user_id": colleague.id,
           "token": link_of(outbox).rsplit("/", 1)[1], "step": 1, "index": 1, "number": 1, "fmt": "csv",
           "code": "smat-active-tns", "product_code": "smat-active-tns", "kind": "ipid", "formula_code": "300"}
    browsers = {ANONYMOUS: IsolatedClient(app, app.response_class, use_cookies=True), BROKER: client, CLIENT: customer,
                BACKOFFICE: logged_in(app, "gestion@mes-solutions-plus.fr"),
                ADMIN: logged_in(app, "admin@mes-solutions-plus.fr")}
    tokens = {role: csrf_token(browser.get("/espace-client/" if role == CLIENT else "/connexion" if role == ANONYMOUS
                                           else "/").get_data(as_text=True))
              for role, browser in browsers.items()}

    walked = sorted((rule for rule in app.url_map.iter_rules() if rule.rule not in NOT_WALKED),
                    key=lambda rule: rule.rule in ENDS_THE_SESSION)
    wrong = []
    for rule in walked:
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})  # KeyError: add the id
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role, browser in browsers.items():
                if rule.rule in ENDS_THE_SESSION:  # the previous logout ended the session and its token
                    tokens[role] = csrf_token(browser.get("/mot-de-passe").get_data(as_text=True))
                data = {"csrf_token": tokens[role], "motif": "x", "donnee": "nir"} if method == "POST" else None
                response = browser.open(url, method=method, data=data)
                passes = role in ROLES_TABLE[rule.rule]
                problem = passed_answer(rule.rule, response) if passes else refused_answer(rule.rule, role, response)
                if problem:
                    wrong.append(f"{role} {method} {url} → {response.status_code} ({problem})")
    assert not wrong, "\n".join(wrong)
    # Only the back-office and the administrator had the NIR shown: one journal row each.
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)
                             .where(JournalEntry.action == "Donnée protégée affichée")) == 2
