"""Password links: "Première connexion", forgotten password, invitations and resends.

A link is a single-use token e-mailed to the account's address, valid 24 hours; only its
SHA-256 is stored. A new link replaces the ones not used yet.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..journal.service import record
from ..clock import as_utc, now
from ..extensions import db
from ..messaging.service import queue_email
from ..security import hash_token, new_token
from .accounts import SYSTEM, create_user, find_user, store_password
from .errors import AuthError, InvalidInput, InvalidLink
from .models import AuthToken, User
from .passwords import policy_errors

PURPOSE_PASSWORD_INIT = "password_init"
INIT_LINK_LIFETIME = timedelta(hours=24)
INIT_LINK_PATH = "/mot-de-passe/initialiser/"
INIT_SUBJECT = "Mes Solutions Plus - Initialisation de votre mot de passe"
# However many ask, an account receives at most one link e-mail per window: nobody can flood
# its mailbox, and the link already sent stays valid. A login attempt on an account without a
# password is the most common trigger and the longest window; an administrator's resend waits
# only long enough to absorb a double click.
LOGIN_LINK_WINDOW = timedelta(minutes=15)
REQUEST_WINDOW = timedelta(minutes=5)
RESEND_WINDOW = timedelta(minutes=1)

CONFIRMATION_MISMATCH = "La confirmation ne correspond pas au nouveau mot de passe."
ALREADY_SENT = "Un lien vient d'être envoyé à ce compte : patientez une minute avant d'en renvoyer un."
HAS_PASSWORD = ("Ce compte a déjà un mot de passe : en cas d'oubli, l'utilisateur en demande un nouveau "
                "par « Première connexion ? Cliquez ici ».")
INACTIVE_NO_LINK = "Ce compte est désactivé : réactivez-le avant de lui envoyer un lien."


def new_password_errors(new_password: str, confirmation: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    broken = policy_errors(new_password or "")
    if broken:
        errors["new_password"] = broken
    if (new_password or "") != (confirmation or ""):
        errors["confirmation"] = [CONFIRMATION_MISMATCH]
    return errors


def _queue_link(user: User, at: datetime) -> None:
    """Replace the user's unused links by a new one and queue its e-mail (caller commits)."""
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


def request_password_init(email: str) -> None:
    """"Première connexion" (and forgotten password): e-mail a single-use link valid 24 h.

    Does nothing, silently, for an address that matches no active account, or when a link
    left for this account less than 5 minutes ago (that one is still valid): the page
    answers the same either way. A new link replaces the ones not used yet.
    """
    user = find_user(email)
    if user is None or not user.active:
        return
    at = now()
    if not _claim_sending(user.id, at, REQUEST_WINDOW):
        db.session.rollback()
        return
    _queue_link(user, at)
    db.session.commit()


def _claim_sending(user_id: int, at: datetime, window: timedelta) -> bool:
    """One UPDATE marks the sending: of simultaneous claims within `window`, one wins."""
    return db.session.execute(
        update(User).where(User.id == user_id, User.active == True,  # noqa: E712  SQL comparison
                           or_(User.init_link_sent_at.is_(None), User.init_link_sent_at <= at - window))
        .values(init_link_sent_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def send_login_link(user: User, at: datetime) -> bool:
    """Someone tried to log in to an account without a password: e-mail its owner the link.

    At most one such e-mail per account per 15 minutes (committed); returns whether it left.
    """
    if not _claim_sending(user.id, at, LOGIN_LINK_WINDOW):
        db.session.rollback()
        return False
    _queue_link(user, at)
    record(actor=SYSTEM, object_type="user", object_id=user.id, action="init_link_sent",
           detail="tentative de connexion sans mot de passe")
    db.session.commit()
    return True


def resend_init_link(user_id: int, actor: User) -> User:
    """The administrator sends a new first-connection link to an account without a password."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AuthError("Ce compte n'existe pas.")
    if not user.active:
        raise AuthError(INACTIVE_NO_LINK)
    if user.password_hash is not None:
        raise AuthError(HAS_PASSWORD)
    at = now()
    if not _claim_sending(user.id, at, RESEND_WINDOW):
        db.session.rollback()
        raise AuthError(ALREADY_SENT)
    _queue_link(user, at)
    record(actor=actor, object_type="user", object_id=user.id, action="init_link_sent", detail=user.email)
    db.session.commit()
    return user


def invite_user(*, email: str, role: str, firm_name: str | None, first_name: str, last_name: str,
                actor: User) -> User:
    """Create an account without a password and e-mail it the first-connection link."""
    user = create_user(email=email, role=role, firm_name=firm_name, first_name=first_name,
                       last_name=last_name, actor=actor)
    at = now()
    _claim_sending(user.id, at, RESEND_WINDOW)
    _queue_link(user, at)
    record(actor=actor, object_type="user", object_id=user.id, action="init_link_sent", detail=user.email)
    db.session.commit()
    return user


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
    errors = new_password_errors(new_password, confirmation)
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
    store_password(user, new_password)
    record(actor=user, object_type="user", object_id=user.id,
           action="password_initialised" if first_time else "password_reset")
    db.session.commit()
    return user
