"""Settings read from the environment, with local defaults kept in instance/.

Locally (no environment), the SQLite database, the secrets and the stored files live in
instance/, created on first start. In production (PORTAL_ENV=production) every secret must
come from the environment: see docs/DEPLOYMENT.md.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from .parsing import whole_number

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _instance_secret(instance: Path, name: str, make) -> str:
    """Read a secret generated once into instance/, creating it on first use."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    env = os.environ
    overrides = overrides or {}
    instance = Path(overrides.get("INSTANCE_PATH") or env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
    production = (overrides.get("PORTAL_ENV") or env.get("PORTAL_ENV", "development")) == "production"

    def secret(name: str, make) -> str:
        if name in overrides:
            return overrides[name]
        if env.get(name):
            return env[name]
        if production:
            raise ConfigurationError(f"{name} must be set in the environment in production.")
        return _instance_secret(instance, name.lower(), make)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}"
    config = {
        "PORTAL_ENV": "production" if production else "development",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret("SECRET_KEY", lambda: secrets.token_urlsafe(48)),
        "FIELD_ENCRYPTION_KEY": secret("FIELD_ENCRYPTION_KEY", lambda: Fernet.generate_key().decode()),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server's connections can be cut (restart, idle timeout): test them before use.
        # A SQLite file has nothing to ping.
        "SQLALCHEMY_ENGINE_OPTIONS": {} if database_url.startswith("sqlite") else {"pool_pre_ping": True},
        "MAIL_URL": env.get("MAIL_URL", "outbox"),
        "MAIL_FROM": env.get("MAIL_FROM", "Mes Solutions Plus <noreply@mes-solutions-plus.fr>"),
        "SMS_URL": env.get("SMS_URL", "outbox"),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "STORAGE_DIR": env.get("STORAGE_DIR", str(instance / "storage")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Number of reverse proxies in front of the portal whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _count(env.get("TRUSTED_PROXIES", "0"), "TRUSTED_PROXIES"),
        # The outbox viewer shows every message, links included: local use only.
        "DEV_MESSAGES": (not production) and env.get("DEV_MESSAGES", "1") == "1",
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    }
    config.update(overrides)
    if production:
        _refuse_unsafe_production(config)
    return config


def _count(value: str, name: str) -> int:
    count = whole_number(value, 0, 100)
    if count is None:
        raise ConfigurationError(f"{name} must be a whole number (got {value!r}).")
    return count


def _refuse_unsafe_production(config: dict) -> None:
    if config["MAIL_URL"] == "outbox":
        raise ConfigurationError("MAIL_URL must point to an SMTP server in production (smtp://…).")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigurationError("DATABASE_URL must point to PostgreSQL in production.")
    if len(config["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters long.")
    if len(set(config["SECRET_KEY"])) < 16:
        raise ConfigurationError("SECRET_KEY looks like a placeholder: use a random value (secrets.token_urlsafe(48)).")
    instance = Path(config["INSTANCE_PATH"])
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        development = instance / name.lower()
        if development.exists() and development.read_text().strip() == config[name]:
            raise ConfigurationError(f"{name} is the development key generated in {development}: "
                                     "production needs its own secret.")
    if os.environ.get("DEV_MESSAGES") == "1" or config.get("DEV_MESSAGES"):
        raise ConfigurationError("DEV_MESSAGES=1 shows every e-mail to anyone: it cannot be on in production.")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigurationError("RATELIMIT_STORAGE_URI must be shared by the web processes in production "
                                 "(redis://…).")
