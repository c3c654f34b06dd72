"""Quote and contract numbers: `<prefix>-<10 digits>`, from one counter row per sequence.

The counter is bumped with a single `UPDATE … RETURNING`, which takes the row lock on
PostgreSQL (and the database lock on SQLite) until the caller's transaction ends: two
concurrent issuers never get the same number, and a rolled-back issue leaves a gap rather
than a duplicate. Works the same on both databases, without dialect-specific sequences.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

DIGITS = 10


class NumberSequence(db.Model):
    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. "devis:RIS"
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def next_value(name: str) -> int:
    """The next value of sequence `name`, created at 0 on first use."""
    return reserve(name, 1)


def reserve(name: str, count: int) -> int:
    """Takes `count` consecutive values of sequence `name` at once; returns the first."""
    bump = (update(NumberSequence).where(NumberSequence.name == name)
            .values(last_value=NumberSequence.last_value + count).returning(NumberSequence.last_value))
    value = db.session.execute(bump).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NumberSequence).values(name=name, last_value=0))
        except IntegrityError:
            pass  # another transaction created it first: bump it below
        value = db.session.execute(bump).scalar_one()
    return value - count + 1


def formatted(prefix: str, value: int) -> str:
    return f"{prefix}-{value:0{DIGITS}d}"


def next_number(kind: str, prefix: str) -> str:
    """kind: "devis" or "contrat"; prefix: the product's number_prefix → "RIS-0000000034"."""
    return formatted(prefix, next_value(f"{kind}:{prefix}"))

