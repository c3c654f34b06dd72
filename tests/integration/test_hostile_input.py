"""Hostile input on every form, the broker's and the client space's: hypothesis sends arbitrary text and values, and no
answer is a 500 (SPEC §10). Then the classic attacks: session fixation, CSRF, open redirects
after login, over-long inputs."""
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.auth.models import Role
from portal.dossiers.models import Piece
from portal.extensions import db
from portal.quotes.models import Quote
from tests.conftest import PASSWORD, IsolatedClient, csrf_token
from tests.integration.test_client_space import client_space  # noqa: F401  fixture
from tests.integration.test_dossiers import a_pdf
from tests.strategies import BIG, anything

pytestmark = pytest.mark.usefixtures("quote_day")

NEEDS_FIELDS = ["besoin_optique", "besoin_dentaire", "besoin_audiologie", "besoin_hospitalisation", "besoin_depassements",
                "date_effet", "regime", "code_postal", "ville", "date_naissance", "conjoint", "date_naissance_conjoint",
                "enfants", "nombre_enfants", "creation_key"]
CONTACT_FIELDS = ["civilite", "nom", "nom_naissance", "prenom", "date_naissance", "adresse", "adresse_complementaire",
                  "code_postal", "ville", "pays", "telephone_portable", "email", "sans_email", "action"]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# A GET is cheap: the query strings get more examples, to meet the rarer characters.
QUERY_FUZZ = settings(FUZZ, max_examples=120)


YES_NO = st.one_of(st.sampled_from(["oui", "non"]), anything)  # "oui" opens the fields that follow


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={**{name: anything for name in NEEDS_FIELDS},
                                                  "conjoint": YES_NO, "enfants": YES_NO}))
def test_the_first_screen_never_answers_500(wizard, client, values):
    page = client.get("/vente-directe/smat-active-tns/devis").get_data(as_text=True)
    response = client.post("/vente-directe/smat-active-tns/devis", data={"csrf_token": csrf_token(page), **values})
    assert response.status_code in (302, 422), response.status_code


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={name: anything for name in CONTACT_FIELDS}),
       formula=anything, options=st.lists(anything, max_size=3))
def test_the_other_screens_never_answer_500(wizard, client, values, formula, options):
    if wizard.quote_id is None:
        wizard.needs()
    url = f"/devis/{wizard.quote_id}"
    token = csrf_token(client.get(f"{url}/solutions").get_data(as_text=True))
    response = client.post(f"{url}/solutions", data={"csrf_token": token, "formule": formula, "options": options})
    assert response.status_code in (302, 422)
    wizard.choose("300")
    response = client.post(f"{url}/coordonnees", data={"csrf_token": token, **values})
    assert response.status_code in (302, 422)


SEVERAL = st.one_of(anything, st.lists(anything, max_size=3))  # a checkbox list: ?statut=a&statut=b
QUERY = st.fixed_dictionaries({}, optional={"nom": anything, "objet": st.one_of(anything, st.sampled_from(["devis", "contrat"])),
                                            "identifiant": anything, "statut": SEVERAL, "page": anything,
                                            "filtre": anything, "clotures": anything, "cabinet": anything,
                                            "rechercher": anything, "code_postal": anything, "numero": anything,
                                            "produit": anything, "avancement": SEVERAL, "signature": SEVERAL,
                                            "anciennete": anything})
GET_PAGES = ("/", "/portefeuille", "/exports/devis-non-transformes.csv", "/exports/devis-non-transformes.xlsx",
             "/exports", "/api/communes")
BACKOFFICE_PAGES = ("/gestion/dossiers", "/journal")  # refused to a broker (403): fuzzed as the back-office
ANSWERS = {"/api/communes": (200, 400)}  # 400: "Code postal invalide", in JSON


@QUERY_FUZZ
@given(query=QUERY)
def test_searches_agenda_and_exports_never_answer_500(wizard, client, query):
    for path in GET_PAGES:
        assert client.get(path, query_string=query).status_code in ANSWERS.get(path, (200,)), path


@pytest.fixture
def backoffice(app, make_user):
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get("/connexion").get_data(as_text=True)
    browser.post("/connexion", data={"csrf_token": csrf_token(page), "identifiant": "gestion@mes-solutions-plus.fr",
                                     "mot_de_passe": PASSWORD})
    return browser


@QUERY_FUZZ
@given(query=QUERY)
def test_the_backoffice_searches_and_exports_never_answer_500(backoffice, query):
    for path in GET_PAGES + BACKOFFICE_PAGES:
        assert backoffice.get(path, query_string=query).status_code in ANSWERS.get(path, (200,)), path


# Each answered 500: "²".isdigit() is true but int("²") raises; the name search's upper bound
# was chr(0x10FFFF + 1), or chr(0xD7FF + 1), a surrogate no database encodes; an identifier
# "/5" has an empty number; numbers past the database's integers overflow.
BROKER_QUERIES_THAT_FAILED = [
    "/portefeuille?nom=%F4%8F%BF%BF", "/portefeuille?nom=a%F4%8F%BF%BF%F4%8F%BF%BF", "/portefeuille?nom=%ED%9F%BF",
    "/portefeuille?objet=devis&identifiant=TIS/%C2%B2&rechercher=1",
    "/portefeuille?objet=devis&identifiant=/5&rechercher=1",
    "/portefeuille?objet=devis&identifiant=RIS/99999999999999999999999&rechercher=1",
    "/portefeuille?page=%C2%B2", "/portefeuille?nom=%25&page=%D9%A3",
    # The same characters in the contract search's fields.
    "/portefeuille?objet=contrat&numero=%F4%8F%BF%BF&rechercher=1", "/portefeuille?objet=contrat&nom=%ED%9F%BF&rechercher=1",
    "/portefeuille?objet=contrat&nom=a%00b&numero=R%00&produit=%00&avancement=%00&signature=%C2%B2&rechercher=1",
    "/portefeuille?objet=contrat&rechercher=1&page=99999999999999999999999",
]
BACKOFFICE_QUERIES_THAT_FAILED = [
    "/exports/devis-non-transformes.csv?cabinet=%C2%B2", "/exports/devis-non-transformes.xlsx?cabinet=%C2%B2",
    "/exports/devis-non-transformes.csv?cabinet=99999999999999999999999",
    "/exports/devis-non-transformes.xlsx?cabinet=99999999999999999999999",
]


@pytest.mark.parametrize("path", BROKER_QUERIES_THAT_FAILED)
def test_queries_that_answered_500_answer_a_page(wizard, client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", BACKOFFICE_QUERIES_THAT_FAILED)
def test_backoffice_queries_that_answered_500_answer_a_page(backoffice, path):
    assert backoffice.get(path).status_code == 200


def test_odd_characters_in_a_name_search_still_find_by_prefix(wizard, client):
    wizard.walk()
    assert "DUPONT" in client.get("/portefeuille?nom=dup").get_data(as_text=True)
    for absent in ("%F4%8F%BF%BF", "dupont%F4%8F%BF%BF", "%ED%9F%BF", "%EF%BF%BF"):
        response = client.get(f"/portefeuille?nom={absent}")
        assert response.status_code == 200 and "DUPONT" not in response.get_data(as_text=True), absent


def test_a_version_searched_in_other_digits_is_not_read_as_a_number(wizard, client):
    wizard.walk()
    # "١" is an Arabic-Indic one, which int() would read as 1: the version is ignored instead.
    found = client.get("/portefeuille?objet=devis&identifiant=RIS-0000000001/%D9%A1&rechercher=1")
    assert "RIS-0000000001" in found.get_data(as_text=True)
    absent = client.get("/portefeuille?objet=devis&identifiant=RIS-0000000001/2&rechercher=1")
    assert "Pas de résultat" in absent.get_data(as_text=True)


@FUZZ
@given(identifiant=anything, password=anything, next_url=anything)
def test_login_never_answers_500(app, identifiant, password, next_url):
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get("/connexion").get_data(as_text=True)
    response = browser.post("/connexion", query_string={"next": next_url},
                            data={"csrf_token": csrf_token(page), "identifiant": identifiant, "mot_de_passe": password})
    assert response.status_code in (200, 302, 422, 429)


def test_a_new_session_is_issued_at_login_and_a_copied_cookie_dies_at_logout(client, broker):
    page = client.get("/connexion")
    before = client.get_cookie("session")
    client.post("/connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                    "identifiant": broker.email, "mot_de_passe": PASSWORD})
    after = client.get_cookie("session")
    assert before is not None and after is not None and before.value != after.value
    assert client.get("/").status_code == 200
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    client.set_cookie("session", after.value)  # someone replays the cookie copied while logged in
    response = client.get("/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_changing_the_password_ends_the_other_sessions(app, broker):
    def browser():
        b = IsolatedClient(app, app.response_class, use_cookies=True)
        page = b.get("/connexion").get_data(as_text=True)
        b.post("/connexion", data={"csrf_token": csrf_token(page), "identifiant": broker.email, "mot_de_passe": PASSWORD})
        assert b.get("/").status_code == 200
        return b
    phone, desk = browser(), browser()
    page = desk.get("/mot-de-passe").get_data(as_text=True)
    new = "Nouveau+MotDePasse2026"
    response = desk.post("/mot-de-passe", data={"csrf_token": csrf_token(page), "mot_de_passe_actuel": PASSWORD,
                                                "nouveau_mot_de_passe": new, "confirmation": new})
    assert response.status_code == 302
    assert desk.get("/").status_code == 200  # the session that changed it goes on
    assert phone.get("/").status_code == 302  # the other one ends


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "http:/evil.example", "/%0d%0aSet-Cookie:x=1"])
def test_login_never_redirects_elsewhere(client, broker, target):
    page = client.get("/connexion", query_string={"next": target}).get_data(as_text=True)
    response = client.post("/connexion", query_string={"next": target}, data={
        "csrf_token": csrf_token(page), "identifiant": broker.email, "mot_de_passe": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/", "http://localhost/") or location.startswith("/") and not location.startswith("//")
    assert "evil" not in location


@pytest.mark.parametrize("path", ["/vente-directe/smat-active-tns/devis", "/agenda/1/cloturer", "/devis/1/valider",
                                  "/devis/1/dupliquer", "/clients/1/nouveau-devis"])
def test_every_post_without_csrf_token_is_refused(wizard, client, path):
    assert client.post(path, data={"produit": "smat-serenite"}).status_code == 400


def test_over_long_inputs_are_refused_politely(wizard, client):
    page = client.get("/vente-directe/smat-active-tns/devis").get_data(as_text=True)
    response = client.post("/vente-directe/smat-active-tns/devis",
                           data={"csrf_token": csrf_token(page), "code_postal": "1" * 100_000, "date_naissance": "x" * 100_000})
    assert response.status_code == 422
    assert "Code postal invalide" in response.get_data(as_text=True)
    # A body over the configured limit is a 413 page, not a crash.
    huge = client.post("/vente-directe/smat-active-tns/devis", data={"csrf_token": csrf_token(page), "nom": "x" * (26 * 1024 * 1024)})
    assert huge.status_code == 413
    assert db.session.scalar(db.select(db.func.count()).select_from(Quote)) == 0


@FUZZ
@given(email=anything, current=anything, new=anything, confirmation=anything)
def test_the_password_forms_never_answer_500(app, broker, email, current, new, confirmation):
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get("/premiere-connexion").get_data(as_text=True)
    assert browser.post("/premiere-connexion", data={"csrf_token": csrf_token(page), "email": email}).status_code in (
        200, 302, 422, 429)
    page = browser.get("/mot-de-passe").get_data(as_text=True)
    response = browser.post("/mot-de-passe", data={"csrf_token": csrf_token(page), "identifiant": email,
                                                   "mot_de_passe_actuel": current, "nouveau_mot_de_passe": new,
                                                   "confirmation": confirmation})
    assert response.status_code in (200, 302, 422, 429)


@FUZZ
@given(product=anything, key=anything, event_id=st.integers(min_value=-5, max_value=BIG))
def test_the_synthesis_and_agenda_actions_never_answer_500(wizard, client, product, key, event_id):
    if wizard.quote_id is None:
        wizard.walk()
    quote = db.session.scalar(db.select(Quote).where(Quote.number.is_not(None)))
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(f"/clients/{quote.person_id}/nouveau-devis",
                           data={"csrf_token": token, "produit": product, "creation_key": key})
    assert response.status_code == 302
    assert client.post(f"/agenda/{event_id}/cloturer", data={"csrf_token": token}).status_code in (302, 404)
    response = client.post(f"/devis/{quote.id}/dupliquer", data={"csrf_token": token, "creation_key": key})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/?filtre=a%00b", "/portefeuille?nom=a%00b", "/portefeuille?objet=devis&identifiant=R%00&rechercher=1",
                                  "/exports/devis-non-transformes.csv?cabinet=%00"])
def test_a_nul_byte_in_a_search_is_ignored(wizard, client, path):
    assert client.get(path).status_code == 200


def test_a_nul_byte_left_with_precedent_is_kept_without_it(wizard, client):
    wizard.needs()
    wizard.choose("300")
    page = client.get(f"/devis/{wizard.quote_id}/coordonnees").get_data(as_text=True)
    response = client.post(f"/devis/{wizard.quote_id}/coordonnees", data={
        "csrf_token": csrf_token(page), "nom": "Dup\x00ont", "action": "precedent"})
    assert response.status_code == 302
    assert 'value="Dupont"' in client.get(f"/devis/{wizard.quote_id}/coordonnees").get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# The client space: its login, "Mot de passe oublié ?", its pages and forms


@FUZZ
@given(identifiant=anything, password=anything, next_url=anything, email=anything)
def test_the_client_login_and_forgotten_password_never_answer_500(app, identifiant, password, next_url, email):
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get("/espace-client/connexion").get_data(as_text=True)
    response = browser.post("/espace-client/connexion", query_string={"next": next_url}, data={
        "csrf_token": csrf_token(page), "identifiant": identifiant, "mot_de_passe": password})
    assert response.status_code in (200, 302, 429)
    page = browser.get("/espace-client/mot-de-passe-oublie").get_data(as_text=True)
    response = browser.post("/espace-client/mot-de-passe-oublie", data={"csrf_token": csrf_token(page), "email": email})
    assert response.status_code in (200, 302, 429)


CLIENT_PAGES = ("/espace-client/", "/espace-client/mes-infos", "/espace-client/devis", "/espace-client/contrats")


@QUERY_FUZZ
@given(query=QUERY)
def test_the_client_pages_never_answer_500(client_space, query):
    _, browser = client_space
    for path in CLIENT_PAGES:
        assert browser.get(path, query_string=query).status_code == 200, path


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={name: anything for name in
                                                  ("adresse", "adresse_complementaire", "code_postal", "ville")}),
       file_name=anything)
def test_the_client_forms_never_answer_500(client_space, values, file_name):
    _, browser = client_space
    page = browser.get("/espace-client/mes-infos").get_data(as_text=True)
    response = browser.post("/espace-client/mes-infos", data={"csrf_token": csrf_token(page), **values})
    assert response.status_code in (302, 422)
    piece = db.session.scalars(db.select(Piece).order_by(Piece.id)).first()
    response = browser.post(f"/espace-client/pieces/{piece.id}/fichiers", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "fichier": (io.BytesIO(a_pdf()), file_name)})
    assert response.status_code in (302, 422)


@pytest.mark.parametrize("path", ["/espace-client/connexion", "/espace-client/mot-de-passe-oublie",
                                  "/espace-client/deconnexion", "/espace-client/mes-infos"])
def test_every_client_post_without_csrf_token_is_refused(client_space, path):
    _, browser = client_space
    assert browser.post(path, data={"identifiant": "x@exemple.fr", "email": "x@exemple.fr"}).status_code == 400
