"""Tokens for links, and encryption of personal data at rest.

FIELD_ENCRYPTION_KEY holds one Fernet key, or several separated by commas during a key
rotation: the first encrypts, every one of them decrypts (see docs/DEPLOYMENT.md).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import LargeBinary, MetaData, Text, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .config import encryption_keys


def new_token() -> tuple[str, str]:
    """A random link token (256 bits) and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@lru_cache(maxsize=8)
def keyring(setting: str) -> MultiFernet:
    """The keys of a FIELD_ENCRYPTION_KEY value, newest (the one that encrypts) first."""
    return MultiFernet([Fernet(key.encode()) for key in encryption_keys(setting)])


def _keyring() -> MultiFernet:
    return keyring(current_app.config["FIELD_ENCRYPTION_KEY"])


def encrypt(value: str) -> str:
    return _keyring().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    return _decrypt_bytes(value.encode()).decode()


def _decrypt_bytes(token: bytes) -> bytes:
    try:
        return _keyring().decrypt(token)
    except InvalidToken as error:
        raise ValueError("Donnée chiffrée illisible avec la clé configurée.") from error


def reencrypt(token: bytes) -> bytes:
    """The same value encrypted with the first key (MultiFernet.rotate), for a key rotation."""
    try:
        return _keyring().rotate(token)
    except InvalidToken as error:
        raise ValueError("Donnée chiffrée illisible avec la clé configurée.") from error


class EncryptedText(TypeDecorator):
    """A text column stored as a Fernet token: the database never holds the clear text.

    Nothing can be compared in SQL (each encryption of a value differs): filter in Python,
    or on a column kept in clear on purpose.
    """
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class EncryptedBytes(TypeDecorator):
    """Binary content (a file) stored as a Fernet token."""
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else _keyring().encrypt(bytes(value))

    def process_result_value(self, value, dialect):
        return None if value is None else _decrypt_bytes(bytes(value))


def reencrypt_all(session: Session, metadata: MetaData, batch: int = 1000) -> int:
    """Encrypt again with the first key every encrypted value of every table (key rotation):
    afterwards the older keys can leave FIELD_ENCRYPTION_KEY. Returns the values rewritten."""
    rewritten = 0
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (EncryptedText, EncryptedBytes))]
        if not columns:
            continue
        # The stored tokens themselves, not the clear values the column type would give.
        raw = {c.name: type_coerce(c, c.type.impl) for c in columns}
        key = table.primary_key.columns.values()[0]
        last = None
        while True:
            query = select(key, *raw.values()).order_by(key).limit(batch)
            rows = session.execute(query if last is None else query.where(key > last)).all()
            if not rows:
                break
            for row in rows:
                values = {}
                for name, token in zip(raw, row[1:]):
                    if token is None:
                        continue
                    text = isinstance(token, str)
                    renewed = reencrypt(token.encode() if text else bytes(token))
                    values[name] = type_coerce(renewed.decode() if text else renewed, table.c[name].type.impl)
                if values:
                    session.execute(update(table).where(key == row[0]).values(**values))
                    rewritten += len(values)
            last = rows[-1][0]
            session.commit()
    return rewritten
