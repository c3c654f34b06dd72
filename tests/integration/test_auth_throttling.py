"""Guessing is slowed per identifiant and address, without locking the owner out; an account
without a password answers like a wrong password and e-mails its owner the link."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from freezegun import freeze_time

from portal.auth.models import LoginSource, User
from portal.clock import as_utc
from portal.extensions import db
from tests.conftest import PASSWORD, IsolatedClient
from tests.integration.test_auth_bad_input import unlimited  # noqa: F401  fixture
from tests.integration.test_auth_login import WRONG, form_error, post_login

START = "2026-03-02 09:00:00"
LOCKED = "Compte temporairement verrouillé après plusieurs tentatives infructueuses"


def from_address(app, address: str) -> IsolatedClient:
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_a_guesser_locked_at_its_address_does_not_lock_the_owner_out(app, broker, unlimited):
    guesser, owner = from_address(app, "203.0.113.9"), from_address(app, "198.51.100.7")
    with freeze_time(START) as frozen:
        for _ in range(5):
            post_login(guesser, broker.email, WRONG)
            frozen.tick(timedelta(seconds=31))
        assert form_error(post_login(guesser, broker.email, PASSWORD)).startswith(LOCKED)
        response = post_login(owner, broker.email, PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        # The owner's login does not lift the guesser's lock.
        assert form_error(post_login(guesser, broker.email, PASSWORD)).startswith(LOCKED)


def test_guesses_spread_over_many_addresses_wait_longer_and_longer(app, broker, unlimited):
    waits = []
    with freeze_time(START) as frozen:
        for number in range(16):
            at = datetime.now(timezone.utc)
            post_login(from_address(app, f"203.0.113.{number + 1}"), broker.email, WRONG)
            db.session.expire_all()
            user = db.session.get(User, broker.id)
            waits.append(None if user.locked_until is None else (as_utc(user.locked_until) - at).total_seconds())
            frozen.tick(timedelta(minutes=2))
    assert waits == [None] * 9 + [1, 2, 4, 8, 16, 32, 60]
    assert user.failed_logins == 16


def test_the_slow_down_refuses_new_addresses_but_lets_the_owners_known_address_in(app, broker, unlimited):
    owner = from_address(app, "198.51.100.7")
    with freeze_time(START) as frozen:
        assert post_login(owner, broker.email, PASSWORD).status_code == 302
        owner = from_address(app, "198.51.100.7")  # another day, the same office
        for number in range(12):
            frozen.tick(timedelta(minutes=2))
            post_login(from_address(app, f"203.0.113.{number + 1}"), broker.email, WRONG)
        # 12th failure: the next attempt from anywhere else waits 4 seconds.
        newcomer = from_address(app, "192.0.2.1")
        assert form_error(post_login(newcomer, broker.email, PASSWORD)) == (
            "Trop de tentatives infructueuses : patientez 4 secondes avant de réessayer.")
        response = post_login(owner, broker.email, PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        frozen.tick(timedelta(seconds=5))
        assert post_login(newcomer, broker.email, PASSWORD).status_code == 302


def test_an_unknown_identifiant_is_slowed_down_like_an_account(app, broker, unlimited):
    answers = {}
    for identifiant in (broker.email, "personne@cabinet-demo.fr"):
        with freeze_time(START) as frozen:
            for number in range(11):
                frozen.tick(timedelta(minutes=2))
                post_login(from_address(app, f"203.0.113.{number + 1}"), identifiant, WRONG)
            answers[identifiant] = form_error(post_login(from_address(app, "192.0.2.1"), identifiant, WRONG))
    assert answers == {broker.email: "Trop de tentatives infructueuses : patientez 2 secondes avant de réessayer.",
                       "personne@cabinet-demo.fr": "Trop de tentatives infructueuses : patientez 2 secondes avant de réessayer."}


def test_only_digests_are_kept_about_addresses(app, broker, unlimited):
    post_login(from_address(app, "203.0.113.9"), broker.email, WRONG)
    [row] = db.session.scalars(db.select(LoginSource)).all()
    assert len(row.key) == 64 and "203.0.113.9" not in row.key and broker.email not in row.key
    assert row.failed_logins == 1


def test_no_password_yet_answers_like_a_wrong_password_and_e_mails_the_link_once(client, make_firm, make_user, outbox, unlimited):
    firm = make_firm()
    make_user(email="sans-mot-de-passe@cabinet-demo.fr", firm=firm, password=None)
    make_user(email="avec-mot-de-passe@cabinet-demo.fr", firm=firm)
    with freeze_time(START) as frozen:
        answers = [form_error(post_login(client, identifiant, WRONG)) for identifiant in
                   ("sans-mot-de-passe@cabinet-demo.fr", "avec-mot-de-passe@cabinet-demo.fr", "personne@cabinet-demo.fr")]
        assert answers == ["Identifiant ou mot de passe incorrect."] * 3
        assert [m.to for m in outbox()] == ["sans-mot-de-passe@cabinet-demo.fr"]
        frozen.tick(timedelta(minutes=14))
        post_login(client, "sans-mot-de-passe@cabinet-demo.fr", WRONG)
        assert len(outbox()) == 1  # one e-mail per 15 minutes, whoever tries
        frozen.tick(timedelta(minutes=1, seconds=1))
        post_login(client, "sans-mot-de-passe@cabinet-demo.fr", WRONG)
        assert len(outbox()) == 2
    assert "http://localhost/mot-de-passe/initialiser/" in outbox()[-1].body_text


def test_a_deactivated_account_without_password_gets_no_e_mail(client, make_firm, make_user, outbox):
    make_user(email="parti@cabinet-demo.fr", firm=make_firm(), password=None, active=False)
    assert form_error(post_login(client, "parti@cabinet-demo.fr", WRONG)) == "Identifiant ou mot de passe incorrect."
    assert outbox() == []
