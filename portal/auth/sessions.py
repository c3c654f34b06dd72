"""Whose session it is: firm staff (`User`) or a client (`ClientAccount`), never both.

The session stores "u:<id>" for staff and "c:<id>" for a client. A client session is loaded
only on views marked with `client_required`: on every other view (all the staff pages,
whether they use `login_required` or `roles_required`) it counts as no session at all, so
the staff pages never see a client. A staff session on a client view is refused with 403;
nobody logged in on a client view is sent to the client login.
A cookie from before this scheme (a bare id) loads nobody: its holder is logged out.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user

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
    kind, _, number = (session_id or "").partition(":")
    model = _KINDS.get(kind)
    if model is None or not number.isascii() or not number.isdigit() or len(number) > 9:
        return None
    if model is ClientAccount and not _on_client_view():
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

