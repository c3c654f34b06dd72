"""Failure counters and the first-connection e-mail under simultaneous login requests
(PostgreSQL: SQLite serialises every writer, so only there can a lost update show)."""
from __future__ import annotations

from portal.auth.models import LoginSource, LoginThrottle, Role, User
from portal.extensions import db
from portal.messaging.models import Message
from tests.conftest import IsolatedClient, csrf_token
from tests.integration.test_auth_bad_input import unlimited  # noqa: F401  fixture
from tests.integration.test_auth_login import WRONG, form_error
from tests.integration.test_reliability import postgresql_only, run_in_threads

PARALLEL = 8  # below the 10 failures after which the identifiant's slow-down starts


def prepared_posts(app, identifiant: str, addresses: list[str], answers: list):
    """One browser per address, its login page already open: posting is all that is left."""
    posts = []
    for address in addresses:
        browser = IsolatedClient(app, app.response_class, use_cookies=True)
        browser.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(browser.get("/connexion").get_data(as_text=True))

        def post(browser=browser, token=token):
            response = browser.post("/connexion", data={"csrf_token": token, "identifiant": identifiant,
                                                        "mot_de_passe": WRONG})
            answers.append((response.status_code, form_error(response)))
        posts.append(post)
    return posts


def test_parallel_wrong_passwords_from_many_addresses_all_count(app, broker, unlimited):
    postgresql_only()
    answers = []
    posts = prepared_posts(app, broker.email, [f"203.0.113.{n + 1}" for n in range(PARALLEL)], answers)
    assert run_in_threads(app, posts) == []
    assert answers == [(200, "Identifiant ou mot de passe incorrect.")] * PARALLEL
    db.session.expire_all()
    assert db.session.get(User, broker.id).failed_logins == PARALLEL
    assert db.session.scalars(db.select(LoginSource.failed_logins)).all() == [1] * PARALLEL


def test_parallel_wrong_passwords_for_an_unknown_identifiant_all_count(app, broker, unlimited):
    postgresql_only()
    answers = []
    posts = prepared_posts(app, "personne@cabinet-demo.fr", [f"203.0.113.{n + 1}" for n in range(PARALLEL)], answers)
    assert run_in_threads(app, posts) == []
    assert len(answers) == PARALLEL
    db.session.expire_all()
    assert db.session.scalars(db.select(LoginThrottle.failed_logins)).all() == [PARALLEL]


def test_parallel_wrong_passwords_from_one_address_count_every_refusal_they_got(app, broker, unlimited):
    postgresql_only()
    answers = []
    posts = prepared_posts(app, broker.email, ["203.0.113.1"] * PARALLEL, answers)
    assert run_in_threads(app, posts) == []
    # An attempt that arrives while the address must wait is refused before any check and
    # not counted; every other one is a counted failure.
    counted = [message for _, message in answers if not message.startswith("Trop de tentatives")]
    db.session.expire_all()
    [from_address] = db.session.scalars(db.select(LoginSource)).all()
    assert from_address.failed_logins == len(counted) >= 3
    assert db.session.get(User, broker.id).failed_logins == len(counted)


def test_parallel_logins_to_an_account_without_password_send_one_e_mail(app, make_firm, make_user, unlimited):
    postgresql_only()
    make_user(email="sans-mot-de-passe@cabinet-demo.fr", firm=make_firm(), password=None)
    answers = []
    posts = prepared_posts(app, "sans-mot-de-passe@cabinet-demo.fr",
                           [f"203.0.113.{n + 1}" for n in range(PARALLEL)], answers)
    assert run_in_threads(app, posts) == []
    assert answers == [(200, "Identifiant ou mot de passe incorrect.")] * PARALLEL
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_simultaneous_invitations_create_one_account_and_one_e_mail(app, client, broker, make_user, login, unlimited):
    postgresql_only()
    make_user(email="admin@mes-solutions-plus.fr", role=Role.ADMIN, firm=None)
    login("admin@mes-solutions-plus.fr")
    token = csrf_token(client.get("/administration/utilisateurs/inviter").get_data(as_text=True))
    cookie = client.get_cookie("session").value
    codes = []

    def invite():
        browser = IsolatedClient(app, app.response_class, use_cookies=True)
        browser.set_cookie("session", cookie)
        codes.append(browser.post("/administration/utilisateurs/inviter", data={
            "csrf_token": token, "email": "nouveau@cabinet-demo.fr", "prenom": "Léa", "nom": "Durand",
            "role": "broker", "cabinet": "Cabinet Démo Courtage"}).status_code)

    assert run_in_threads(app, [invite] * 5) == []
    assert codes == [302] * 5
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).where(User.email == "nouveau@cabinet-demo.fr")) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_simultaneous_first_connection_requests_send_one_e_mail(app, make_firm, make_user, unlimited):
    postgresql_only()
    make_user(email="nouveau@cabinet-demo.fr", firm=make_firm(), password=None)
    requests, codes = [], []
    for number in range(PARALLEL):
        browser = IsolatedClient(app, app.response_class, use_cookies=True)
        browser.environ_base["REMOTE_ADDR"] = f"203.0.113.{number + 1}"
        token = csrf_token(browser.get("/premiere-connexion").get_data(as_text=True))
        requests.append(lambda browser=browser, token=token: codes.append(browser.post(
            "/premiere-connexion", data={"csrf_token": token, "email": "nouveau@cabinet-demo.fr"}).status_code))
    assert run_in_threads(app, requests) == []
    assert codes == [302] * PARALLEL
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_simultaneous_logouts_each_move_the_session_epoch(app, broker):
    """A session epoch read in Python and written back loses moves: a session stamped in between
    would outlive a logout or a password change."""
    postgresql_only()
    from portal.auth.accounts import end_sessions

    user_id = broker.id
    errors = run_in_threads(app, [lambda: end_sessions(db.session.get(User, user_id))] * 8)
    assert errors == []
    db.session.expire_all()
    assert db.session.get(User, user_id).session_epoch == 8
