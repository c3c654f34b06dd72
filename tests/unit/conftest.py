"""Catalog fixtures and the reference profile of SPEC §2, shared by the catalog tests."""
from datetime import date

import pytest

from portal.catalog.loader import get_catalog
from portal.catalog.pricing import Family

EFFECT = date(2026, 12, 1)
BORN = date(1978, 5, 4)


def family(**changes) -> Family:
    """The reference profile (born 04/05/1978, alone, Régime Général, zone 2), with changes."""
    values = dict(birth_date=BORN, effect_date=EFFECT, regime="general", zone="2")
    values.update(changes)
    return Family(**values)


def born_aged(age: int) -> date:
    """A birth date giving `age` at the 2026 effect date (age counts by birth year)."""
    return date(2026 - age, 5, 4)


@pytest.fixture(scope="module")
def tns():
    return get_catalog().product("smat-active-tns")


@pytest.fixture(scope="module")
def serenite():
    return get_catalog().product("smat-serenite")
