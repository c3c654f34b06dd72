"""Hostile input on every broker form: hypothesis sends arbitrary text and values, and no
answer is a 500 (SPEC §10). Then the classic attacks: session fixation, CSRF, open redirects
after login, over-long inputs."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.quotes.models import Quote
from tests.conftest import PASSWORD, IsolatedClient, csrf_token

pytestmark = pytest.mark.usefixtures("quote_day")

# Any text, including control characters, markup, very long strings and lone surrogates' neighbours.
anything = st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "<script>alert(1)</script>", "\x00", "é" * 5000,
                                                            "2026-02-30", "31/12/9999", "-1", "1e308", "%", "../../etc"]))
NEEDS_FIELDS = ["besoin_optique", "besoin_dentaire", "besoin_audiologie", "besoin_hospitalisation", "besoin_depassements",
                "date_effet", "regime", "code_postal", "ville", "date_naissance", "conjoint", "date_naissance_conjoint",
                "enfants", "nombre_enfants", "creation_key"]
CONTACT_FIELDS = ["civilite", "nom", "nom_naissance", "prenom", "date_naissance", "adresse", "adresse_complementaire",
                  "code_postal", "ville", "pays", "telephone_portable", "email", "sans_email", "action"]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(values=st.fixed_dictionaries({}, optional={name: anything for name in NEEDS_FIELDS}))
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


@FUZZ
@given(query=st.fixed_dictionaries({}, optional={"nom": anything, "objet": anything, "identifiant": anything,
                                                 "statut": anything, "page": anything, "filtre": anything,
                                                 "clotures": anything, "cabinet": anything}))
def test_searches_agenda_and_exports_never_answer_500(wizard, client, query):
    for path in ("/", "/portefeuille", "/exports/devis-non-transformes.csv"):
        assert client.get(path, query_string=query).status_code == 200


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
@given(product=anything, key=anything, event_id=st.integers(min_value=-5, max_value=2**63 - 1))
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
