"""Imports every module's tables, so that SQLAlchemy and Alembic know them all."""
from .audit.models import AuditLog  # noqa: F401
from .auth.models import AuthToken, Firm, LoginThrottle, User  # noqa: F401
from .messaging.models import Attachment, Message  # noqa: F401
from .numbering import NumberSequence  # noqa: F401
from .portfolio.models import Event  # noqa: F401
from .quotes.models import Person, Quote  # noqa: F401
from .signature.models import SignatureCode  # noqa: F401
from .storage.models import StoredFile  # noqa: F401
from .subscription.models import CustomerLink  # noqa: F401
