"""Imports every module's tables, so that SQLAlchemy and Alembic know them all."""
from .audit.models import AuditLog  # noqa: F401
from .auth.models import AuthToken, Firm, LoginThrottle, User  # noqa: F401
from .messaging.models import Attachment, Message  # noqa: F401
