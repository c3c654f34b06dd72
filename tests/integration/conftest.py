"""Integration fixtures: a real SMTP server on loopback, the portal pointed at it, and a
logged-in broker's quote wizard on a fixed day."""
from __future__ import annotations

import pytest
from freezegun import freeze_time

from .signing import Prospect, identity_made_on, link_of
from .smtp_server import Certificate, SmtpServer
from .wizard import TODAY, Wizard


@pytest.fixture
def quote_day():
    """The wizard tests' "today" (TODAY): the reference effect date is inside the window."""
    with freeze_time(TODAY + " 10:00:00") as frozen:
        yield frozen


@pytest.fixture
def wizard(quote_day, client, broker, login):
    """The quote wizard driven by the logged-in demo broker."""
    assert login(broker.email).status_code == 200
    return Wizard(client)


@pytest.fixture
def smtp_server():
    """A running aiosmtpd server on 127.0.0.1 (free port); `.received` lists what came in.

    `.stop()` and `.start()` take it down and bring it back on the same port.
    """
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mail(app, smtp_server):
    """MAIL_URL points at `smtp_server` for the test; the server is returned."""
    previous = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = smtp_server.url
    yield smtp_server
    app.config["MAIL_URL"] = previous


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, to run the server with STARTTLS or TLS."""
    return Certificate.create(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(scope="session")
def signing_instance(tmp_path_factory):
    """An instance folder whose local certificates were made before the tests' frozen days."""
    folder = tmp_path_factory.mktemp("signing-instance")
    return folder, identity_made_on("2026-01-01", folder / "signing")


@pytest.fixture
def signing_dossier(app, wizard, outbox, signing_instance):
    """A quote issued to Jean Dupont on 20/11/2026 (the `wizard`'s day), its link confirmed in the
    prospect's browser (tests/integration/signing.py), the portal's certificates from before."""
    previous = app.config["INSTANCE_PATH"]
    app.config["INSTANCE_PATH"] = str(signing_instance[0])
    assert wizard.walk().status_code == 302
    link = link_of(outbox()[0])
    yield wizard.quote_id, Prospect(app, link).confirm_birth_date()
    app.config["INSTANCE_PATH"] = previous
