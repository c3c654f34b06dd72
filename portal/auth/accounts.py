"""Firms and staff accounts: creation with checked identity, password storage, deactivation.

Every function takes plain values, works in one transaction and raises an `AuthError`
subclass with the French sentence to show. The `actor` written to the audit log is the
administrator's `User`, or "système" for the command line.
"""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..journal.service import record
from ..extensions import db
from .. import validators
from .errors import AlreadyExists, AuthError, InvalidInput
from .models import Firm, Role, User
from .passwords import hash_password, policy_errors
from .throttling import lift_locks, normalize_identifiant

SYSTEM = "système"
CANNOT_DEACTIVATE_ONESELF = "Vous ne pouvez pas désactiver votre propre compte."
UNKNOWN_USER = "Ce compte n'existe pas."


def find_account(model, identifiant: str | None):
    """The account of `model` (User or ClientAccount) whose e-mail is this identifiant, or None."""
    email = normalize_identifiant(identifiant)
    if email is None:
        return None
    return db.session.scalar(select(model).where(model.email == email))


def find_user(identifiant: str | None) -> User | None:
    return find_account(User, identifiant)


def move_session_epoch(account) -> None:
    """Every session of `account` (a User or a ClientAccount) ends. Incremented in SQL, not read and
    written back: a login stamped between a concurrent read and write would otherwise survive."""
    account.session_epoch = type(account).session_epoch + 1


def store_password(user: User, password: str) -> None:
    """Set the password (in the caller's transaction): every older session of the user ends."""
    user.password_hash = hash_password(password)
    move_session_epoch(user)
    lift_locks(user)


def end_sessions(user: User) -> None:
    """Logout: the cookies of every session of this user stop being valid."""
    move_session_epoch(user)
    db.session.commit()


def _email_error(value: str | None) -> tuple[str | None, str | None]:
    """(normalised lower-case address, None) or (None, French error): the portal's one e-mail rule."""
    text = (value or "").strip()
    if not text:
        return None, "L'adresse e-mail est obligatoire."
    try:
        return validators.email_address(text).lower(), None
    except ValueError as error:
        return None, str(error)


def _text_error(value: str | None, label: str, max_length: int, required: bool = True) -> tuple[str, str | None]:
    text = (value or "").strip()
    if required and not text:
        return text, f"{label} : champ obligatoire."
    if len(text) > max_length:
        return text, f"{label} : {max_length} caractères au plus."
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return text, f"{label} : caractères de contrôle interdits."
    return text, None


def _firm_name_taken(name: str) -> str:
    return f"Un cabinet porte déjà la raison sociale « {name} »."


def _email_taken(address: str) -> str:
    return f"Un compte existe déjà pour l'adresse {address}."


def _insert_or_refuse(row, unique_field: str, message: str, existing_query) -> None:
    """Add `row`; when the same one was created at the same moment (a double click), the
    refusal carries the one that won."""
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _refusal({unique_field: [message]}, unique_field, db.session.scalar(existing_query)) from None


def _refusal(errors: dict[str, list[str]], unique_field: str, existing) -> InvalidInput:
    if existing is not None and set(errors) == {unique_field}:
        return AlreadyExists(errors, existing)
    return InvalidInput(errors)


def create_firm(*, name: str, orias: str, phone: str, address: str, email: str, actor=SYSTEM) -> Firm:
    """A broker firm (cabinet), with its identity checked."""
    errors: dict[str, list[str]] = {}
    existing = None
    name, error = _text_error(name, "Raison sociale", 200)
    if error:
        errors["name"] = [error]
    else:
        existing = db.session.scalar(select(Firm).where(Firm.name == name))
        if existing is not None:
            errors["name"] = [_firm_name_taken(name)]
    orias_digits = re.sub(r"\s+", "", orias or "")
    if not re.fullmatch(r"[0-9]{8}", orias_digits, re.ASCII):
        errors["orias"] = ["Le numéro ORIAS doit compter 8 chiffres."]
    try:
        phone_text = validators.french_phone((phone or "").strip())
    except ValueError as error:
        errors["phone"] = [str(error)]
    address, error = _text_error(address, "Adresse", 300)
    if error:
        errors["address"] = [error]
    email_address, error = _email_error(email)
    if error:
        errors["email"] = [error]
    if errors:
        raise _refusal(errors, "name", existing)
    firm = Firm(name=name, orias=orias_digits, phone=phone_text, address=address, email=email_address)
    _insert_or_refuse(firm, "name", _firm_name_taken(name), select(Firm).where(Firm.name == name))
    record(actor=actor, object_type="firm", object_id=firm.id, action="firm_created", detail=name)
    db.session.commit()
    return firm


def create_user(*, email: str, role: str | Role, firm_name: str | None = None, password: str | None = None,
                first_name: str = "", last_name: str = "", actor=SYSTEM) -> User:
    """An account. A broker belongs to an existing firm; back-office and admin to none.

    Without a password, the user creates it through "Première connexion".
    """
    errors: dict[str, list[str]] = {}
    existing = None
    address, error = _email_error(email)
    if error:
        errors["email"] = [error]
    else:
        existing = db.session.scalar(select(User).where(User.email == address))
        if existing is not None:
            errors["email"] = [_email_taken(address)]
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = ["Rôle inconnu : choisissez broker, backoffice ou admin."]
        role = None
    firm = None
    firm_name, error = _text_error(firm_name, "Cabinet", 200, required=False)
    if error:
        errors["firm"] = [error]
    elif role is Role.BROKER:
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
        raise _refusal(errors, "email", existing)
    user = User(email=address, role=role, firm=firm, first_name=first_name, last_name=last_name,
                password_hash=hash_password(password) if password is not None else None)
    _insert_or_refuse(user, "email", _email_taken(address), select(User).where(User.email == address))
    record(actor=actor, object_type="user", object_id=user.id, action="user_created",
           detail=f"{address} ({role.value})")
    db.session.commit()
    return user


def set_active(user_id: int, active: bool, actor: User) -> bool:
    """Deactivate (every session ends at once) or reactivate an account.

    One conditional UPDATE: a repeated click changes nothing and writes no second audit row.
    Returns whether the account changed.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise AuthError(UNKNOWN_USER)
    if not active and user.id == actor.id:
        raise AuthError(CANNOT_DEACTIVATE_ONESELF)
    changed = db.session.execute(
        update(User).where(User.id == user_id, User.active == (not active))
        .values(active=active, session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if changed:
        record(actor=actor, object_type="user", object_id=user_id,
               action="user_reactivated" if active else "user_deactivated", detail=user.email)
    db.session.commit()
    return changed
