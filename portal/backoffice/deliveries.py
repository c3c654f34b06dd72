"""The delivery of the dossiers' messages, for the staff: "Renvoyer" a message that failed for
good (a broker its own firm's, the back-office any), and the back-office's list of failures."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.scoping import get_scoped_or_404, management_readers, staff_readers
from ..auth.views import safe_next
from ..messaging import service
from ..messaging.models import Message

delivery_bp = Blueprint("delivery", __name__)


@delivery_bp.post("/messages/<int:message_id>/renvoyer")
@staff_readers
def retry(message_id: int):
    """"Renvoyer" a message that failed for good: a broker its own firm's, the back-office any."""
    message = get_scoped_or_404(Message, message_id, current_user)
    try:
        service.retry(message, current_user)
    except service.RetryError as error:
        flash(error.message, "error")
    else:
        flash("Le message est de nouveau en attente d'envoi.", "success")
    return redirect(safe_next(request.form.get("retour")) or url_for("portfolio.index"))


@delivery_bp.get("/gestion/messages-en-echec")
@management_readers
def failed():
    return render_template("messaging/failed.html", messages=service.failed_messages())


@delivery_bp.app_context_processor
def delivery_helpers() -> dict:
    # Called by the menu for the back-office and the administrator only: one count per page.
    return {"count_failed_messages": service.count_failed}
