"""French formatting of money and dates (Babel, fr_FR), shared by pages, PDFs and e-mails."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

from .clock import PARIS, as_utc

LOCALE = "fr_FR"


def money(amount: Decimal | int | str) -> str:
    """1382.76 → '1 382,76 €' (ordinary spaces, so that tests and PDFs read the same text)."""
    return _money(Decimal(amount))


@lru_cache(maxsize=4096)
def _money(amount: Decimal) -> str:
    # Pages show the same few amounts many times (every formula, every option): format each once.
    text = format_currency(amount, "EUR", locale=LOCALE)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def money_per_month(amount: Decimal) -> str:
    return f"{money(amount)} / mois"


def number(value: Decimal | int, digits: int = 2) -> str:
    """A plain French number, for CSV and tables: 1382.76 → '1382,76' (no grouping, comma)."""
    return f"{Decimal(value):.{digits}f}".replace(".", ",")


def _paris(value: datetime) -> datetime:
    """Stored timestamps are UTC; people read them in Paris time."""
    return as_utc(value).astimezone(PARIS)


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy, the only date format the portal shows (a timestamp's day in Paris)."""
    if value is None:
        return ""
    if type(value) is not date:
        value = _paris(value).date() if isinstance(value, datetime) else value
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"  # what Babel's dd/MM/yyyy gives, 20× faster


def clock(value: datetime | None, seconds: bool = False) -> str:
    """HH:MM (or HH:MM:SS) of a timestamp in Paris."""
    if value is None:
        return ""
    return _paris(value).strftime("%H:%M:%S" if seconds else "%H:%M")


def moment(value: datetime | None, seconds: bool = False) -> str:
    """dd/mm/yyyy HH:MM in Paris, for timestamps shown to people."""
    return f"{day(value)} {clock(value, seconds)}" if value else ""


# Letters that are not a base letter plus accents, so NFKD leaves them whole.
LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "ẞ": "SS",
                           "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d"})


def folded(text: str) -> str:
    """Accents removed, ligatures spelt out and spaces collapsed, case kept: what searches compare
    ("Dupönt" → "Dupont", "Œuvray" → "OEuvray", "Straße" → "Strasse")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(LIGATURES))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def register_filters(app) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(money_per_month, "money_month")
    app.add_template_filter(day, "day")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(moment, "moment")
