"""Firms, staff users, client accounts, their single-use tokens and login counters."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db


class Role(str, enum.Enum):
    BROKER = "broker"
    BACKOFFICE = "backoffice"
    ADMIN = "admin"


class Firm(db.Model):
    """A broker firm (cabinet): the unit every broker's data is scoped to."""
    __tablename__ = "firm"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)  # raison sociale
    orias: Mapped[str] = mapped_column(String(8), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    users: Mapped[list["User"]] = relationship(back_populates="firm")

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)  # stored lower-case
    role: Mapped[Role] = mapped_column(Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e]), nullable=False)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"), nullable=True, index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    # None until the first connection: the user sets it through the e-mailed link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Failures from every address: they slow the next attempt down, never lock (throttling.py).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Sessions are signed cookies, kept by the browser: a session is valid only while it carries
    # the user's current epoch. Logging out or changing the password moves it on, so a copied
    # cookie stops working at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    # When the last first-connection link was e-mailed on the account's behalf (login without a
    # password, administrator's resend): claimed by a conditional UPDATE, at most one per window.
    init_link_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    # Every page shows the firm's name: loaded with the user, in the same query.
    firm: Mapped[Firm | None] = relationship(back_populates="users", lazy="joined")

    is_staff = True
    login_realm = ""  # what its login counters are keyed under (throttling.py)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: staff and client sessions never share an id
        return f"u:{self.id}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class AuthToken(db.Model):
    """A single-use link (password initialisation): only the SHA-256 of the token is stored."""
    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(30), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed logins, from every address, for an identifiant that matches no account.

    Counted exactly like a user's own counter (same columns, same rules), so that an unknown
    identifiant slows down the same way as a real one: the login page never tells whether an
    account exists. Only the SHA-256 of the normalised identifiant is stored.
    """
    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginSource(db.Model):
    """Failed logins of one identifiant from one source address (known account or not).

    This is the counter that locks: a guesser at one address is locked out without locking
    the account's owner, who logs in from another address. `last_success_at` marks an
    address the owner has logged in from, which the per-identifiant slow-down lets through.
    Only SHA-256 digests are stored: of identifiant and address (`key`), and of the identifiant
    alone, so that a new password lifts the locks of every address.
    """
    __tablename__ = "login_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    identifiant_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClientAccount(UserMixin, db.Model):
    """A customer's own login, apart from firm staff (`User`): its sessions open client pages only.

    The person it belongs to is a row of the quotes' `person` table, named by table so that
    auth does not import the quotes package.
    """
    __tablename__ = "client_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)  # stored lower-case
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until the client creates it
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When "Mot de passe oublié ?" (or a login without a password) last e-mailed a link:
    # claimed by a conditional UPDATE, at most one e-mail per window (client_links.py).
    link_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)

    is_staff = False
    # Its own counters: a client whose e-mail is also a broker's never locks the broker out.
    login_realm = "client:"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"c:{self.id}"
