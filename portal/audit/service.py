"""Writing the audit log, in the caller's transaction."""
from __future__ import annotations

from ..extensions import db
from .models import AuditLog


def record(*, actor, object_type: str, object_id, action: str,
           from_status: str | None = None, to_status: str | None = None, detail: str | None = None) -> AuditLog:
    """actor: a User, or a string such as "client" or "système" for non-user actors."""
    row = AuditLog(
        actor_user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or str(actor),
        object_type=object_type,
        object_id=str(object_id),
        action=action,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    db.session.add(row)
    return row
