"""Whole numbers read from what people type or put in a URL.

`str.isdigit()` is true for "²" and for the digits of other scripts ("٣", "३"), which `int()`
then refuses or reads; and a number past 64 bits overflows the database's integer columns.
Every number taken from a form, a query string or the environment goes through `whole_number`.
"""
from __future__ import annotations

import re

ASCII_DIGITS = re.compile(r"[0-9]{1,18}")
DATABASE_ID_MAX = 2**31 - 1  # an INTEGER primary key on PostgreSQL


def whole_number(text: str | None, lowest: int, highest: int) -> int | None:
    """The number written in ASCII digits (spaces around allowed) if it lies in
    [lowest, highest]; None for anything else."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lowest <= value <= highest else None
