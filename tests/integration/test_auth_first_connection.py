""""Première connexion": the e-mailed single-use link and the creation of the password."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from freezegun import freeze_time

from portal.journal.models import JournalEntry
from portal.auth.models import AuthToken
from portal.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.integration.test_auth_login import form_error, post_login

SUBJECT = "Mes Solutions Plus - Initialisation de votre mot de passe"
SENT = "Si un compte existe pour cette adresse, un e-mail vient de vous être envoyé"
NEW_PASSWORD = "Nouveau-Secret-2026"
LINK = re.compile(r"http://localhost(/mot-de-passe/initialiser/[A-Za-z0-9_-]+)")



@pytest.fixture
def newcomer(make_firm, make_user):
    """A broker created without a password: it must go through "Première connexion"."""
    return make_user(firm=make_firm(), password=None, first_name="Claire", last_name="Martin")


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def ask_link(client, email, **kwargs):
    page = client.get("/premiere-connexion", **kwargs)
    return client.post("/premiere-connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email},
                       **kwargs)


def link_in(message) -> str:
    found = LINK.findall(message.body_text)
    assert found, message.body_text
    assert found[0] in message.body_html
    return found[0]


def set_password(client, path, new, confirmation=None):
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                   "nouveau_mot_de_passe": new,
                                   "confirmation": new if confirmation is None else confirmation})


def test_first_connection_page(client):
    page = text(client.get("/premiere-connexion"))
    assert "<h1>Première connexion</h1>" in page
    assert '<label for="email">E-mail professionnel</label>' in page
    assert "Recevoir le lien" in page


def test_the_login_page_leads_to_first_connection(client):
    assert 'href="/premiere-connexion"' in client.get("/connexion").get_data(as_text=True)


def test_first_connection_end_to_end(client, newcomer, outbox):
    response = ask_link(client, "Courtier@Cabinet-Demo.fr")
    assert response.status_code == 302 and response.headers["Location"] == "/premiere-connexion/envoye"
    assert SENT in text(client.get(response.headers["Location"]))

    [message] = outbox()
    assert message.subject == SUBJECT
    assert message.to == "courtier@cabinet-demo.fr"
    assert message.cc == ""
    assert "Bonjour Claire Martin," in message.body_text
    assert "valable 24 heures" in message.body_text
    assert "Ce message est envoyé automatiquement, merci de ne pas y répondre directement." in message.body_text
    path = link_in(message)
    # Only the hash of the token is stored.
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(db.select(AuthToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert stored.purpose == "password_init"

    page = text(client.get(path))
    assert "<h1>Créer votre mot de passe</h1>" in page
    assert '<label for="nouveau_mot_de_passe">Nouveau mot de passe</label>' in page
    assert '<label for="confirmation">Confirmation du mot de passe</label>' in page

    weak = {
        "Court-1a": "Le mot de passe doit contenir au moins 12 caractères.",
        "sans-majuscule-2026": "Le mot de passe doit contenir au moins une lettre majuscule.",
        "SANS-MINUSCULE-2026": "Le mot de passe doit contenir au moins une lettre minuscule.",
        "Sans-Chiffre-Du-Tout": "Le mot de passe doit contenir au moins un chiffre.",
        "SansSpecial2026abc": "Le mot de passe doit contenir au moins un caractère spécial",
    }
    for password, rule in weak.items():
        response = set_password(client, path, password)
        assert response.status_code == 200
        body = text(response)
        assert rule in body, password
        # The message sits next to the field it is about.
        assert re.search(r'id="nouveau_mot_de_passe-error(?:-\d+)?" role="alert">' + re.escape(rule), body), password
    # Several rules broken at once: each is named.
    body = text(set_password(client, path, "court"))
    for rule in ["au moins 12 caractères", "une lettre majuscule", "un chiffre", "un caractère spécial"]:
        assert rule in body

    body = text(set_password(client, path, NEW_PASSWORD, "Autre-Secret-2026"))
    assert "La confirmation ne correspond pas au nouveau mot de passe." in body
    assert re.search(r'id="confirmation-error" role="alert">La confirmation', body)

    response = set_password(client, path, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "Votre mot de passe a été enregistré. Vous pouvez vous connecter." in text(client.get("/connexion"))
    assert db.session.scalar(db.select(JournalEntry).where(JournalEntry.action == "password_initialised")).object_id == newcomer.id
    db.session.refresh(stored)
    assert stored.used_at is not None

    assert post_login(client, "courtier@cabinet-demo.fr", NEW_PASSWORD).headers["Location"] == "/"
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})

    # The same link a second time: refused, on a page that offers a new one.
    reused = client.get(path)
    assert reused.status_code == 410
    assert "Ce lien n'est plus valable" in text(reused)
    assert 'href="/premiere-connexion"' in reused.get_data(as_text=True)
    page = text(client.get("/connexion"))
    again = client.post(path, data={"csrf_token": csrf_token(page), "nouveau_mot_de_passe": "Encore-Autre-2026!",
                                    "confirmation": "Encore-Autre-2026!"})
    assert again.status_code == 410
    assert post_login(client, "courtier@cabinet-demo.fr", NEW_PASSWORD).headers["Location"] == "/"


def test_unknown_email_gets_the_identical_page_and_no_message(client, newcomer, outbox):
    known = ask_link(client, "courtier@cabinet-demo.fr")
    unknown = ask_link(client, "personne@cabinet-demo.fr")
    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert client.get(unknown.headers["Location"]).get_data() == client.get(known.headers["Location"]).get_data()
    assert [m.to for m in outbox()] == ["courtier@cabinet-demo.fr"]


def test_an_inactive_account_gets_no_link(client, make_firm, make_user, outbox):
    make_user(firm=make_firm(), password=None, active=False)
    assert ask_link(client, "courtier@cabinet-demo.fr").headers["Location"] == "/premiere-connexion/envoye"
    assert outbox() == []


def test_an_invalid_email_is_named_next_to_the_field(client, outbox):
    response = ask_link(client, "pas-une-adresse")
    assert response.status_code == 200
    assert re.search(r'id="email-error" role="alert">Adresse e-mail invalide', text(response))
    assert outbox() == []


def test_the_link_expires_after_24_hours(client, newcomer, outbox):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        ask_link(client, newcomer.email)
        path = link_in(outbox()[0])
        frozen.tick(timedelta(hours=23, minutes=59))
        assert client.get(path).status_code == 200
        frozen.tick(timedelta(hours=1, minutes=1))  # 25 hours after the request
        response = client.get(path)
        assert response.status_code == 410
        assert "Ce lien n'est plus valable" in text(response)
        page = client.get("/connexion").get_data(as_text=True)
        posted = client.post(path, data={"csrf_token": csrf_token(page), "nouveau_mot_de_passe": NEW_PASSWORD,
                                         "confirmation": NEW_PASSWORD})
        assert posted.status_code == 410
    db.session.refresh(newcomer)
    assert newcomer.password_hash is None


def test_a_new_request_replaces_the_previous_link(client, newcomer, outbox):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        ask_link(client, newcomer.email)
        frozen.tick(timedelta(minutes=5, seconds=1))
        ask_link(client, newcomer.email)
        first, second = (link_in(m) for m in outbox())
        assert first != second
        assert client.get(first).status_code == 410
        assert client.get(second).status_code == 200


@pytest.mark.parametrize("path", ["/mot-de-passe/initialiser/inconnu", "/mot-de-passe/initialiser/" + "a" * 500,
                                  "/mot-de-passe/initialiser/%00%01"])
def test_a_tampered_link_is_refused_cleanly(client, path):
    response = client.get(path)
    assert response.status_code == 410
    assert "Ce lien n'est plus valable" in text(response)


def test_forgotten_password_uses_the_same_flow(client, broker, outbox):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        for _ in range(5):
            post_login(client, broker.email, "Mauvais-Secret-1")
            frozen.tick(timedelta(seconds=31))
        assert "verrouillé" in form_error(post_login(client, broker.email, PASSWORD))
        ask_link(client, broker.email)
        [message] = outbox()
        assert message.subject == SUBJECT
        assert "Une demande de nouveau mot de passe" in message.body_text
        assert set_password(client, link_in(message), NEW_PASSWORD).status_code == 302
        # The new password opens the account at once: the lock is lifted.
        frozen.tick(timedelta(seconds=5))
        assert post_login(client, broker.email, NEW_PASSWORD).headers["Location"] == "/"
    assert db.session.scalar(db.select(JournalEntry).where(JournalEntry.action == "password_reset")) is not None


def test_first_connection_requests_are_rate_limited(client, outbox):
    for number in range(5):
        assert ask_link(client, f"personne{number}@exemple.fr").status_code == 302
    response = ask_link(client, "encore@exemple.fr")
    assert response.status_code == 429
    assert "Trop de tentatives" in text(response)


def test_repeated_requests_send_one_e_mail_per_five_minutes_and_keep_its_link(client, newcomer, outbox):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        for _ in range(3):
            assert ask_link(client, newcomer.email).status_code == 302
            frozen.tick(timedelta(minutes=1))
        [message] = outbox()
        assert client.get(link_in(message)).status_code == 200  # the link sent first still works
        frozen.tick(timedelta(minutes=2, seconds=1))  # 5 minutes after the first
        ask_link(client, newcomer.email)
        assert len(outbox()) == 2
