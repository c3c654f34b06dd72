"""Whole numbers from forms and URLs: ASCII digits only, within bounds, never an exception."""
import pytest

from portal.parsing import whole_number

BIG = 2**31 - 1


@pytest.mark.parametrize("text, highest, expected", [
    ("1", 10, 1), ("10", 10, 10), (" 7 ", 10, 7), ("007", 10, 7), ("1\n", 10, 1), ("2147483647", BIG, 2147483647),
    ("0", 10, None), ("11", 10, None), ("2147483648", BIG, None), ("99999999999999999999999", BIG, None),
    ("", 10, None), (" ", 10, None), ("-1", 10, None), ("+1", 10, None), ("1.0", 10, None), ("1e3", BIG, None),
    ("1_000", BIG, None), ("²", 10, None), ("1²", BIG, None), ("٣", 10, None), ("३", 10, None), ("０", 10, None),
    ("𝟘", 10, None), ("Ⅻ", 20, None), ("\U0010ffff", 10, None), ("1\x00", 10, None), (None, 10, None),
])
def test_whole_number(text, highest, expected):
    assert whole_number(text, 1, highest) == expected
