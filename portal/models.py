"""Imports every module's tables, so that SQLAlchemy and Alembic know them all."""
from .auth.models import AuthToken, Firm, LoginThrottle, User  # noqa: F401
from .journal.models import JournalEntry  # noqa: F401
from .messaging.models import Attachment, Job, Message  # noqa: F401
from .numbering import NumberSequence  # noqa: F401
from .quotes.links import CustomerLink  # noqa: F401
from .quotes.models import Person, Quote  # noqa: F401
from .signature.models import Contract, SignatureCode, SignatureStep  # noqa: F401
from .auth.client_links import ClientPasswordLink  # noqa: F401
from .storage.models import StoredFile  # noqa: F401
from .subscription.models import Subscription  # noqa: F401
from .dossiers.models import Piece, PieceFile  # noqa: F401
