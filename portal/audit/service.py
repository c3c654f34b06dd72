"""Kept for the callers of `portal.audit.service.record`: the journal writes it."""
from ..journal.service import record  # noqa: F401
