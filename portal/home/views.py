"""Accueil and Portefeuille, the broker's two entry points."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("home/index.html")


@bp.get("/portefeuille")
@login_required
def portfolio():
    return render_template("home/portfolio.html")
