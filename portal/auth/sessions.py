"""Whose session it is: firm staff (`User`) or a client (`ClientAccount`), never both.

The session stores "u:<id>" for staff and "c:<id>" for a client. A client session is loaded
only on views marked with `client_required`: on every other view (all the staff pages, guarded
by the decorators of auth.scoping) it is never loaded, so the staff pages never see a client;
a staff page asked with a live client session answers 403 (the session is a client's: refused,
not "log in"), and with no session sends to the staff login. A staff session on a client view
is refused with 403; nobody logged in on a client view is sent to the client login.
A cookie from before this scheme (a bare id) loads nobody: its holder is logged out.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_url

from ..extensions import db, login_manager
from .models import ClientAccount, User

SESSION_EPOCH = "epoch"
CLIENT_LOGIN_MESSAGE = "Connectez-vous à votre espace client pour accéder à cette page."
_KINDS = {"u": User, "c": ClientAccount}


def _on_client_view() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "client_area", False))


@login_manager.user_loader
def load_account(session_id: str) -> User | ClientAccount | None:
    return _live_account(session_id, (User, ClientAccount) if _on_client_view() else (User,))


@login_manager.unauthorized_handler
def refuse_or_ask_login():
    """A staff view without a staff session: 403 for a live client session (checked, never
    loaded as the current user), otherwise the staff login, back here afterwards."""
    if _live_account(session.get("_user_id"), (ClientAccount,)) is not None:
        abort(403)
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def _live_account(session_id: str | None, kinds: tuple[type, ...]) -> User | ClientAccount | None:
    """The active account `session_id` names, if it is one of `kinds` and its session is still valid."""
    kind, _, number = (session_id or "").partition(":")
    model = _KINDS.get(kind)
    if model not in kinds or not number.isascii() or not number.isdigit() or len(number) > 9:
        return None
    account = db.session.get(model, int(number))
    # A deactivated account, or a session from before a logout or a password change, ends here.
    if account is None or not account.active or session.get(SESSION_EPOCH) != account.session_epoch:
        return None
    return account


def client_required(view):
    """View decorator for the client's own pages: a client session, never a staff one."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            flash(CLIENT_LOGIN_MESSAGE, "info")
            return redirect(url_for("auth.client_login", next=request.full_path if request.method == "GET" else None))
        if current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)
    return client_area(wrapped)


def client_area(view):
    """Mark a view on which a client session is loaded (the client login and logout, and every
    `client_required` page); everywhere else a client counts as logged out."""
    view.client_area = True
    return view

