"""The login page: credentials, slow-down and lock, rate limits, redirects, session, logout."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from freezegun import freeze_time

from portal.journal.models import JournalEntry
from portal.auth.models import LoginThrottle, User
from portal.extensions import db, limiter
from tests.conftest import IsolatedClient, PASSWORD, csrf_token

WRONG = "Pas-le-bon-mot-de-passe-1"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def form_error(response) -> str | None:
    """The message shown above the login form, if any."""
    match = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
    if not match:
        return None
    return " ".join(unescape(m).strip() for m in re.findall(r"<p[^>]*>(.*?)</p>", match.group(1), re.S))


def post_login(client, identifiant, password, next_url=None, **kwargs):
    url = "/connexion" + (f"?next={next_url}" if next_url else "")
    page = client.get(url, **kwargs)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "identifiant": identifiant, "mot_de_passe": password}, **kwargs)


def test_login_page_shows_the_guide_labels(client):
    page = text(client.get("/connexion"))
    assert "<h1>Bienvenue</h1>" in page
    assert '<label for="identifiant">Identifiant</label>' in page
    assert '<label for="mot_de_passe">Mot de passe</label>' in page
    assert ">Connexion</button>" in page
    assert ">Changer le mot de passe</button>" in page
    assert 'action="/mot-de-passe"' in page
    assert '<a href="/premiere-connexion">Première connexion ? Cliquez ici</a>' in page


def test_home_requires_login_with_a_french_message(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
    assert "Connectez-vous pour accéder à cette page." in text(client.get(response.headers["Location"]))


def test_successful_login_reaches_home_with_firm_and_logout(client, broker, login):
    response = login(follow=False)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = text(client.get("/"))
    assert "<h1>Accueil</h1>" in home
    assert "Cabinet Démo Courtage" in home
    assert "Se déconnecter" in home
    db.session.refresh(broker)
    assert broker.last_login_at is not None
    assert broker.failed_logins == 0


def test_identifiant_is_case_insensitive_and_trimmed(client, broker):
    response = post_login(client, "  Courtier@Cabinet-Demo.FR ", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_wrong_password_is_refused_and_the_identifiant_kept(client, broker):
    response = post_login(client, broker.email, WRONG)
    assert response.status_code == 200
    assert form_error(response) == "Identifiant ou mot de passe incorrect."
    assert f'value="{broker.email}"' in response.get_data(as_text=True)
    assert WRONG not in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_identifiant_gets_the_same_message(client, broker):
    response = post_login(client, "inconnu@cabinet-demo.fr", WRONG)
    assert response.status_code == 200
    assert form_error(response) == "Identifiant ou mot de passe incorrect."


def test_empty_fields_are_named_next_to_the_field(client):
    page = client.get("/connexion")
    response = client.post("/connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                               "identifiant": "", "mot_de_passe": ""})
    body = text(response)
    assert "Saisissez votre identifiant (votre e-mail professionnel)." in body
    assert "Saisissez votre mot de passe." in body


def test_user_without_password_is_answered_as_a_wrong_password(client, make_firm, make_user):
    make_user(firm=make_firm(), password=None)
    response = post_login(client, "courtier@cabinet-demo.fr", WRONG)
    assert form_error(response) == "Identifiant ou mot de passe incorrect."
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, make_firm, make_user):
    make_user(firm=make_firm(), active=False)
    response = post_login(client, "courtier@cabinet-demo.fr", PASSWORD)
    assert response.status_code == 200
    assert form_error(response) == "Ce compte est désactivé. Contactez votre administrateur."
    assert client.get("/").status_code == 302


def test_deactivated_user_loses_an_open_session(client, broker, login):
    login()
    assert client.get("/").status_code == 200
    broker.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def _failure_sequence(client, identifiant, frozen):
    """Messages of: 3 failures, an early retry, a 4th and 5th failure, a retry during the lock."""
    messages = []
    for _ in range(3):
        messages.append(form_error(post_login(client, identifiant, WRONG)))
    messages.append(form_error(post_login(client, identifiant, PASSWORD)))  # too early, even if right
    frozen.tick(timedelta(seconds=31))
    messages.append(form_error(post_login(client, identifiant, WRONG)))
    frozen.tick(timedelta(seconds=31))
    messages.append(form_error(post_login(client, identifiant, WRONG)))
    frozen.tick(timedelta(minutes=10))
    messages.append(form_error(post_login(client, identifiant, PASSWORD)))
    return messages


def test_repeated_failures_slow_down_then_lock_then_unlock(client, broker):
    # 09:00 UTC is 10:00 in Paris on 2 March.
    with freeze_time("2026-03-02 09:00:00") as frozen:
        messages = _failure_sequence(client, broker.email, frozen)
        assert messages[:3] == [
            "Identifiant ou mot de passe incorrect.",
            "Identifiant ou mot de passe incorrect.",
            "Identifiant ou mot de passe incorrect. Après plusieurs essais infructueux, "
            "patientez 30 secondes avant de réessayer.",
        ]
        assert messages[3] == "Trop de tentatives infructueuses : patientez 30 secondes avant de réessayer."
        assert messages[4].startswith("Identifiant ou mot de passe incorrect. Après plusieurs essais")
        # 5th failure at 09:01:02 UTC: locked until 09:16:02 UTC, 10:16:02 in Paris, shown as 10:17.
        lock = "Compte temporairement verrouillé après plusieurs tentatives infructueuses, réessayez après 10:17."
        assert messages[5] == lock
        assert messages[6] == lock  # the right password does not open a locked account
        assert client.get("/").status_code == 302
        assert db.session.scalar(db.select(JournalEntry).where(JournalEntry.action == "account_locked")) is not None

        frozen.tick(timedelta(minutes=5, seconds=1))  # 09:16:03, after the lock
        response = post_login(client, broker.email, PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.refresh(broker)
    assert broker.failed_logins == 0 and broker.locked_until is None


def test_an_unknown_identifiant_slows_down_and_locks_exactly_like_an_account(client, broker):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        known = _failure_sequence(client, broker.email, frozen)
    limiter.reset()
    with freeze_time("2026-03-02 09:00:00") as frozen:
        unknown = _failure_sequence(client, "personne@cabinet-demo.fr", frozen)
    assert unknown == known
    # Nothing readable is kept about the unknown identifiant.
    row = db.session.scalar(db.select(LoginThrottle))
    assert row.key != "personne@cabinet-demo.fr" and len(row.key) == 64


def test_failures_are_forgotten_after_a_day(client, broker):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        for _ in range(2):
            post_login(client, broker.email, WRONG)
        frozen.tick(timedelta(hours=25))
        limiter.reset()
        assert form_error(post_login(client, broker.email, WRONG)) == "Identifiant ou mot de passe incorrect."
    db.session.refresh(broker)
    assert broker.failed_logins == 1


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "http://evil.com/x", "/\\evil.com",
                                    "\\\\evil.com", "javascript:alert(1)", "/%09/evil.com"])
def test_next_never_leaves_the_site(client, broker, target):
    response = post_login(client, broker.email, PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_local_page_is_followed(client, broker):
    response = post_login(client, broker.email, PASSWORD, next_url="/portefeuille")
    assert response.headers["Location"] == "/portefeuille"


def test_the_next_of_the_login_redirect_round_trips(client, broker):
    location = client.get("/portefeuille").headers["Location"]
    page = client.get(location)
    action = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(unescape(action), data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                   "identifiant": broker.email, "mot_de_passe": PASSWORD})
    assert response.headers["Location"] == "/portefeuille"


def test_a_logged_in_user_opening_the_login_page_goes_home(client, broker, login):
    login()
    response = client.get("/connexion")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_post_without_csrf_token_is_a_french_400(client, broker):
    response = client.post("/connexion", data={"identifiant": broker.email, "mot_de_passe": PASSWORD})
    assert response.status_code == 400
    assert "Formulaire expiré" in text(response)
    assert client.get("/").status_code == 302


def test_session_is_renewed_at_login(app, client, broker, login):
    client.get("/connexion")
    with client.session_transaction() as session:
        session["prepared"] = "par un tiers"
    before = client.get_cookie("session").value
    login()
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "prepared" not in session
    # Whoever kept the cookie from before the login is not logged in.
    other = IsolatedClient(app, app.response_class, use_cookies=True)
    other.set_cookie("session", before)
    assert other.get("/").status_code == 302


def test_logout(client, broker, login):
    login()
    home = client.get("/").get_data(as_text=True)
    response = client.post("/deconnexion", data={"csrf_token": csrf_token(home)})
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "Vous êtes déconnecté." in text(client.get("/connexion"))
    assert client.get("/").status_code == 302


def test_logout_is_a_post_with_its_token(client, broker, login):
    login()
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/").status_code == 200


def test_control_characters_in_the_identifiant_are_a_plain_refusal(client, broker):
    for identifiant in ["courtier\x00@cabinet-demo.fr", "a" * 300, "courtier@cabinet-demo.fr\n"]:
        response = post_login(client, identifiant, WRONG)
        assert response.status_code == 200


def test_a_successful_login_rehashes_an_outdated_hash(client, broker):
    from argon2 import PasswordHasher

    broker.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.session.commit()
    old = broker.password_hash
    assert post_login(client, broker.email, PASSWORD).status_code == 302
    db.session.refresh(broker)
    assert broker.password_hash != old
    assert db.session.get(User, broker.id).password_hash.startswith("$argon2id$")
