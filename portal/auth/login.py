"""Logging in and changing one's password, with the slow-down of throttling.py.

The source address arrives as a plain value from the view. An unknown identifiant, a wrong
password and an account whose password was never created get the same answer and the same
counting; the last one also e-mails its owner a link to create it (links.py, client_links.py).

One login serves both kinds of account, each looked up only among its own (`AccountKind`):
a broker's e-mail and password on the client login fail as a wrong password, and the other
way round; their counters are kept apart (throttling.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..journal.service import record
from ..clock import now
from ..extensions import db
from ..security import new_token
from .accounts import find_account, store_password
from .client_links import send_client_link
from .errors import ACCOUNT_INACTIVE, AccountInactive, InvalidInput, TooManyFailures
from .links import new_password_errors, send_login_link
from .models import ClientAccount, User
from .passwords import hash_password, needs_rehash, verify_password
from .throttling import check_allowed, register_failure, register_success

CURRENT_PASSWORD_WRONG = "Le mot de passe actuel est incorrect."
SAME_AS_CURRENT = "Le nouveau mot de passe doit être différent du mot de passe actuel."

_dummy_hash: str | None = None


def _spend_hashing_time(password: str) -> None:
    """Verify against a throw-away hash, so an unknown identifiant costs as much as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("identifiant-inconnu-" + new_token()[0])
    verify_password(_dummy_hash, password or "")


@dataclass(frozen=True)
class AccountKind:
    """Who may log in on a login page: its accounts' model, and what to do when someone tries an
    account whose password was never created (e-mail its owner the link, at most once a while)."""
    model: type
    send_password_link: Callable[[object, datetime], bool]

    @property
    def realm(self) -> str:
        return self.model.login_realm


STAFF = AccountKind(User, send_login_link)
CLIENTS = AccountKind(ClientAccount, send_client_link)


def _check_credentials(identifiant: str, password: str, source: str | None, at, kind: AccountKind = STAFF):
    """The active account of `kind` with this identifiant and password, or the refusal."""
    user = find_account(kind.model, identifiant)
    check_allowed(identifiant, source, user, at, kind.realm)
    if user is None or user.password_hash is None:
        _spend_hashing_time(password)
        if user is not None and user.active:
            kind.send_password_link(user, at)
        raise register_failure(identifiant, source, user, at, kind.realm)
    if not verify_password(user.password_hash, password or ""):
        raise register_failure(identifiant, source, user, at, kind.realm)
    if not user.active:
        raise AccountInactive(ACCOUNT_INACTIVE)
    return user


def authenticate(identifiant: str, password: str, source: str | None, kind: AccountKind = STAFF):
    """Check a login of an account of `kind` from the address `source`; on success its counters restart."""
    at = now()
    user = _check_credentials(identifiant, password, source, at, kind)
    register_success(user, source, at)
    user.last_login_at = at
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return user


def change_password(*, current_password: str, new_password: str, confirmation: str, source: str | None,
                    user: User | None = None, identifiant: str | None = None) -> User:
    """"Changer le mot de passe": the logged-in `user`, or the account of `identifiant`.

    A wrong current password counts as a failed login (the page is one more way to try
    passwords); the new one must follow the policy, match its confirmation and differ.
    """
    at = now()
    errors = new_password_errors(new_password, confirmation)
    if new_password and new_password == current_password:
        errors.setdefault("new_password", []).append(SAME_AS_CURRENT)
    if errors:
        raise InvalidInput(errors)
    if user is None:
        user = _check_credentials(identifiant, current_password, source, at)
    else:
        check_allowed(user.email, source, user, at)
        if not verify_password(user.password_hash, current_password or ""):
            refusal = register_failure(user.email, source, user, at)
            if isinstance(refusal, TooManyFailures):
                raise refusal
            raise InvalidInput({"current_password": [CURRENT_PASSWORD_WRONG]})
    store_password(user, new_password)
    record(actor=user, object_type="user", object_id=user.id, action="password_changed")
    db.session.commit()
    return user
