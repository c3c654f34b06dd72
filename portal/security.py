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
from sqlalchemy import LargeBinary, Text
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
