"""The AGENDA of Accueil: the firm's events, newest first, and closing one."""
from __future__ import annotations

from sqlalchemy import select

from ..audit.service import record
from ..auth.scoping import get_scoped_or_404, scoped
from ..clock import now
from ..extensions import db
from ..formatting import day, folded, moment
from .models import Event

MAX_EVENTS = 1000


def agenda(user, include_closed: bool = False, text: str = "") -> list[Event]:
    """At most MAX_EVENTS events of the user's firm (every firm for the back-office), newest
    first; `text` keeps those where any column contains it (case and accents ignored)."""
    stmt = scoped(select(Event), user).order_by(Event.created_at.desc(), Event.id.desc()).limit(MAX_EVENTS)
    if not include_closed:
        stmt = stmt.where(Event.closed_at.is_(None))
    events = db.session.scalars(stmt).all()
    wanted = folded(text).lower()
    if wanted:
        events = [event for event in events if wanted in folded(searchable(event)).lower()]
    return events


def searchable(event: Event) -> str:
    """Every column the "Filtrer" box looks into, as the page shows them."""
    return " ".join((day(event.effect_date), event.description, event.domain, moment(event.created_at)))


def close_event(user, event_id: int) -> Event:
    """"Clôturer": the event leaves the agenda (the dossier keeps it)."""
    event = get_scoped_or_404(Event, event_id, user)
    if event.closed_at is None:
        event.closed_at = now()
        record(actor=user, object_type="événement", object_id=event.id, action="Événement clôturé",
               detail=event.domain)
    db.session.commit()
    return event
