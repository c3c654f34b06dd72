"""Login, first connection, password pages and logout.

Limits (per client address unless said otherwise):
- login POST: 10 per minute; per identifiant and address, 30 failed attempts per hour (on
  top of the slow-down and lock of throttling.py; never per identifiant alone, which would
  let anyone lock its owner out);
- "Première connexion" POST: 5 per minute and 20 per hour; per e-mail and address, 5 per
  hour (an account receives at most one link e-mail per 5 minutes, see links.py);
- password pages POST: 10 per minute.
The client login (/espace-client/connexion) and "Mot de passe oublié ?" have the same limits
as the broker's login and "Première connexion", counted apart.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter, login_manager
from . import accounts, client_links, links, login as logins
from .errors import AuthError, InvalidInput, InvalidLink
from .forms import (ChangePasswordForm, ClientLinkForm, ClientLoginForm, FirstConnectionForm, InitPasswordForm,
                    LoginForm, add_errors, add_form_error)
from .sessions import SESSION_EPOCH, client_area
from .throttling import throttle_key

bp = Blueprint("auth", __name__)

LOGIN_LIMIT = "10 per minute"
LOGIN_IDENTIFIANT_LIMIT = "30 per hour"
FIRST_CONNECTION_LIMIT = "5 per minute;20 per hour"
FIRST_CONNECTION_EMAIL_LIMIT = "5 per hour"
PASSWORD_LIMIT = "10 per minute"

LOGGED_OUT = "Vous êtes déconnecté."
PASSWORD_SET = "Votre mot de passe a été enregistré. Vous pouvez vous connecter."
PASSWORD_CHANGED = "Votre mot de passe a été modifié."
CLIENT_HOME = "client_space.home"  # the client space's first page (dossiers/client_views.py)


@bp.record_once
def configure_login(state) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message = "Pour votre sécurité, reconnectez-vous pour accéder à cette page."
    login_manager.needs_refresh_message_category = "info"
    login_manager.session_protection = "strong"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path of this site (/…), otherwise None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _form_key(field: str) -> str:
    return throttle_key(request.form.get(field, ""))


def _field_and_address(prefix: str, field: str):
    return lambda: f"{prefix}:{_form_key(field)}:{request.remote_addr or ''}"


def _login_failed(response) -> bool:
    return response.status_code != 302


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(LOGIN_IDENTIFIANT_LIMIT, methods=["POST"], key_func=_field_and_address("connexion", "identifiant"),
               deduct_when=_login_failed)
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("portfolio.index"))
    form = LoginForm()
    if form.validate_on_submit() and _logged_in(form, logins.STAFF):
        return redirect(next_url or url_for("portfolio.index"))
    return render_template("auth/login.html", form=form, next_url=next_url)


def _logged_in(form, kind: logins.AccountKind) -> bool:
    """Log in the account of `kind` the form names, or put the refusal on the form."""
    try:
        account = logins.authenticate(form.identifiant.data, form.mot_de_passe.data, request.remote_addr, kind)
    except AuthError as refusal:
        add_form_error(form, refusal.message)
        return False
    session.clear()  # a session prepared by someone else never becomes a logged-in one
    login_user(account)
    session[SESSION_EPOCH] = account.session_epoch
    # The CSRF secret of the new session, now: pages opened at once right after the login
    # would otherwise each make their own, and all but the last one's forms be refused.
    generate_csrf()
    return True


def _log_out(login_page: str):
    if current_user.is_authenticated:
        accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(LOGGED_OUT, "info")
    return redirect(url_for(login_page))


@bp.post("/deconnexion")
def logout():
    return _log_out("auth.login")


@bp.route(client_links.CLIENT_LOGIN_PATH, methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(LOGIN_IDENTIFIANT_LIMIT, methods=["POST"],
               key_func=_field_and_address("client-connexion", "identifiant"), deduct_when=_login_failed)
@client_area
def client_login():
    """The client space's login: client accounts only (a broker's e-mail fails as a wrong password)."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and not current_user.is_staff:
        return redirect(next_url or url_for(CLIENT_HOME))
    form = ClientLoginForm()
    if form.validate_on_submit() and _logged_in(form, logins.CLIENTS):
        return redirect(next_url or url_for(CLIENT_HOME))
    return render_template("auth/client_login.html", form=form, next_url=next_url)


@bp.post("/espace-client/deconnexion")
@client_area
def client_logout():
    return _log_out("auth.client_login")


@bp.route("/espace-client/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(FIRST_CONNECTION_LIMIT, methods=["POST"])
@limiter.limit(FIRST_CONNECTION_EMAIL_LIMIT, methods=["POST"], key_func=_field_and_address("client-lien", "email"))
def client_forgotten_password():
    form = ClientLinkForm()
    if form.validate_on_submit():
        client_links.request_client_link(form.email.data)
        return redirect(url_for("auth.client_link_sent"))
    return render_template("auth/client_forgotten_password.html", form=form)


@bp.get("/espace-client/mot-de-passe-oublie/envoye")
def client_link_sent():
    return render_template("auth/client_link_sent.html")


@bp.route("/premiere-connexion", methods=["GET", "POST"])
@limiter.limit(FIRST_CONNECTION_LIMIT, methods=["POST"])
@limiter.limit(FIRST_CONNECTION_EMAIL_LIMIT, methods=["POST"], key_func=_field_and_address("init", "email"))
def first_connection():
    form = FirstConnectionForm()
    if form.validate_on_submit():
        links.request_password_init(form.email.data)
        return redirect(url_for("auth.first_connection_sent"))
    return render_template("auth/first_connection.html", form=form)


@bp.get("/premiere-connexion/envoye")
def first_connection_sent():
    return render_template("auth/first_connection_sent.html")


def _link_invalid(message: str):
    return render_template("auth/link_invalid.html", message=message), 410


@bp.route(links.INIT_LINK_PATH + "<token>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_LIMIT, methods=["POST"])
def init_password(token: str):
    try:
        user = links.user_for_init_link(token)
    except InvalidLink as refusal:
        return _link_invalid(refusal.message)
    form = InitPasswordForm()
    if form.validate_on_submit():
        try:
            links.set_password_with_link(token, form.nouveau_mot_de_passe.data, form.confirmation.data)
        except InvalidLink as refusal:
            return _link_invalid(refusal.message)
        except InvalidInput as refusal:
            add_errors(form.nouveau_mot_de_passe, refusal.errors.get("new_password", []))
            add_errors(form.confirmation, refusal.errors.get("confirmation", []))
        else:
            if current_user.is_authenticated:
                logout_user()
                session.clear()
            flash(PASSWORD_SET, "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/init_password.html", form=form, user=user)


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@limiter.limit(PASSWORD_LIMIT, methods=["POST"])
def change_password():
    logged_in = current_user.is_authenticated
    form = ChangePasswordForm()
    if logged_in:
        del form.identifiant
    if form.validate_on_submit():
        try:
            logins.change_password(
                source=request.remote_addr,
                user=current_user._get_current_object() if logged_in else None,
                identifiant=None if logged_in else form.identifiant.data,
                current_password=form.mot_de_passe_actuel.data,
                new_password=form.nouveau_mot_de_passe.data,
                confirmation=form.confirmation.data,
            )
        except InvalidInput as refusal:
            add_errors(form.mot_de_passe_actuel, refusal.errors.get("current_password", []))
            add_errors(form.nouveau_mot_de_passe, refusal.errors.get("new_password", []))
            add_errors(form.confirmation, refusal.errors.get("confirmation", []))
        except AuthError as refusal:
            add_form_error(form, refusal.message)
        else:
            if logged_in:
                session[SESSION_EPOCH] = current_user.session_epoch  # this session goes on; the others end
                flash(PASSWORD_CHANGED, "success")
                return redirect(url_for("portfolio.index"))
            flash(f"{PASSWORD_CHANGED} Vous pouvez vous connecter.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form, logged_in=logged_in)


@bp.route(client_links.CLIENT_LINK_PATH + "<token>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_LIMIT, methods=["POST"])
def client_password(token: str):
    """The adhesion e-mail's link: the client creates the password of its client space."""
    try:
        account = client_links.account_for_client_link(token)
    except InvalidLink:
        return render_template("auth/client_link_invalid.html"), 410
    form = InitPasswordForm()
    if form.validate_on_submit():
        try:
            client_links.set_client_password(token, form.nouveau_mot_de_passe.data, form.confirmation.data)
        except InvalidLink:
            return render_template("auth/client_link_invalid.html"), 410
        except InvalidInput as refusal:
            add_errors(form.nouveau_mot_de_passe, refusal.errors.get("new_password", []))
            add_errors(form.confirmation, refusal.errors.get("confirmation", []))
        else:
            return render_template("auth/client_password_set.html", account=account)
    return render_template("auth/init_password.html", form=form, user=account)
