"""The AGENDA of Accueil: a reader of the journal. Its entries are the journal rows a change
asked to show there (agenda_kind set), newest first; closing one hides it from the agenda."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..auth.scoping import get_scoped_or_404, scoped
from ..clock import now
from ..extensions import db
from ..formatting import folded
from ..journal.models import JournalEntry
from ..journal.service import record
from ..validators import without_control

MAX_EVENTS = 1000


def agenda(user, include_closed: bool = False, text: str = "") -> list[JournalEntry]:
    """At most MAX_EVENTS entries of the user's firm (every firm for the back-office), newest
    first; `text` keeps, in the database and among all of them, those where a column as shown
    contains it (case and accents ignored)."""
    stmt = (scoped(select(JournalEntry), user).where(JournalEntry.agenda_kind.is_not(None))
            .order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(MAX_EVENTS))
    if not include_closed:
        stmt = stmt.where(JournalEntry.closed_at.is_(None))
    wanted = folded(without_control(text)).lower()
    if wanted:
        stmt = stmt.where(JournalEntry.agenda_search.contains(wanted, autoescape=True))
    return db.session.scalars(stmt).all()


def entry_or_404(user, entry_id: int) -> JournalEntry:
    entry = get_scoped_or_404(JournalEntry, entry_id, user)
    if entry.agenda_kind is None:  # a journal row that is not on the agenda
        abort(404)
    return entry


def close_event(user, event_id: int) -> JournalEntry:
    """"Clôturer": the entry leaves the agenda (the journal and the dossier keep it)."""
    entry = entry_or_404(user, event_id)
    if entry.closed_at is None:
        entry.closed_at = now()
        record(actor=user, object_type="journal", object_id=entry.id, action="Événement clôturé",
               detail=entry.domain, firm_id=entry.firm_id)
    db.session.commit()
    return entry
