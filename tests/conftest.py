"""Fixtures: an application on a fresh database per test, a client, factories, the outbox.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is set
(CI runs the whole suite on both). Tables are created once per session and emptied after
each test.
"""
from __future__ import annotations

import contextvars
import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from portal import create_app
from portal.auth.models import Firm, Role, User
from argon2 import PasswordHasher

from portal.auth import passwords
from portal.auth.passwords import hash_password
from portal.extensions import db, limiter

PASSWORD = "MesSolutions+2026"

# argon2 at production cost is most of the suite's time: tests hash with cheap parameters.
# tests/unit/test_auth_rules.py keeps one test on the production parameters.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
passwords.use_hasher(TEST_HASHER)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["DATABASE_URL"] = database_url
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "FIELD_ENCRYPTION_KEY": "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY=",
        "STORAGE_DIR": str(instance / "storage"),
        "MAIL_URL": "outbox",
        "BASE_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_app):
    """The application with an application context and empty tables."""
    with _app.app_context():
        limiter.reset()
        yield _app
        db.session.rollback()
        _empty_tables()
        db.session.remove()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a context of its own, as in production.

    The `app` fixture keeps an application context open for the whole test; a request
    pushed inside it would otherwise share its `g` (cached CSRF token, cached current user)
    and its database session with the test and with the previous requests.
    """

    def open(self, *args, **kwargs):
        def run():
            response = super(IsolatedClient, self).open(*args, **kwargs)
            # A streamed body is read in the request's own context, as a server reads it.
            response.make_sequence()
            return response
        return contextvars.Context().run(run)


@pytest.fixture
def client(app):
    return IsolatedClient(app, app.response_class, use_cookies=True)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


@pytest.fixture
def make_firm(app):
    def make(name="Cabinet Démo Courtage", email="contact@cabinet-demo.fr", **extra) -> Firm:
        firm = Firm(name=name, orias=extra.pop("orias", "07000001"), phone=extra.pop("phone", "05 45 00 00 00"),
                    address=extra.pop("address", "12 rue de Périgueux, 16000 Angoulême"), email=email, **extra)
        db.session.add(firm)
        db.session.commit()
        return firm
    return make


@pytest.fixture
def make_user(app):
    def make(email="courtier@cabinet-demo.fr", role=Role.BROKER, firm=None, password=PASSWORD, **extra) -> User:
        user = User(email=email, role=role, firm=firm, password_hash=hash_password(password) if password else None, **extra)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def broker(make_firm, make_user):
    return make_user(firm=make_firm(), first_name="Claire", last_name="Martin")


@pytest.fixture
def login(client):
    """Log a user in through the real login form."""
    def do(email="courtier@cabinet-demo.fr", password=PASSWORD, follow=True):
        page = client.get("/connexion")
        return client.post("/connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                "identifiant": email, "mot_de_passe": password},
                           follow_redirects=follow)
    return do


def run_jobs(app) -> int:
    """Run every due background job, as the worker does within seconds; say how many ran."""
    from portal.messaging.jobs import run_due_jobs

    with app.app_context():
        ran = run_due_jobs(app, "tests", limit=10_000)
        db.session.remove()
    db.session.expire_all()
    return ran


@pytest.fixture
def outbox(app):
    """The messages queued so far, oldest first, once the due background jobs (which queue the
    quote e-mails) have run."""
    from portal.messaging.models import Message

    def read():
        run_jobs(app)
        return db.session.scalars(db.select(Message).order_by(Message.id)).all()
    return read
