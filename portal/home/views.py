"""Pages outside the broker's work: the privacy page linked from every wizard screen."""
from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.get("/donnees-personnelles")
def privacy():
    return render_template("home/privacy.html")
