"""Choosing the delivery backend from MAIL_URL and SMS_URL."""
from __future__ import annotations

import secrets

import pytest

from portal import create_app
from portal.config import ConfigurationError, load_config
from portal.messaging.backends import OutboxBackend, SmtpBackend, SmtpSettings, backend_for, backend_from_url
from portal.messaging.models import Channel

KEY = "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="


def test_plain_smtp_url_defaults():
    s = SmtpSettings.from_url("smtp://relay.example.fr")
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password, s.timeout) == \
        ("relay.example.fr", 25, False, "auto", None, None, 30.0)


def test_credentials_are_percent_decoded():
    s = SmtpSettings.from_url("smtp://noreply%40mes-solutions-plus.fr:p%40ss%3Aw0rd@relay.example.fr:587")
    assert (s.username, s.password, s.port) == ("noreply@mes-solutions-plus.fr", "p@ss:w0rd", 587)


def test_starttls_and_timeout_options():
    assert SmtpSettings.from_url("smtp://h:2525?starttls=0").starttls == "never"
    assert SmtpSettings.from_url("smtp://h:2525?starttls=1").starttls == "required"
    assert SmtpSettings.from_url("smtp://h?timeout=5").timeout == 5.0


def test_smtps_is_implicit_tls_on_465():
    s = SmtpSettings.from_url("smtps://user:secret@relay.example.fr")
    assert (s.port, s.implicit_tls, s.starttls) == (465, True, "never")


@pytest.mark.parametrize("url, expected", [
    ("smtp://", "must name the SMTP host"),
    ("smtp://h:port", "not a valid SMTP address"),
    ("smtp://h?starttls=peut-etre", "starttls must be 0, 1 or auto"),
    ("smtp://h?timeout=vite", "timeout must be a number"),
    ("smtp://h?timeout=0", "positive number"),
    ("smtp://h?tls=1", "unknown option(s) tls"),
    ("smtps://h?starttls=1", "already encrypted"),
    ("smtp://noreply:mot-de-passe-%C3%A9t%C3%A9@h", "must be ASCII"),
])
def test_bad_smtp_urls_are_refused_with_a_reason(url, expected):
    with pytest.raises(ConfigurationError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        SmtpSettings.from_url(url)


def test_outbox_for_both_channels(app):
    assert isinstance(backend_for(app, Channel.EMAIL), OutboxBackend)
    assert isinstance(backend_for(app, "sms"), OutboxBackend)


def test_smtp_backend_for_email(app):
    app.config["MAIL_URL"] = "smtp://relay.example.fr:2525"
    try:
        backend = backend_for(app, Channel.EMAIL)
    finally:
        app.config["MAIL_URL"] = "outbox"
    assert isinstance(backend, SmtpBackend)
    assert backend.server == "relay.example.fr:2525"


def test_unsupported_schemes_are_refused_without_showing_the_password():
    with pytest.raises(ConfigurationError) as error:
        backend_from_url("sendgrid://user:tres-secret@api", Channel.EMAIL)
    assert "MAIL_URL" in str(error.value) and "tres-secret" not in str(error.value)
    with pytest.raises(ConfigurationError, match="SMS_URL: unsupported scheme 'https'"):
        backend_from_url("https://sms.example/api?key=tres-secret", Channel.SMS)
    with pytest.raises(ConfigurationError, match="SMS_URL"):
        backend_from_url("smtp://relay.example.fr", Channel.SMS)


@pytest.mark.parametrize("setting, value", [("MAIL_URL", "ftp://files.example.fr"), ("SMS_URL", "twilio://account"),
                                            ("MAIL_URL", "smtp://relay?starttls=oui")])
def test_the_application_does_not_start_with_an_unusable_url(tmp_path, setting, value):
    with pytest.raises(ConfigurationError, match=setting):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": KEY, setting: value})


def test_the_viewer_cannot_be_on_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("DEV_MESSAGES", "1")
    with pytest.raises(ConfigurationError, match="DEV_MESSAGES=1"):
        load_config({"PORTAL_ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": secrets.token_urlsafe(48),
                     "FIELD_ENCRYPTION_KEY": KEY, "MAIL_URL": "smtp://relay.example.fr",
                     "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@db/portal",
                     "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
