"""Integration fixtures: a real SMTP server on loopback, and the portal pointed at it."""
from __future__ import annotations

import pytest

from .smtp_server import Certificate, SmtpServer


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
