"""Writing the journal, in the caller's transaction.

`transition(obj, to, actor=…, action=…)` is the one way a status changes: it checks the
object's transition table, writes the journal row (status codes, the object's integer id) and,
when asked, the agenda entry the change implies, in the same row and the same transaction.
`record(…)` writes the actions that change no status (a login, a resend, an admin's act).

The journal imports no business module: an entity makes itself known with `@tracked(type,
TRANSITIONS)` on its model, next to its status enum and table.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from ..clock import now
from ..extensions import db
from ..formatting import day, folded, moment
from .models import JournalEntry

#: object_type → the status enums of the entities registered with @tracked.
STATUS_ENUMS: dict[str, list[type[enum.Enum]]] = {}


class TransitionRefused(Exception):
    """A change of status the entity's table does not allow, with the French message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AgendaNote:
    """The agenda entry a change implies (Accueil › AGENDA of the object's firm)."""
    kind: str
    description: str
    domain: str
    effect_date: date
    person_id: int | None = None
    quote_id: int | None = None


def tracked(object_type: str, transitions: Mapping[enum.Enum, frozenset], field: str = "status"):
    """Class decorator for a model with a status column (`field`): its journal name and transition
    table. A model with two independent statuses (a contract's signature and its progress) is
    decorated once for each, with status enums whose codes differ."""
    def register(cls):
        statuses = type(next(iter(transitions)))
        cls.journal_type = object_type
        cls.status_fields = {**getattr(cls, "status_fields", {}), statuses: (field, transitions)}
        if field == "status":
            cls.status_transitions = transitions
        STATUS_ENUMS.setdefault(object_type, []).append(statuses)
        return cls
    return register


def transition(obj, to_status: enum.Enum, *, actor, action: str, detail: str | None = None,
               agenda: AgendaNote | None = None) -> JournalEntry:
    """The status column of `to_status`'s kind becomes `to_status` if its table allows it
    (TransitionRefused otherwise)."""
    field, transitions = type(obj).status_fields[type(to_status)]
    current = getattr(obj, field)
    if to_status not in transitions[current]:
        raise TransitionRefused(f"« {label(current)} » ne peut pas passer à « {label(to_status)} ».")
    setattr(obj, field, to_status)
    return record(actor=actor, object_type=type(obj).journal_type, object_id=obj.id, action=action,
                  from_status=current, to_status=to_status, detail=detail,
                  firm_id=getattr(obj, "firm_id", None), agenda=agenda)


def record(*, actor, object_type: str, object_id: int, action: str, from_status: str | enum.Enum | None = None,
           to_status: str | enum.Enum | None = None, detail: str | None = None, firm_id: int | None = None,
           agenda: AgendaNote | None = None) -> JournalEntry:
    """actor: a User, or a string such as "client" or "système" for non-user actors."""
    moment_of = now()
    row = JournalEntry(
        at=moment_of,
        actor_user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or str(actor),
        firm_id=firm_id,
        object_type=object_type,
        object_id=int(object_id),
        action=action,
        from_status=_code(from_status),
        to_status=_code(to_status),
        detail=detail,
    )
    if agenda is not None:
        row.agenda_kind, row.description, row.domain = agenda.kind, agenda.description, agenda.domain
        row.effect_date, row.person_id, row.quote_id = agenda.effect_date, agenda.person_id, agenda.quote_id
        row.agenda_search = searchable(agenda.effect_date, agenda.description, agenda.domain, moment_of)
    db.session.add(row)
    return row


def searchable(effect_date: date, description: str, domain: str, created) -> str:
    """The agenda's columns as the page shows them, folded the way "Filtrer" folds what is typed."""
    return folded(" ".join((day(effect_date), description, domain, moment(created)))).lower()[:700]


def label(status: enum.Enum | str | None, object_type: str | None = None) -> str:
    """The status as the screens write it ("valide" → "Validé"), the code itself if unknown."""
    if status is None:
        return ""
    if isinstance(status, enum.Enum):
        return getattr(status, "label", status.value)
    for statuses in STATUS_ENUMS.get(object_type or "", ()):
        try:
            return statuses(status).label
        except ValueError:
            continue
    return status


def _code(status: str | enum.Enum | None) -> str | None:
    return status.value if isinstance(status, enum.Enum) else status


def history(object_type: str, object_id: int) -> list[JournalEntry]:
    """An object's rows, oldest first: the history its page shows."""
    return db.session.scalars(db.select(JournalEntry).where(
        JournalEntry.object_type == object_type, JournalEntry.object_id == object_id)
        .order_by(JournalEntry.at, JournalEntry.id)).all()
