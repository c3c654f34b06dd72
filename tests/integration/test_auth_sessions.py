"""Staff sessions and client sessions open different doors; an old-style cookie logs out."""
from __future__ import annotations

import pytest
from flask import session
from flask_login import login_user

from portal import create_app
from portal.auth.models import ClientAccount
from portal.auth.sessions import SESSION_EPOCH, client_required, load_account
from portal.extensions import db
from tests.conftest import PASSWORD, IsolatedClient, csrf_token


@pytest.fixture
def client_app(app):
    """The portal with a bare client page and a door that opens a client session directly, to
    test the sessions alone (the client space's own pages: test_client_space.py)."""
    portal = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "STORAGE_DIR",
        "MAIL_URL", "BASE_URL", "RATELIMIT_STORAGE_URI")} | {"INSTANCE_PATH": app.instance_path})

    @portal.get("/essai/espace-client")
    @client_required
    def client_page():
        return "espace client"

    @portal.get("/essai/connexion-client/<int:account_id>")
    def open_client_session(account_id):
        account = db.session.get(ClientAccount, account_id)
        login_user(account)
        session[SESSION_EPOCH] = account.session_epoch
        return "ok"

    yield portal
    with portal.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client_account(app):
    account = ClientAccount(email="client@exemple.fr")
    db.session.add(account)
    db.session.commit()
    return account


def browser(portal):
    return IsolatedClient(portal, portal.response_class, use_cookies=True)


def log_in_as_client(portal, account):
    visitor = browser(portal)
    assert visitor.get(f"/essai/connexion-client/{account.id}").status_code == 200
    return visitor


def test_a_client_session_opens_the_client_page(client_app, client_account):
    visitor = log_in_as_client(client_app, client_account)
    response = visitor.get("/essai/espace-client")
    assert response.status_code == 200 and response.get_data(as_text=True) == "espace client"


@pytest.mark.parametrize("path", ["/", "/portefeuille", "/vente-directe/SANTE", "/mot-de-passe"])
def test_a_client_session_cannot_open_a_broker_page(client_app, client_account, broker, path):
    visitor = log_in_as_client(client_app, client_account)
    response = visitor.get(path)
    if path == "/mot-de-passe":  # the staff page answers as to an anonymous visitor
        assert "Identifiant" in response.get_data(as_text=True)
        assert "client@exemple.fr" not in response.get_data(as_text=True)
    else:  # the session is a client's: refused, not "log in"
        assert response.status_code == 403


def test_a_staff_session_cannot_open_a_client_page(client_app, broker):
    visitor = browser(client_app)
    page = visitor.get("/connexion").get_data(as_text=True)
    visitor.post("/connexion", data={"csrf_token": csrf_token(page), "identifiant": broker.email, "mot_de_passe": PASSWORD})
    assert visitor.get("/").status_code == 200
    assert visitor.get("/essai/espace-client").status_code == 403


def test_nobody_logged_in_is_sent_to_the_client_login(client_app):
    response = browser(client_app).get("/essai/espace-client")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/espace-client/connexion?next=/essai/espace-client")


def test_a_deactivated_client_loses_its_session(client_app, client_account):
    visitor = log_in_as_client(client_app, client_account)
    client_account.active = False
    db.session.commit()
    response = visitor.get("/essai/espace-client")
    assert response.status_code == 302 and response.headers["Location"].startswith("/espace-client/connexion")


def test_session_ids_name_their_kind(broker, client_account):
    assert broker.get_id() == f"u:{broker.id}"
    assert client_account.get_id() == f"c:{client_account.id}"


def test_an_old_cookie_with_a_bare_id_logs_out_without_error(app, client, broker, login):
    login()
    assert client.get("/").status_code == 200
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(broker.id)  # as written before staff and client sessions were told apart
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("session_id", ["1", "", "u:", "u:abc", "u:²", "u:-1", "u:99999999999999999999999",
                                        "x:1", "c:1", ":1", "u:1:2", "\U0010ffff"])
def test_malformed_session_ids_load_nobody(app, broker, session_id):
    with app.test_request_context("/"):
        assert load_account(session_id) is None
