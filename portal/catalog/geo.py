"""Postcodes, communes and départements, from portal/data/codes_postaux.csv.

The table is read once, on first use, into a dict keyed by postcode: the wizard asks for the
communes of a postcode at every keystroke, so a lookup must not scan 35 000 rows. The
département, and from it the tariff zone, comes from the commune's INSEE code, never from
the postcode (20000 is Ajaccio, 2A; 97400 is Saint-Denis, 974).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .model import Catalog, Zone

POSTCODES_PATH = Path(__file__).resolve().parent.parent / "data" / "codes_postaux.csv"
POSTCODE = re.compile(r"[0-9]{5}")
INSEE_CODE = re.compile(r"[0-9]{5}|2[AB][0-9]{3}")


@dataclass(frozen=True)
class Commune:
    insee_code: str
    name: str
    postcode: str
    routing_label: str  # libellé d'acheminement, the town name La Poste prints on mail

    @property
    def departement(self) -> str:
        return departement_of(self.insee_code)


def is_valid_postcode(postcode: str) -> bool:
    return bool(POSTCODE.fullmatch(postcode))


def communes_for(postcode: str) -> list[Commune]:
    """Communes served by a postcode, sorted by name; empty for an unknown or malformed one."""
    return list(_communes_by_postcode().get(postcode, ()))


def find_commune(postcode: str, insee_code: str) -> Commune | None:
    """The commune with this INSEE code among the postcode's, or None when it is not one of them."""
    for commune in _communes_by_postcode().get(postcode, ()):
        if commune.insee_code == insee_code:
            return commune
    return None


def departement_of(insee_code: str) -> str:
    """'16015' → '16', '2A004' → '2A', '97411' → '974' (overseas départements have three characters)."""
    if not INSEE_CODE.fullmatch(insee_code):
        raise ValueError(f"code INSEE invalide : {insee_code!r}")
    return insee_code[:3] if insee_code.startswith("97") else insee_code[:2]


def zone_of(catalog: Catalog, departement: str) -> Zone:
    """Tariff zone of a département; the ones the catalog does not list are in zone 2."""
    return catalog.tariff.zone_of(departement)


def zone_of_commune(catalog: Catalog, insee_code: str) -> Zone:
    return zone_of(catalog, departement_of(insee_code))


def _sort_key(commune: Commune) -> tuple[str, str]:
    """Alphabetical the French way: accents and case do not move a name (Éloi sorts with Eloi)."""
    plain = unicodedata.normalize("NFKD", commune.name)
    plain = "".join(char for char in plain if not unicodedata.combining(char)).casefold()
    return plain, commune.insee_code


@lru_cache(maxsize=1)
def _communes_by_postcode() -> Mapping[str, tuple[Commune, ...]]:
    grouped: dict[str, dict[str, Commune]] = {}
    with POSTCODES_PATH.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file, delimiter=";")
        next(reader)
        for postcode, insee_code, name, routing_label in reader:
            grouped.setdefault(postcode, {}).setdefault(insee_code, Commune(insee_code, name, postcode, routing_label))
    return MappingProxyType({postcode: tuple(sorted(communes.values(), key=_sort_key))
                             for postcode, communes in grouped.items()})
