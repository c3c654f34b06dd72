"""The administrator's pages: firms and staff accounts (create, invite, deactivate, resend a link).

Every route answers 403 to anyone but an administrator. Writes go through auth.accounts and
auth.links, which check the input and write the audit log. A double click lands where the
first click did: a firm or an invitation identical to one made in the last two minutes is
shown as done, and deactivation, reactivation and resends are idempotent.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from ..auth import accounts, links
from ..auth.errors import AlreadyExists, AuthError, InvalidInput
from ..auth.models import Firm, User
from ..auth.scoping import admin_only, get_scoped_or_404
from ..clock import as_utc, now
from ..extensions import db, limiter
from .forms import ROLE_LABELS, FirmForm, InviteForm, show_errors

bp = Blueprint("admin", __name__, url_prefix="/administration")

ADMIN_LIMIT = "30 per minute"
SAME_CLICK = timedelta(minutes=2)
FIRM_FIELDS = {"name": "raison_sociale", "orias": "orias", "phone": "telephone", "address": "adresse", "email": "email"}
INVITE_FIELDS = {"email": "email", "first_name": "prenom", "last_name": "nom", "role": "role", "firm": "cabinet"}


@bp.before_request
@admin_only
def only_administrators():
    return None


def _recent(row) -> bool:
    return row is not None and as_utc(row.created_at) > now() - SAME_CLICK


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/cabinets")
def firms():
    rows = db.session.execute(
        select(Firm, func.count(User.id)).outerjoin(User, User.firm_id == Firm.id)
        .group_by(Firm.id).order_by(Firm.name)
    ).all()
    return render_template("admin/firms.html", rows=rows)


@bp.route("/cabinets/nouveau", methods=["GET", "POST"])
@limiter.limit(ADMIN_LIMIT, methods=["POST"])
def new_firm():
    form = FirmForm()
    if form.validate_on_submit():
        values = dict(name=form.raison_sociale.data, orias=form.orias.data, phone=form.telephone.data,
                      address=form.adresse.data, email=form.email.data)
        try:
            firm = accounts.create_firm(**values, actor=current_user._get_current_object())
        except InvalidInput as refusal:
            firm = refusal.existing if isinstance(refusal, AlreadyExists) else None
            if not (_recent(firm) and firm.orias == "".join((values["orias"] or "").split())):
                show_errors(form, refusal.errors, FIRM_FIELDS)
                return render_template("admin/firm_new.html", form=form), 422
        flash(f"Cabinet « {firm.name} » créé.", "success")
        return redirect(url_for("admin.firms"))
    return render_template("admin/firm_new.html", form=form)


@bp.get("/utilisateurs")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, role_labels=ROLE_LABELS)


def _firm_choices() -> list[SelectChoice]:
    names = db.session.scalars(select(Firm.name).order_by(Firm.name)).all()
    return [SelectChoice("", "Aucun (service de gestion, administrateur)")] + [SelectChoice(name, name) for name in names]


@bp.route("/utilisateurs/inviter", methods=["GET", "POST"])
@limiter.limit(ADMIN_LIMIT, methods=["POST"])
def invite():
    form = InviteForm()
    form.cabinet.choices = _firm_choices()
    if form.validate_on_submit():
        try:
            user = links.invite_user(email=form.email.data, role=form.role.data, firm_name=form.cabinet.data,
                                     first_name=form.prenom.data, last_name=form.nom.data,
                                     actor=current_user._get_current_object())
        except InvalidInput as refusal:
            user = refusal.existing if isinstance(refusal, AlreadyExists) else None
            if not (_recent(user) and user.role.value == form.role.data):
                show_errors(form, refusal.errors, INVITE_FIELDS)
                return render_template("admin/invite.html", form=form), 422
        flash(f"Compte créé pour {user.email} : le lien de première connexion lui a été envoyé.", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


def _account(user_id: int) -> User:
    return get_scoped_or_404(User, user_id, current_user)


@bp.post("/utilisateurs/<user_id>/desactiver")
@limiter.limit(ADMIN_LIMIT)
def deactivate(user_id: str):
    user = _account(user_id)
    try:
        accounts.set_active(user.id, False, current_user._get_current_object())
    except AuthError as refusal:
        flash(refusal.message, "error")
    else:
        flash(f"Compte {user.email} désactivé : ses sessions sont fermées.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/utilisateurs/<user_id>/reactiver")
@limiter.limit(ADMIN_LIMIT)
def reactivate(user_id: str):
    user = _account(user_id)
    accounts.set_active(user.id, True, current_user._get_current_object())
    flash(f"Compte {user.email} réactivé.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/utilisateurs/<user_id>/renvoyer-lien")
@limiter.limit(ADMIN_LIMIT)
def resend_link(user_id: str):
    user = _account(user_id)
    try:
        links.resend_init_link(user.id, current_user._get_current_object())
    except AuthError as refusal:
        flash(refusal.message, "error")
    else:
        flash(f"Un nouveau lien de première connexion a été envoyé à {user.email}.", "success")
    return redirect(url_for("admin.users"))
