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
from sqlalchemy.engine import make_url

from .parsing import whole_number

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


OWNER_ONLY_DIRECTORY = 0o700
OWNER_ONLY_FILE = 0o600


def _instance_secret(instance: Path, name: str, make) -> str:
    """Read a secret generated once into instance/, creating it on first use."""
    path = instance / name
    if not path.exists():
        instance.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
        # Created owner-only: never readable by others, not even for an instant.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE), "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def secure_instance(config: dict) -> None:
    """instance/ and what the portal keeps in it (secrets, SQLite file, stored files) are the
    owner's only: the directory 0700, the SQLite file created 0600 before SQLAlchemy opens it
    (SQLite gives its journal files the database file's mode)."""
    instance = Path(config["INSTANCE_PATH"])
    instance.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    _owner_only(instance, OWNER_ONLY_DIRECTORY)
    storage = Path(config["STORAGE_DIR"])
    storage.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    _owner_only(storage, OWNER_ONLY_DIRECTORY)
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        if not database.exists():
            database.parent.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, OWNER_ONLY_FILE))
        _owner_only(database, OWNER_ONLY_FILE)


def _owner_only(path: Path, mode: int) -> None:
    """Tighten `path` to `mode` if it is ours; a volume mounted by someone else is left as it is
    (its permissions are the deployment's business, see docs/DEPLOYMENT.md)."""
    if path.stat().st_uid == os.geteuid():
        path.chmod(mode)


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
        # The seal of signed PDFs: the insurer's PKCS#12 in production (required there), else a
        # local one generated into instance/signing/. TSA_URL: timestamp authority (PAdES-B-LT);
        # TSA_ROOTS: PEM file of its trust anchors (the system's list when empty).
        "SIGNING_P12": env.get("SIGNING_P12", ""),
        "SIGNING_P12_PASSWORD": env.get("SIGNING_P12_PASSWORD", ""),
        "TSA_URL": env.get("TSA_URL", ""),
        "TSA_ROOTS": env.get("TSA_ROOTS", ""),
        # The insurer's account credited by the SEPA direct-debit file (its creditor id, ICS, is
        # the catalog's, printed on every mandate); without them the file is refused with a message.
        "SEPA_CREDITOR_IBAN": env.get("SEPA_CREDITOR_IBAN", ""),
        "SEPA_CREDITOR_BIC": env.get("SEPA_CREDITOR_BIC", ""),
        # The address in the e-mails' links; locally, where `make run` serves (HOST, PORT).
        "BASE_URL": (env.get("BASE_URL") or local_base_url(env.get("HOST", ""), env.get("PORT", ""))).rstrip("/"),
        "STORAGE_DIR": env.get("STORAGE_DIR", str(instance / "storage")),
        # Empty: STORAGE_DIR. Otherwise file:///shared/volume or s3://bucket/prefix (see portal/storage).
        "STORAGE_URL": env.get("STORAGE_URL", ""),
        "STORAGE_S3_ENDPOINT_URL": env.get("STORAGE_S3_ENDPOINT_URL", ""),
        # The antivirus daemon that scans uploads: unix:///run/clamav/clamd.ctl or tcp://host:3310.
        "CLAMD_URL": env.get("CLAMD_URL", ""),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Number of reverse proxies in front of the portal whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _count(env.get("TRUSTED_PROXIES", "0"), "TRUSTED_PROXIES", 0, 100),
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
    _check_service_urls(config)
    _check_encryption_keys(config["FIELD_ENCRYPTION_KEY"])
    if production:
        _refuse_unsafe_production(config, base_url_set=bool(overrides.get("BASE_URL") or env.get("BASE_URL")))
    return config


def local_base_url(host: str, port: str) -> str:
    """http://HOST:PORT, as the development server listens (127.0.0.1:5000 by default)."""
    number = _count(port or "5000", "PORT", 1, 65535)
    host = host.strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # every interface: this machine answers on its loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{number}"


def encryption_keys(setting: str) -> list[str]:
    """FIELD_ENCRYPTION_KEY: one Fernet key, or several separated by commas during a rotation,
    the one that encrypts first."""
    return [key.strip() for key in setting.split(",") if key.strip()]


def _check_encryption_keys(setting: str) -> None:
    keys = encryption_keys(setting)
    if not keys:
        raise ConfigurationError("FIELD_ENCRYPTION_KEY is empty.")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ConfigurationError(f"FIELD_ENCRYPTION_KEY: key {position} is not a Fernet key "
                                     "(32 bytes in URL-safe base64: Fernet.generate_key()).") from None


def _count(value: str, name: str, lowest: int, highest: int) -> int:
    count = whole_number(value, lowest, highest)
    if count is None:
        raise ConfigurationError(f"{name} must be a whole number from {lowest} to {highest} (got {value!r}).")
    return count


def _check_service_urls(config: dict) -> None:
    storage, clamd = config.get("STORAGE_URL", ""), config.get("CLAMD_URL", "")
    if storage and not (storage.startswith("file:///") or (storage.startswith("s3://") and len(storage) > 5)):
        raise ConfigurationError(f"STORAGE_URL must be file:///path or s3://bucket/prefix (got {storage!r}).")
    if clamd and not (clamd.startswith("unix:///") or clamd.startswith("tcp://")):
        raise ConfigurationError(f"CLAMD_URL must be unix:///path/to/clamd.ctl or tcp://host:port (got {clamd!r}).")


def _refuse_unsafe_production(config: dict, *, base_url_set: bool) -> None:
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
        if development.exists() and development.read_text().strip() in encryption_keys(config[name]):
            raise ConfigurationError(f"{name} is the development key generated in {development}: "
                                     "production needs its own secret.")
    if os.environ.get("DEV_MESSAGES") == "1" or config.get("DEV_MESSAGES"):
        raise ConfigurationError("DEV_MESSAGES=1 shows every e-mail to anyone: it cannot be on in production.")
    if not config.get("CLAMD_URL"):
        raise ConfigurationError("CLAMD_URL must point to a ClamAV daemon in production "
                                 "(unix:///run/clamav/clamd.ctl or tcp://host:3310): uploads are scanned.")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigurationError("RATELIMIT_STORAGE_URI must be shared by the web processes in production "
                                 "(redis://…).")
    if not base_url_set:
        raise ConfigurationError("BASE_URL must be set in production: the public address of the portal "
                                 "(https://…), which the links of the e-mails point to.")
