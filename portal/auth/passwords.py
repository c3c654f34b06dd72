"""Password policy and argon2 hashes (brokers, back-office and client-space accounts)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes).
PRODUCTION_HASHER = PasswordHasher()
_hasher = PRODUCTION_HASHER

MIN_LENGTH = 12
MAX_LENGTH = 128  # argon2 takes any length; a bound keeps hashing cheap for hostile input


def policy_errors(password: str) -> list[str]:
    """One French sentence per broken rule; empty when the password is acceptable."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        errors.append(f"Le mot de passe doit contenir au plus {MAX_LENGTH} caractères.")
    if not any(c.isupper() for c in password):
        errors.append("Le mot de passe doit contenir au moins une lettre majuscule.")
    if not any(c.islower() for c in password):
        errors.append("Le mot de passe doit contenir au moins une lettre minuscule.")
    if not any(c in "0123456789" for c in password):  # "²" or "٣" pass isdigit() but are no digit to type
        errors.append("Le mot de passe doit contenir au moins un chiffre.")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        errors.append("Le mot de passe doit contenir au moins un caractère spécial (par exemple ! ? @ # + -).")
    return errors


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (the test suite uses cheap parameters); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
