"""The audit view: the journal, newest first, for the back-office and the administrator."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from ..auth.scoping import management_readers
from ..extensions import db
from ..journal.models import JournalEntry
from ..journal.service import label

bp = Blueprint("backoffice", __name__)
PAGE_SIZE = 100
MAX_PAGE = 100_000


@bp.get("/journal")
@management_readers
def journal():
    value = request.args.get("page", "1")
    page = int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_PAGE else 1
    rows = db.session.scalars(select(JournalEntry).order_by(JournalEntry.at.desc(), JournalEntry.id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render_template("backoffice/journal.html", rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE,
                           status_label=label)
