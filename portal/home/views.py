"""Accueil and Portefeuille, the broker's two entry points, and the privacy page."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.scoping import scoped
from ..extensions import db
from ..quotes.models import Quote, QuoteStatus

bp = Blueprint("home", __name__)
DRAFTS_SHOWN = 20


@bp.get("/")
@login_required
def index():
    drafts = db.session.scalars(
        scoped(select(Quote), current_user)
        .where(Quote.status == QuoteStatus.INCOMPLET, Quote.broker_id == current_user.id)
        .order_by(Quote.updated_at.desc()).limit(DRAFTS_SHOWN)).all()
    return render_template("home/index.html", drafts=drafts)


@bp.get("/portefeuille")
@login_required
def portfolio():
    return render_template("home/portfolio.html")


@bp.get("/donnees-personnelles")
def privacy():
    return render_template("home/privacy.html")
