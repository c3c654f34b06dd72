"""Logins, first connection, passwords, firms and accounts.

Every function takes plain values, does its work in one transaction and raises an
`AuthError` (or a subclass) whose `message` is the French sentence to show. Nothing here
reads the request: the views and the commands call these functions.

Failed logins are counted per identifiant: on the user's row when the account exists, on a
`LoginThrottle` row (keyed by the SHA-256 of the identifiant) when it does not, with the
same rules, so that the answers never tell whether an account exists:

- from the 3rd consecutive failure, the next attempt must wait 30 seconds;
- from the 5th, the identifiant is locked for 15 minutes (and again after every further
  failure, until a successful login or a new password);
- failures older than 24 hours are forgotten.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..clock import as_utc, now
from ..extensions import db
from ..formatting import clock
from ..messaging.service import queue_email
from ..security import hash_token, new_token
from .models import AuthToken, Firm, LoginThrottle, Role, User
from .passwords import hash_password, needs_rehash, policy_errors, verify_password

FAILURES_BEFORE_DELAY = 3
DELAY_AFTER_FAILURES = timedelta(seconds=30)
FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)

PURPOSE_PASSWORD_INIT = "password_init"
INIT_LINK_LIFETIME = timedelta(hours=24)
INIT_LINK_PATH = "/mot-de-passe/initialiser/"
INIT_SUBJECT = "Mes Solutions Plus - Initialisation de votre mot de passe"

EMAIL_MAX_LENGTH = 254
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
WAIT_ADVICE = "Après plusieurs essais infructueux, patientez 30 secondes avant de réessayer."
PASSWORD_NOT_SET = ("Aucun mot de passe n'a encore été créé pour ce compte : utilisez « Première connexion ? "
                    "Cliquez ici » pour recevoir le lien qui permet de le créer.")
ACCOUNT_INACTIVE = "Ce compte est désactivé. Contactez votre administrateur."
LINK_INVALID = ("Ce lien n'est plus valable : il a expiré, a déjà servi ou a été remplacé par une demande "
                "plus récente. Demandez un nouveau lien.")
CURRENT_PASSWORD_WRONG = "Le mot de passe actuel est incorrect."
CONFIRMATION_MISMATCH = "La confirmation ne correspond pas au nouveau mot de passe."
SAME_AS_CURRENT = "Le nouveau mot de passe doit être différent du mot de passe actuel."


class AuthError(Exception):
    """A refusal, with the French sentence to show to the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadCredentials(AuthError):
    """Unknown identifiant or wrong password: one answer for both."""


class TooManyFailures(AuthError):
    """Too many failures in a row: wait a little before the next attempt."""


class AccountLocked(TooManyFailures):
    """Locked for a while after repeated failures."""


class PasswordNotSet(AuthError):
    """The account exists but its password has never been created."""


class AccountInactive(AuthError):
    """The account has been deactivated."""


class InvalidLink(AuthError):
    """An unknown, expired, used or replaced password-initialisation link."""

    def __init__(self, message: str = LINK_INVALID):
        super().__init__(message)


class InvalidInput(AuthError):
    """Input refused, with the messages of each field (keys name the fields)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {name: list(messages) for name, messages in errors.items() if messages}
        super().__init__(" ".join(m for messages in self.errors.values() for m in messages))


# --- identifiants -------------------------------------------------------------------------

def normalize_identifiant(value: str | None) -> str | None:
    """The identifiant as stored (lower-case e-mail), or None when it cannot be one."""
    text = (value or "").strip().lower()
    if not text or len(text) > EMAIL_MAX_LENGTH:
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def throttle_key(identifiant: str | None) -> str:
    """The key failures are counted under: a hash, whatever was typed."""
    return hash_token("login:" + (identifiant or "").strip().lower())


def find_user(identifiant: str | None) -> User | None:
    email = normalize_identifiant(identifiant)
    if email is None:
        return None
    return db.session.scalar(select(User).where(User.email == email))


# --- failure counters ---------------------------------------------------------------------

_dummy_hash: str | None = None


def _spend_hashing_time(password: str) -> None:
    """Verify against a throw-away hash, so an unknown identifiant costs as much as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("identifiant-inconnu-" + new_token()[0])
    verify_password(_dummy_hash, password or "")


def _throttle_row(key: str) -> LoginThrottle | None:
    return db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))


def _recent_failures(counter, at: datetime) -> int:
    if counter is None or counter.last_failed_login_at is None:
        return 0
    if as_utc(counter.last_failed_login_at) <= at - FAILURES_FORGOTTEN_AFTER:
        return 0
    return counter.failed_logins


def _clock_time(moment: datetime) -> str:
    """HH:MM in Paris, rounded up to the minute so that the time shown is never too early."""
    moment = as_utc(moment)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return clock(moment)


def _locked_message(until: datetime) -> str:
    return ("Compte temporairement verrouillé après plusieurs tentatives infructueuses, "
            f"réessayez après {_clock_time(until)}.")


def _check_not_waiting(counter, at: datetime) -> None:
    if counter is None or counter.locked_until is None:
        return
    until = as_utc(counter.locked_until)
    if until <= at:
        return
    if counter.failed_logins >= FAILURES_BEFORE_LOCK:
        raise AccountLocked(_locked_message(until))
    seconds = max(1, math.ceil((until - at).total_seconds()))
    raise TooManyFailures(f"Trop de tentatives infructueuses : patientez {seconds} secondes avant de réessayer.")


def _register_failure(user: User | None, key: str, at: datetime) -> AuthError:
    """Count one failure (committed), and return the refusal to raise."""
    if user is not None:
        counter = user
    else:
        # Rows of identifiants that failed long ago are worth nothing: drop them as we go.
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_login_at < at - FAILURES_FORGOTTEN_AFTER))
        counter = _throttle_row(key)
        if counter is None:
            counter = LoginThrottle(key=key, failed_logins=0)
            try:
                with db.session.begin_nested():
                    db.session.add(counter)
            except IntegrityError:  # the same identifiant failed at the same moment elsewhere
                counter = _throttle_row(key)
    if _recent_failures(counter, at) == 0:
        counter.failed_logins = 1
    else:
        counter.failed_logins = type(counter).failed_logins + 1  # incremented in SQL
    counter.last_failed_login_at = at
    db.session.flush()
    failures = counter.failed_logins
    if failures >= FAILURES_BEFORE_LOCK:
        counter.locked_until = at + LOCK_DURATION
    elif failures >= FAILURES_BEFORE_DELAY:
        counter.locked_until = at + DELAY_AFTER_FAILURES
    if user is not None and failures == FAILURES_BEFORE_LOCK:
        record(actor="système", object_type="user", object_id=user.id, action="account_locked",
               detail=f"{failures} échecs de connexion consécutifs")
    db.session.commit()
    if failures >= FAILURES_BEFORE_LOCK:
        return AccountLocked(_locked_message(at + LOCK_DURATION))
    if failures >= FAILURES_BEFORE_DELAY:
        return BadCredentials(f"{BAD_CREDENTIALS} {WAIT_ADVICE}")
    return BadCredentials(BAD_CREDENTIALS)


def _clear_failures(user: User) -> None:
    user.failed_logins = 0
    user.last_failed_login_at = None
    user.locked_until = None


def _check_credentials(identifiant: str, password: str, at: datetime) -> User:
    """The active user with this identifiant and password, or the refusal."""
    user = find_user(identifiant)
    key = throttle_key(identifiant)
    _check_not_waiting(user if user is not None else _throttle_row(key), at)
    if user is not None and user.password_hash is None:
        _spend_hashing_time(password)
        raise PasswordNotSet(PASSWORD_NOT_SET)
    if user is None:
        _spend_hashing_time(password)
        raise _register_failure(None, key, at)
    if not verify_password(user.password_hash, password or ""):
        raise _register_failure(user, key, at)
    if not user.active:
        raise AccountInactive(ACCOUNT_INACTIVE)
    return user


def authenticate(identifiant: str, password: str) -> User:
    """Check a login; on success the counters restart and the login time is recorded."""
    at = now()
    user = _check_credentials(identifiant, password, at)
    _clear_failures(user)
    user.last_login_at = at
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return user


# --- passwords ------------------------------------------------------------------------------

def _new_password_errors(new_password: str, confirmation: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    broken = policy_errors(new_password or "")
    if broken:
        errors["new_password"] = broken
    if (new_password or "") != (confirmation or ""):
        errors["confirmation"] = [CONFIRMATION_MISMATCH]
    return errors


def _store_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_epoch += 1  # every session opened with the old password ends
    _clear_failures(user)


def end_sessions(user: User) -> None:
    """Logout: the cookies of every session of this user stop being valid."""
    user.session_epoch += 1
    db.session.commit()


def change_password(*, current_password: str, new_password: str, confirmation: str,
                    user: User | None = None, identifiant: str | None = None) -> User:
    """"Changer le mot de passe": the logged-in `user`, or the account of `identifiant`.

    A wrong current password counts as a failed login (the page is one more way to try
    passwords); the new one must follow the policy, match its confirmation and differ.
    """
    at = now()
    errors = _new_password_errors(new_password, confirmation)
    if new_password and new_password == current_password:
        errors.setdefault("new_password", []).append(SAME_AS_CURRENT)
    if errors:
        raise InvalidInput(errors)
    if user is None:
        user = _check_credentials(identifiant, current_password, at)
    else:
        _check_not_waiting(user, at)
        if not verify_password(user.password_hash, current_password or ""):
            refusal = _register_failure(user, throttle_key(user.email), at)
            if isinstance(refusal, TooManyFailures):
                raise refusal
            raise InvalidInput({"current_password": [CURRENT_PASSWORD_WRONG]})
    _store_password(user, new_password)
    record(actor=user, object_type="user", object_id=user.id, action="password_changed")
    db.session.commit()
    return user


def request_password_init(email: str) -> None:
    """"Première connexion" (and forgotten password): e-mail a single-use link valid 24 h.

    Does nothing, silently, for an address that matches no active account: the page
    answers the same either way. A new request replaces the links not used yet.
    """
    user = find_user(email)
    if user is None or not user.active:
        return
    at = now()
    db.session.execute(delete(AuthToken).where(
        AuthToken.user_id == user.id,
        AuthToken.purpose == PURPOSE_PASSWORD_INIT,
        or_(AuthToken.used_at.is_(None), AuthToken.expires_at < at),
    ))
    token, digest = new_token()
    expires_at = at + INIT_LINK_LIFETIME
    db.session.add(AuthToken(user_id=user.id, purpose=PURPOSE_PASSWORD_INIT, token_hash=digest, expires_at=expires_at))
    queue_email(
        to=user.email,
        subject=INIT_SUBJECT,
        template="password_init",
        context={
            "user": user,
            "link": current_app.config["BASE_URL"] + INIT_LINK_PATH + token,
            "expires_at": expires_at,
            "has_password": user.password_hash is not None,
        },
    )
    db.session.commit()


def _live_init_token(token: str, at: datetime) -> AuthToken:
    if not token or len(token) > 200:
        raise InvalidLink()
    row = db.session.scalar(select(AuthToken).where(
        AuthToken.token_hash == hash_token(token), AuthToken.purpose == PURPOSE_PASSWORD_INIT))
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= at or not row.user.active:
        raise InvalidLink()
    return row


def user_for_init_link(token: str) -> User:
    """The account a password-initialisation link is for, while the link is valid."""
    return _live_init_token(token, now()).user


def set_password_with_link(token: str, new_password: str, confirmation: str) -> User:
    """Create (or reset) the password from the e-mailed link, which then stops working."""
    at = now()
    row = _live_init_token(token, at)
    errors = _new_password_errors(new_password, confirmation)
    if errors:
        raise InvalidInput(errors)
    # The link is spent by one UPDATE: of two simultaneous submissions only one succeeds.
    claimed = db.session.execute(
        update(AuthToken).where(AuthToken.id == row.id, AuthToken.used_at.is_(None)).values(used_at=at)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidLink()
    user = row.user
    first_time = user.password_hash is None
    _store_password(user, new_password)
    record(actor=user, object_type="user", object_id=user.id,
           action="password_initialised" if first_time else "password_reset")
    db.session.commit()
    return user


# --- firms and accounts (commands) ------------------------------------------------------------

def _email_error(value: str | None) -> tuple[str | None, str | None]:
    """(normalised lower-case address, None) or (None, French error)."""
    text = (value or "").strip()
    if not text:
        return None, "L'adresse e-mail est obligatoire."
    try:
        address = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None, f"Adresse e-mail invalide : « {text} »."
    if len(address) > EMAIL_MAX_LENGTH:
        return None, "L'adresse e-mail est trop longue."
    return address, None


def french_phone(value: str | None) -> str | None:
    """A valid French phone number in national format (05 45 00 00 00), or None."""
    try:
        number = phonenumbers.parse((value or "").strip(), "FR")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _text_error(value: str | None, label: str, max_length: int, required: bool = True) -> tuple[str, str | None]:
    text = (value or "").strip()
    if required and not text:
        return text, f"{label} : champ obligatoire."
    if len(text) > max_length:
        return text, f"{label} : {max_length} caractères au plus."
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return text, f"{label} : caractères de contrôle interdits."
    return text, None


def create_firm(*, name: str, orias: str, phone: str, address: str, email: str) -> Firm:
    """A broker firm (cabinet), with its identity checked."""
    errors: dict[str, list[str]] = {}
    name, error = _text_error(name, "Raison sociale", 200)
    if error:
        errors["name"] = [error]
    elif db.session.scalar(select(Firm.id).where(Firm.name == name)) is not None:
        errors["name"] = [f"Un cabinet porte déjà la raison sociale « {name} »."]
    orias_digits = re.sub(r"\s+", "", orias or "")
    if not re.fullmatch(r"[0-9]{8}", orias_digits):
        errors["orias"] = ["Le numéro ORIAS doit compter 8 chiffres."]
    phone_text = french_phone(phone)
    if phone_text is None:
        errors["phone"] = [f"Numéro de téléphone français invalide : « {(phone or '').strip()} »."]
    address, error = _text_error(address, "Adresse", 300)
    if error:
        errors["address"] = [error]
    email_address, error = _email_error(email)
    if error:
        errors["email"] = [error]
    if errors:
        raise InvalidInput(errors)
    firm = Firm(name=name, orias=orias_digits, phone=phone_text, address=address, email=email_address)
    db.session.add(firm)
    db.session.flush()
    record(actor="système", object_type="firm", object_id=firm.id, action="firm_created", detail=name)
    db.session.commit()
    return firm


def create_user(*, email: str, role: str | Role, firm_name: str | None = None, password: str | None = None,
                first_name: str = "", last_name: str = "") -> User:
    """An account. A broker belongs to an existing firm; back-office and admin to none.

    Without a password, the user creates it through "Première connexion".
    """
    errors: dict[str, list[str]] = {}
    address, error = _email_error(email)
    if error:
        errors["email"] = [error]
    elif db.session.scalar(select(User.id).where(User.email == address)) is not None:
        errors["email"] = [f"Un compte existe déjà pour l'adresse {address}."]
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = ["Rôle inconnu : choisissez broker, backoffice ou admin."]
        role = None
    firm = None
    firm_name = (firm_name or "").strip()
    if role is Role.BROKER:
        if not firm_name:
            errors["firm"] = ["Un courtier appartient à un cabinet : indiquez sa raison sociale."]
        else:
            firm = db.session.scalar(select(Firm).where(Firm.name == firm_name))
            if firm is None:
                errors["firm"] = [f"Aucun cabinet ne porte la raison sociale « {firm_name} »."]
    elif role is not None and firm_name:
        errors["firm"] = ["Les comptes du service de gestion et les administrateurs n'appartiennent à aucun cabinet."]
    if password is not None:
        broken = policy_errors(password)
        if broken:
            errors["password"] = broken
    first_name, error = _text_error(first_name, "Prénom", 100, required=False)
    if error:
        errors["first_name"] = [error]
    last_name, error = _text_error(last_name, "Nom", 100, required=False)
    if error:
        errors["last_name"] = [error]
    if errors:
        raise InvalidInput(errors)
    user = User(email=address, role=role, firm=firm, first_name=first_name, last_name=last_name,
                password_hash=hash_password(password) if password is not None else None)
    db.session.add(user)
    db.session.flush()
    record(actor="système", object_type="user", object_id=user.id, action="user_created",
           detail=f"{address} ({role.value})")
    db.session.commit()
    return user


DEMO_PASSWORD = "MesSolutions+2026"
DEMO_FIRMS = (
    {"name": "Cabinet Démo Courtage", "orias": "07000001", "phone": "05 45 92 10 10",
     "address": "12 rue de Périgueux, 16000 Angoulême", "email": "contact@cabinet-demo.fr"},
    {"name": "Courtage Exemple Sud", "orias": "07000002", "phone": "04 67 60 00 00",
     "address": "8 rue de la Loge, 34000 Montpellier", "email": "contact@exemple-sud.fr"},
)
DEMO_USERS = (
    {"email": "courtier@cabinet-demo.fr", "role": Role.BROKER, "firm_name": "Cabinet Démo Courtage",
     "first_name": "Claire", "last_name": "Martin"},
    {"email": "courtier@exemple-sud.fr", "role": Role.BROKER, "firm_name": "Courtage Exemple Sud",
     "first_name": "Julien", "last_name": "Roux"},
    {"email": "gestion@mes-solutions-plus.fr", "role": Role.BACKOFFICE, "firm_name": None,
     "first_name": "Nadia", "last_name": "Morel"},
    {"email": "admin@mes-solutions-plus.fr", "role": Role.ADMIN, "firm_name": None,
     "first_name": "Paul", "last_name": "Girard"},
)


def ensure_demo_data() -> list[str]:
    """Create the demonstration firms and accounts that are missing; never touch existing ones.

    Returns a line per created item (empty on a second run).
    """
    created = []
    for firm in DEMO_FIRMS:
        if db.session.scalar(select(Firm.id).where(Firm.name == firm["name"])) is None:
            create_firm(**firm)
            created.append(f"Cabinet « {firm['name']} »")
    for account in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.email == account["email"])) is None:
            create_user(password=DEMO_PASSWORD, **account)
            created.append(f"Compte {account['email']}")
    return created
