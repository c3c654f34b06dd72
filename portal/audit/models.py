"""Kept for the readers of `AuditLog`: the audit log is the journal."""
from ..journal.models import JournalEntry as AuditLog  # noqa: F401
