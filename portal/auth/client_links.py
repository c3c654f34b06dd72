"""The client-space account made at signature, and the e-mailed link that creates its password.

The client's e-mail is its identifier (one account per address). The link is single-use,
only its SHA-256 is stored, and it lives CLIENT_LINK_LIFETIME: the adhesion e-mail is not
always opened the day it arrives. A new link replaces the unused ones. "Mot de passe oublié ?"
(and a login tried on an account still without a password) e-mails a new one, at most once
per CLIENT_LINK_WINDOW per account, claimed by one conditional UPDATE.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import as_utc, now
from ..extensions import db
from ..journal.service import record
from ..messaging.service import queue_email
from ..security import hash_token, new_token
from .accounts import find_account, move_session_epoch
from .errors import InvalidInput, InvalidLink
from .links import new_password_errors
from .models import ClientAccount
from .passwords import hash_password
from .throttling import lift_locks

CLIENT_LINK_LIFETIME = timedelta(days=7)
CLIENT_LINK_PATH = "/espace-client/mot-de-passe/"
CLIENT_LOGIN_PATH = "/espace-client/connexion"
CLIENT_LINK_WINDOW = timedelta(minutes=15)
CLIENT_LINK_SUBJECT = "Mes Solutions Plus - Mot de passe de votre espace client"


class ClientPasswordLink(db.Model):
    __tablename__ = "client_password_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("client_account.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    account: Mapped[ClientAccount] = relationship()


def client_account_for(email: str, person_id: int | None) -> ClientAccount:
    """The account of this address, created (without a password) when it has none; in the
    caller's transaction. Two signatures at once for the same address make one account."""
    address = email.strip().lower()
    account = db.session.scalar(select(ClientAccount).where(ClientAccount.email == address))
    if account is not None:
        if account.person_id is None:
            account.person_id = person_id
        return account
    account = ClientAccount(email=address, person_id=person_id)
    try:
        with db.session.begin_nested():
            db.session.add(account)
    except IntegrityError:
        return db.session.scalar(select(ClientAccount).where(ClientAccount.email == address))
    return account


def new_client_link(account: ClientAccount) -> str:
    """A link to create (or reset) the account's password; the unused ones stop working.
    Returns the token, which only the e-mail keeps. The caller commits."""
    db.session.execute(delete(ClientPasswordLink).where(ClientPasswordLink.account_id == account.id,
                                                        ClientPasswordLink.used_at.is_(None)))
    token, digest = new_token()
    db.session.add(ClientPasswordLink(account_id=account.id, token_hash=digest,
                                      expires_at=now() + CLIENT_LINK_LIFETIME))
    return token


def request_client_link(email: str) -> None:
    """"Mot de passe oublié ?": e-mail a new link to the account of this address. Silent for an
    address without an active account, or when a link left less than 15 minutes ago: the page
    answers the same either way."""
    account = find_account(ClientAccount, email)
    if account is not None and account.active:
        send_client_link(account, now(), "mot de passe oublié")


def send_client_link(account: ClientAccount, at: datetime, why: str = "tentative de connexion sans mot de passe") -> bool:
    """E-mail the account a new password link, unless one left within CLIENT_LINK_WINDOW
    (committed); returns whether it left."""
    claimed = db.session.execute(
        update(ClientAccount).where(ClientAccount.id == account.id, ClientAccount.active == True,  # noqa: E712
                                    or_(ClientAccount.link_sent_at.is_(None),
                                        ClientAccount.link_sent_at <= at - CLIENT_LINK_WINDOW))
        .values(link_sent_at=at).execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        db.session.rollback()
        return False
    link = current_app.config["BASE_URL"] + CLIENT_LINK_PATH + new_client_link(account)
    queue_email(to=account.email, subject=CLIENT_LINK_SUBJECT, template="client_password_link",
                context={"link": link, "expires_at": at + CLIENT_LINK_LIFETIME,
                         "has_password": account.password_hash is not None})
    record(actor="système", object_type="client_account", object_id=account.id, action="password_link_sent",
           detail=why)
    db.session.commit()
    return True


def password_link_while_none(account: ClientAccount | None) -> str | None:
    """While the account has no password, a new link to create it (the e-mail that carries it
    offers it instead of the login page; the previous link may be dead, it lives 7 days). None
    once the password exists. The caller commits."""
    if account is None or account.password_hash is not None:
        return None
    return current_app.config["BASE_URL"] + CLIENT_LINK_PATH + new_client_link(account)


def _live_link(token: str, at: datetime) -> ClientPasswordLink:
    if not token or len(token) > 200:
        raise InvalidLink()
    row = db.session.scalar(select(ClientPasswordLink).where(ClientPasswordLink.token_hash == hash_token(token)))
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= at or not row.account.active:
        raise InvalidLink()
    return row


def account_for_client_link(token: str) -> ClientAccount:
    return _live_link(token, now()).account


def set_client_password(token: str, new_password: str, confirmation: str) -> ClientAccount:
    """The broker's password policy; the link is spent by one UPDATE, so of two simultaneous
    submissions one wins and the other is told the link has served."""
    at = now()
    row = _live_link(token, at)
    errors = new_password_errors(new_password, confirmation)
    if errors:
        raise InvalidInput(errors)
    claimed = db.session.execute(update(ClientPasswordLink).where(
        ClientPasswordLink.id == row.id, ClientPasswordLink.used_at.is_(None)).values(used_at=at)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidLink()
    account = row.account
    first_time = account.password_hash is None
    account.password_hash = hash_password(new_password)
    move_session_epoch(account)
    lift_locks(account)  # guesses of no password or of the old one are worth nothing now
    record(actor="client", object_type="client_account", object_id=account.id,
           action="password_initialised" if first_time else "password_reset")
    db.session.commit()
    return account
