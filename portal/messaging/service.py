"""Queueing messages: called by the business services, inside their transaction.

Nothing is sent here; `flask worker` (or the worker thread of the dev server) delivers.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, render_template

from ..extensions import db
from .models import Attachment, Channel, Message


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    content: bytes


def _message_id() -> str:
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rsplit("@", 1)[-1] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue_email(*, to: list[str] | str, subject: str, template: str, context: dict | None = None,
                cc: list[str] | str = (), attachments: list[File] = ()) -> Message:
    """Render templates/emails/<template>.txt and .html with the common footer, and queue it."""
    context = dict(context or {})
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", **context)
    to_list = [to] if isinstance(to, str) else list(to)
    cc_list = [cc] if isinstance(cc, str) else list(cc)
    # Nobody receives the same message twice because it is both in To and in Cc.
    cc_list = [a for a in cc_list if a and a.lower() not in {t.lower() for t in to_list}]
    message = Message(
        channel=Channel.EMAIL,
        message_id=_message_id(),
        sender=current_app.config["MAIL_FROM"],
        to=",".join(to_list),
        cc=",".join(cc_list),
        subject=subject,
        body_text=text,
        body_html=html,
    )
    message.attachments = [Attachment(filename=f.filename, content_type=f.content_type, content=f.content) for f in attachments]
    db.session.add(message)
    return message


def queue_sms(*, to: str, text: str) -> Message:
    message = Message(
        channel=Channel.SMS,
        message_id=_message_id(),
        sender="Mes Solutions Plus",
        to=to,
        body_text=text,
    )
    db.session.add(message)
    return message
