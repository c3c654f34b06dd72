"""Production refuses to start on anything made for a laptop: SQLite, the outbox, development or
placeholder secrets, the outbox viewer, in-memory rate limits."""
import secrets

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigurationError, load_config

GOOD = {"PORTAL_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "MAIL_URL": "smtp://relay.example.fr:587", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@db/portal",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "CLAMD_URL": "unix:///run/clamav/clamd.ctl",
        "BASE_URL": "https://devis.exemple.fr"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEV_MESSAGES", "DATABASE_URL", "MAIL_URL", "PORTAL_ENV",
                 "BASE_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)


def test_a_proper_production_configuration_starts(tmp_path):
    config = load_config({**GOOD, "INSTANCE_PATH": str(tmp_path)})
    assert config["PORTAL_ENV"] == "production" and config["DEV_MESSAGES"] is False
    assert config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("change, message", [
    ({"MAIL_URL": "outbox"}, "MAIL_URL"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:///portal.db"}, "PostgreSQL"),
    ({"SECRET_KEY": "trop-court"}, "at least 32"),
    ({"SECRET_KEY": "changeme" * 5}, "placeholder"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"CLAMD_URL": ""}, "CLAMD_URL"),
])
def test_laptop_settings_are_refused(tmp_path, change, message):
    with pytest.raises(ConfigurationError, match=message):
        load_config({**GOOD, **change, "INSTANCE_PATH": str(tmp_path)})


def test_secrets_must_come_from_the_environment(tmp_path):
    settings = {k: v for k, v in GOOD.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set in the environment"):
        load_config({**settings, "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("name", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_the_development_secrets_are_refused(tmp_path, name):
    load_config({"INSTANCE_PATH": str(tmp_path)})  # a development start writes its secrets in instance/
    development = (tmp_path / name.lower()).read_text().strip()
    with pytest.raises(ConfigurationError, match=f"{name} is the development key"):
        load_config({**GOOD, name: development, "INSTANCE_PATH": str(tmp_path)})


def test_the_outbox_viewer_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DEV_MESSAGES", "1")
    with pytest.raises(ConfigurationError, match="DEV_MESSAGES=1"):
        load_config({**GOOD, "INSTANCE_PATH": str(tmp_path)})


def test_behind_a_proxy_the_client_address_comes_from_its_header(tmp_path, monkeypatch):
    from portal import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.2"},
                                  headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}):
        from flask import request
        app.wsgi_app(request.environ, lambda *a: None)  # the middleware rewrites the environ it is given
        assert request.environ["REMOTE_ADDR"] == "203.0.113.7"
        assert request.environ["wsgi.url_scheme"] == "https"
    monkeypatch.setenv("TRUSTED_PROXIES", "deux")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        load_config({"INSTANCE_PATH": str(tmp_path)})


def test_production_requires_the_public_address_of_the_links(tmp_path):
    settings = {k: v for k, v in GOOD.items() if k != "BASE_URL"}
    with pytest.raises(ConfigurationError, match="BASE_URL must be set in production"):
        load_config({**settings, "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("host, port, expected", [
    (None, None, "http://127.0.0.1:5000"),
    (None, "8000", "http://127.0.0.1:8000"),
    ("0.0.0.0", "8080", "http://127.0.0.1:8080"),
    ("192.168.1.20", "5001", "http://192.168.1.20:5001"),
    ("::1", "8000", "http://[::1]:8000"),
])
def test_locally_the_links_follow_host_and_port(tmp_path, monkeypatch, host, port, expected):
    for name, value in (("HOST", host), ("PORT", port)):
        if value is not None:
            monkeypatch.setenv(name, value)
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["BASE_URL"] == expected


def test_base_url_wins_over_host_and_port(tmp_path, monkeypatch):
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("BASE_URL", "https://recette.exemple.fr/")
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["BASE_URL"] == "https://recette.exemple.fr"


@pytest.mark.parametrize("port, message", [("²", "whole number"), ("٣٠٠٠", "whole number"), ("huit", "whole number"),
                                           ("99999999999999999999999", "between 1 and 65535"),
                                           ("0", "between 1 and 65535")])
def test_a_port_that_is_no_port_is_a_configuration_error(tmp_path, monkeypatch, port, message):
    monkeypatch.setenv("PORT", port)
    with pytest.raises(ConfigurationError, match=f"PORT must be (a|between) .*{message.split()[-1]}"):
        load_config({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("setting, message", [
    ("", "FIELD_ENCRYPTION_KEY is empty"),
    ("pas-une-clé", "key 1 is not a Fernet key"),
    (Fernet.generate_key().decode() + ",court", "key 2 is not a Fernet key"),
])
def test_unusable_encryption_keys_are_refused(tmp_path, setting, message):
    with pytest.raises(ConfigurationError, match=message):
        load_config({"INSTANCE_PATH": str(tmp_path), "FIELD_ENCRYPTION_KEY": setting})


def test_an_old_development_key_kept_for_a_rotation_is_refused_too(tmp_path):
    load_config({"INSTANCE_PATH": str(tmp_path)})
    development = (tmp_path / "field_encryption_key").read_text().strip()
    with pytest.raises(ConfigurationError, match="FIELD_ENCRYPTION_KEY is the development key"):
        load_config({**GOOD, "FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{development}",
                     "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("arguments, expected", [
    (["--port", "8001"], "http://127.0.0.1:8001"),
    (["--host", "0.0.0.0", "--port", "8002"], "http://127.0.0.1:8002"),
])
def test_serve_points_the_links_at_where_it_listens(tmp_path, monkeypatch, arguments, expected):
    from portal import create_app

    monkeypatch.delenv("BASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    served = {}
    monkeypatch.setattr("werkzeug.serving.run_simple",
                        lambda host, port, application, **options: served.update(port=port, links=application.config["BASE_URL"]))
    monkeypatch.setattr("portal.cli._warm_documents", lambda app: None)
    monkeypatch.setattr("portal.messaging.worker.run_worker", lambda app, stop: None)
    result = app.test_cli_runner().invoke(args=["portal", "serve", *arguments])
    assert result.exit_code == 0, result.output
    assert served == {"port": int(expected.rsplit(":", 1)[1]), "links": expected}


def test_serve_leaves_an_explicit_base_url_alone(tmp_path, monkeypatch):
    from portal import create_app

    monkeypatch.setenv("BASE_URL", "https://recette.exemple.fr")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    served = {}
    monkeypatch.setattr("werkzeug.serving.run_simple",
                        lambda host, port, application, **options: served.update(links=application.config["BASE_URL"]))
    monkeypatch.setattr("portal.cli._warm_documents", lambda app: None)
    monkeypatch.setattr("portal.messaging.worker.run_worker", lambda app, stop: None)
    assert app.test_cli_runner().invoke(args=["portal", "serve", "--port", "8001"]).exit_code == 0
    assert served == {"links": "https://recette.exemple.fr"}
