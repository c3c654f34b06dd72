"""/dev/messages: the local outbox viewer (e-mails and SMS as the worker sees them).

Local use only: every route answers 404 unless DEV_MESSAGES is set, which the settings never
allow in production. No login, so that a newcomer can follow a first-connection link.
A delivered message is scrubbed in the database (links, HTML, attachments): the viewer then
shows the copy the outbox kept in instance/outbox.

Also the pages of delivery for the staff: sending a failed message again, and the back-office's
list of messages that failed for good.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

from flask import Blueprint, abort, current_app, make_response, render_template, request, send_file
from markupsafe import Markup, escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer

from ..extensions import db
from .backends import check_configuration, local_copies, read_local_copy
from .models import Attachment, Channel, Delivery, Message

bp = Blueprint("messaging", __name__, url_prefix="/dev/messages")

PER_PAGE = 50
STATUS_LABELS = {Delivery.PENDING: "En attente", Delivery.SENT: "Envoyé", Delivery.FAILED: "Échec"}
CHANNEL_LABELS = {Channel.EMAIL: "E-mail", Channel.SMS: "SMS"}
URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]»"

# The HTML body of an e-mail is untrusted markup: shown in a sandboxed frame, no script,
# nothing loaded from anywhere, links opened in a new tab.
HTML_BODY_CSP = ("sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")


@bp.record_once
def check_delivery_settings(state) -> None:
    """A MAIL_URL or SMS_URL that no backend understands stops the application at start-up."""
    check_configuration(state.app.config)


@bp.before_request
def local_only():
    if not current_app.config.get("DEV_MESSAGES"):
        abort(404)


def linkify(text: str) -> Markup:
    """Escaped text in which every http(s) address is a link."""
    parts, position = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[position:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


@bp.context_processor
def helpers() -> dict:
    return {"linkify": linkify, "status_labels": STATUS_LABELS, "channel_labels": CHANNEL_LABELS}


def _message_or_404(message_id: int) -> Message:
    return db.session.get(Message, message_id) or abort(404)


@bp.get("")
def index():
    recipient = request.args.get("destinataire", "").strip()
    query = (select(Message).options(defer(Message.body_html))
             .order_by(Message.created_at.desc(), Message.id.desc()))
    if recipient:
        pattern = f"%{recipient.lower()}%"
        query = query.where(or_(func.lower(Message.to).like(pattern), func.lower(Message.cc).like(pattern)))
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template("dev/messages.html", page=page, recipient=recipient)


@dataclass(frozen=True)
class Shown:
    """What the viewer shows of a message: the row's content, or the outbox's copy once scrubbed."""
    text: str
    html: str | None
    attachments: dict[int, bytes | None]  # attachment id → content
    from_copy: bool


def _shown(message: Message) -> Shown:
    copy = read_local_copy(local_copies(current_app), message.message_id) if message.scrubbed_at else None
    if copy is None:
        return Shown(message.body_text, message.body_html, {piece.id: piece.content for piece in message.attachments},
                     from_copy=False)
    return Shown(copy.text, copy.html, {piece.id: content for piece, content in zip(message.attachments, copy.attachments)},
                 from_copy=True)


@bp.get("/<int:message_id>")
def detail(message_id: int):
    message = _message_or_404(message_id)
    return render_template("dev/message.html", message=message, shown=_shown(message))


@bp.get("/<int:message_id>/html")
def html_body(message_id: int):
    message = _message_or_404(message_id)
    body = _shown(message).html
    if not body:
        abort(404)
    base = '<base target="_blank">'
    head = re.search(r"<head[^>]*>", body, re.IGNORECASE)
    body = body[:head.end()] + base + body[head.end():] if head else base + body
    response = make_response(body)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = HTML_BODY_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<int:message_id>/pieces/<int:attachment_id>")
def attachment(message_id: int, attachment_id: int):
    piece = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                       Attachment.message_id == message_id))
    content = piece and _shown(piece.message).attachments.get(piece.id)
    if content is None:
        abort(404)
    return send_file(BytesIO(content), mimetype=piece.content_type or "application/octet-stream",
                     as_attachment=True, download_name=piece.filename)
