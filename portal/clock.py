"""The one place the portal reads the time: Europe/Paris, frozen by freezegun in tests."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    """Aware UTC datetime, for timestamps stored in the database."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date in Paris: effect dates, validity and expiry count in it."""
    return datetime.now(timezone.utc).astimezone(PARIS).date()


def as_utc(value: datetime) -> datetime:
    """Stored datetimes come back naive from SQLite: read them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
