"""Quote and contract numbers: `<prefix>-<10 digits>`, from one counter row per sequence.

The counter is bumped with a single `UPDATE … RETURNING`: two concurrent issuers never get the
same number. On PostgreSQL the bump runs in a short transaction of its own, committed at once:
the row lock is not held while the issuer goes on (DEVIS.pdf takes a second to render), so
issues of one product no longer wait for each other. The price is a gap when an issue fails
after taking its number (the number is not reused); a successful issue never leaves one.
SQLite has one writer at a time and the issuer already holds it: the bump joins its transaction.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import Integer, String, create_engine, insert, update
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
    if db.engine.dialect.name == "sqlite":
        return _bump(db.session.connection(), name, count)
    with _counter_engine().begin() as connection:
        return _bump(connection, name, count)


def _bump(connection, name: str, count: int) -> int:
    bump = (update(NumberSequence).where(NumberSequence.name == name)
            .values(last_value=NumberSequence.last_value + count).returning(NumberSequence.last_value))
    value = connection.execute(bump).scalar()
    if value is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(NumberSequence).values(name=name, last_value=0))
        except IntegrityError:
            pass  # another transaction created it first: bump it below
        value = connection.execute(bump).scalar_one()
    return value - count + 1


def _counter_engine():
    """A small pool of its own: the issuer already holds a connection of the session's pool, and
    must never wait for that pool to give it a second one (threads each holding one would wait
    for each other). Made in each process on first use, after gunicorn's fork."""
    engine = current_app.extensions.get("number_counter_engine")
    if engine is None:
        engine = create_engine(db.engine.url, pool_size=1, max_overflow=4, pool_pre_ping=True)
        current_app.extensions["number_counter_engine"] = engine
    return engine


def formatted(prefix: str, value: int) -> str:
    return f"{prefix}-{value:0{DIGITS}d}"


def next_number(kind: str, prefix: str) -> str:
    """kind: "devis" or "contrat"; prefix: the product's number_prefix → "RIS-0000000034"."""
    return formatted(prefix, next_value(f"{kind}:{prefix}"))

