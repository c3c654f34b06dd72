"""Slowing down password guessing without letting anyone lock an account's owner out.

Two counters see every failed login (wrong password, unknown identifiant, account without
a password: the same answer and the same counting for all three, so nothing tells whether
an account exists):

- **per identifiant and source address** (`LoginSource`): from the 3rd consecutive failure
  the next attempt from that address waits 30 seconds; from the 5th that address is locked
  out of that identifiant for 15 minutes (again after every further failure). A guesser at
  one address stops there, and the owner, at its own address, is not affected.
- **per identifiant, from every address** (the user's row, or a `LoginThrottle` row for an
  identifiant without account): it never locks. After 10 failures, each new failure makes the
  next attempt wait 1, 2, 4 … seconds, at most 60: a guesser spread over many addresses gets
  about one try a minute. An address the owner has logged in from in the last 90 days
  ignores this delay, so the owner logs in even during such an attack; from a new address
  the owner waits a minute at worst.

Staff and client accounts are counted apart (`login_realm` of their model): the same e-mail
may be a broker's identifiant and a client's, and failures on one login page never slow down
or lock the other. Failures older than 24 hours are forgotten; a successful login clears both counters of its
address and identifiant. Counters are incremented by one SQL UPDATE each (the row stays
locked until the commit), so simultaneous failures all count.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..journal.service import record
from ..clock import as_utc
from ..extensions import db
from ..formatting import clock
from ..security import hash_token
from .errors import BAD_CREDENTIALS, AccountLocked, AuthError, BadCredentials, TooManyFailures
from .models import ClientAccount, LoginSource, LoginThrottle, User

Account = User | ClientAccount

FAILURES_BEFORE_DELAY = 3
DELAY_AFTER_FAILURES = timedelta(seconds=30)
FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
FREE_FAILURES_PER_IDENTIFIANT = 10
LONGEST_IDENTIFIANT_DELAY = timedelta(seconds=60)
KNOWN_SOURCE_FOR = timedelta(days=90)

EMAIL_MAX_LENGTH = 254
WAIT_ADVICE = "Après plusieurs essais infructueux, patientez 30 secondes avant de réessayer."


def normalize_identifiant(value: str | None) -> str | None:
    """The identifiant as stored (lower-case e-mail), or None when it cannot be one."""
    text = (value or "").strip().lower()
    if not text or len(text) > EMAIL_MAX_LENGTH:
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def throttle_key(identifiant: str | None, realm: str = "") -> str:
    """The key an identifiant's failures are counted under: a hash, whatever was typed."""
    return hash_token("login:" + realm + (identifiant or "").strip().lower())


def source_key(identifiant: str | None, source: str | None, realm: str = "") -> str:
    """The key of one identifiant at one source address."""
    return hash_token("source:" + realm + (identifiant or "").strip().lower() + "\n" + (source or ""))


def _clock_time(moment: datetime) -> str:
    """HH:MM in Paris, rounded up to the minute so that the time shown is never too early."""
    moment = as_utc(moment)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return clock(moment)


def _locked_message(until: datetime) -> str:
    return ("Compte temporairement verrouillé après plusieurs tentatives infructueuses, "
            f"réessayez après {_clock_time(until)}.")


def _wait_message(until: datetime, at: datetime) -> str:
    seconds = max(1, math.ceil((as_utc(until) - at).total_seconds()))
    unit = "seconde" if seconds == 1 else "secondes"
    return f"Trop de tentatives infructueuses : patientez {seconds} {unit} avant de réessayer."


def _source_row(identifiant: str, source: str | None, realm: str) -> LoginSource | None:
    return db.session.scalar(select(LoginSource).where(LoginSource.key == source_key(identifiant, source, realm)))


def _identifiant_row(identifiant: str, realm: str) -> LoginThrottle | None:
    return db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == throttle_key(identifiant, realm)))


def _waiting(locked_until: datetime | None, at: datetime) -> bool:
    return locked_until is not None and as_utc(locked_until) > at


def check_allowed(identifiant: str, source: str | None, user: Account | None, at: datetime, realm: str = "") -> None:
    """Raise when an attempt for `identifiant` (of the accounts of `realm`) from `source` must
    wait; it is then not counted."""
    from_source = _source_row(identifiant, source, realm)
    if from_source is not None and _waiting(from_source.locked_until, at):
        if from_source.failed_logins >= FAILURES_BEFORE_LOCK:
            raise AccountLocked(_locked_message(as_utc(from_source.locked_until)))
        raise TooManyFailures(_wait_message(from_source.locked_until, at))
    known = (from_source is not None and from_source.last_success_at is not None
             and as_utc(from_source.last_success_at) > at - KNOWN_SOURCE_FOR)
    counter = user if user is not None else _identifiant_row(identifiant, realm)
    if not known and counter is not None and _waiting(counter.locked_until, at):
        raise TooManyFailures(_wait_message(counter.locked_until, at))


def _ensure_row(model, key: str, **columns) -> None:
    if db.session.scalar(select(model.id).where(model.key == key)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(key=key, failed_logins=0, **columns))
        except IntegrityError:  # the same counter was created at the same moment elsewhere
            pass


def _count_failure(model, condition, at: datetime) -> int | None:
    """One more failure on the row, in one UPDATE (a failure older than a day starts again at 1)."""
    forgotten = or_(model.last_failed_login_at.is_(None), model.last_failed_login_at <= at - FAILURES_FORGOTTEN_AFTER)
    return db.session.execute(
        update(model).where(condition)
        .values(failed_logins=case((forgotten, 1), else_=model.failed_logins + 1), last_failed_login_at=at)
        .returning(model.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def _count_keyed_failure(model, key: str, at: datetime, **columns) -> int:
    failures = None
    while failures is None:  # a row forgotten by a concurrent clean-up is created again
        _ensure_row(model, key, **columns)
        failures = _count_failure(model, model.key == key, at)
    return failures


def _set_wait(model, condition, until: datetime | None) -> None:
    db.session.execute(update(model).where(condition).values(locked_until=until)
                       .execution_options(synchronize_session=False))


def _identifiant_delay(failures: int) -> timedelta | None:
    if failures < FREE_FAILURES_PER_IDENTIFIANT:
        return None
    seconds = 2 ** min(failures - FREE_FAILURES_PER_IDENTIFIANT, 16)
    return min(timedelta(seconds=seconds), LONGEST_IDENTIFIANT_DELAY)


def register_failure(identifiant: str, source: str | None, user: Account | None, at: datetime,
                     realm: str = "") -> AuthError:
    """Count one failure on both counters (committed), and return the refusal to raise."""
    # Counters that failed long ago and never logged in are worth nothing: drop them as we go.
    old = at - FAILURES_FORGOTTEN_AFTER
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_login_at < old))
    db.session.execute(delete(LoginSource).where(LoginSource.last_failed_login_at < old,
                                                 LoginSource.last_success_at.is_(None)))

    key = source_key(identifiant, source, realm)
    from_source = _count_keyed_failure(LoginSource, key, at, identifiant_key=throttle_key(identifiant, realm))
    if from_source >= FAILURES_BEFORE_LOCK:
        _set_wait(LoginSource, LoginSource.key == key, at + LOCK_DURATION)
    elif from_source >= FAILURES_BEFORE_DELAY:
        _set_wait(LoginSource, LoginSource.key == key, at + DELAY_AFTER_FAILURES)

    if user is not None:
        model = type(user)
        condition = model.id == user.id
        overall = _count_failure(model, condition, at)
    else:
        model, condition = LoginThrottle, LoginThrottle.key == throttle_key(identifiant, realm)
        overall = _count_keyed_failure(LoginThrottle, throttle_key(identifiant, realm), at)
    delay = _identifiant_delay(overall)
    if delay is not None:
        _set_wait(model, condition, at + delay)

    if user is not None and from_source == FAILURES_BEFORE_LOCK:
        record(actor="système", object_type=user.__tablename__, object_id=user.id, action="account_locked",
               detail=f"{from_source} échecs de connexion consécutifs depuis une même adresse")
    db.session.commit()
    if user is not None:
        db.session.expire(user)  # its counters were changed in SQL
    if from_source >= FAILURES_BEFORE_LOCK:
        return AccountLocked(_locked_message(at + LOCK_DURATION))
    if from_source >= FAILURES_BEFORE_DELAY:
        return BadCredentials(f"{BAD_CREDENTIALS} {WAIT_ADVICE}")
    return BadCredentials(BAD_CREDENTIALS)


def clear_failures(user: Account) -> None:
    """The identifiant's own counter starts again (a login succeeded, or a new password)."""
    user.failed_logins = 0
    user.last_failed_login_at = None
    user.locked_until = None


def lift_locks(user: Account) -> None:
    """A new password: guesses of the old one are worth nothing, every counter starts again."""
    clear_failures(user)
    db.session.execute(update(LoginSource).where(LoginSource.identifiant_key == throttle_key(user.email, user.login_realm))
                       .values(failed_logins=0, last_failed_login_at=None, locked_until=None)
                       .execution_options(synchronize_session=False))


def register_success(user: Account, source: str | None, at: datetime) -> None:
    """A login succeeded from `source`: its counters restart, and the address becomes known."""
    clear_failures(user)
    key = source_key(user.email, source, user.login_realm)
    _ensure_row(LoginSource, key, identifiant_key=throttle_key(user.email, user.login_realm))
    db.session.execute(update(LoginSource).where(LoginSource.key == key)
                       .values(failed_logins=0, last_failed_login_at=None, locked_until=None, last_success_at=at)
                       .execution_options(synchronize_session=False))
