"""The catalog as immutable values: what catalog.yaml says, typed, with money as Decimal.

Built only by loader.py, which validates the file first; every other module reads these
objects and never the YAML. Catalog entities (Catalog, Product, Formula, Option) compare and
hash by identity so that per-product tables can be cached on them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

#: Tariff zone of every département the catalog does not list.
DEFAULT_ZONE = "2"
#: Need levels run from 1 (Minimal) to 4 (Supplément); an option never raises a level past it.
TOP_LEVEL = 4


@dataclass(frozen=True)
class Insurer:
    name: str
    legal_form: str
    siren: str
    address: str
    regulator: str
    sepa_creditor_id: str  # ICS, "Identifiant Créancier SEPA", printed on every SEPA mandate

    @property
    def legal_lines(self) -> str:
        """The insurer's mandatory identity, one line, as e-mails and pages print it."""
        return (f"{self.name}, {self.legal_form} — SIREN {self.siren} — {self.address}"
                f" — contrôlée par l'{self.regulator}")


@dataclass(frozen=True)
class NeedAxis:
    code: str
    label: str


@dataclass(frozen=True)
class Regime:
    code: str
    label: str
    factor: Decimal


@dataclass(frozen=True)
class Zone:
    code: str
    factor: Decimal
    departements: frozenset[str]


@dataclass(frozen=True)
class AgeBand:
    start: int
    end: int
    factor: Decimal


@dataclass(frozen=True, eq=False)
class Tariff:
    """The rating factors every product shares: age, zone, régime, free children, periodicities."""

    age_bands: tuple[AgeBand, ...]
    zones: Mapping[str, Zone]
    regimes: Mapping[str, Regime]
    free_from_child: int
    periodicities: Mapping[str, int]
    _zone_by_departement: Mapping[str, Zone] = field(init=False, repr=False)
    _factor_by_age: Mapping[int, Decimal] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_departement = {dep: zone for zone in self.zones.values() for dep in zone.departements}
        by_age = {age: band.factor for band in self.age_bands for age in range(band.start, band.end + 1)}
        object.__setattr__(self, "_zone_by_departement", MappingProxyType(by_departement))
        object.__setattr__(self, "_factor_by_age", MappingProxyType(by_age))

    def zone_of(self, departement: str) -> Zone:
        """Zone of a département; the ones the catalog does not list are in the default zone."""
        return self._zone_by_departement.get(departement) or self.zones[DEFAULT_ZONE]

    def age_factor(self, age: int) -> Decimal:
        """Factor of the age band holding `age`; KeyError when no band holds it."""
        return self._factor_by_age[age]

    @property
    def min_age(self) -> int:
        return self.age_bands[0].start

    @property
    def max_age(self) -> int:
        return self.age_bands[-1].end


@dataclass(frozen=True)
class AgeLimits:
    min: int
    max: int

    def __contains__(self, age: int) -> bool:
        return self.min <= age <= self.max


@dataclass(frozen=True)
class Association:
    name: str
    fee_monthly: Decimal
    notice: str


@dataclass(frozen=True, eq=False)
class Formula:
    code: str
    name: str
    base: Decimal
    child: Decimal
    levels: Mapping[str, int]  # need axis code → level 1..4, in the catalog's need order


@dataclass(frozen=True, eq=False)
class Option:
    code: str
    name: str
    raises: Mapping[str, int]  # need axis code → levels added, the sum capped at the top level
    rates: Mapping[str, Decimal]  # formula code → monthly rate per adult


@dataclass(frozen=True, eq=False)
class Product:
    code: str
    name: str
    number_prefix: str
    audience: str
    tns_required: bool
    madelin: bool
    association: Association | None
    age_limits: AgeLimits
    main_due_date: str  # "dd/mm", the échéance principale
    formulas: tuple[Formula, ...]
    options: tuple[Option, ...]
    tariff: Tariff

    def formula(self, code: str) -> Formula:
        for formula in self.formulas:
            if formula.code == code:
                return formula
        raise KeyError(f"{self.name} : formule inconnue {code!r}")

    def option(self, code: str) -> Option:
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(f"{self.name} : option inconnue {code!r}")

    def next_main_due_date(self, after: date) -> date:
        """The first échéance principale strictly after `after` (the next renewal)."""
        day_, month = (int(part) for part in self.main_due_date.split("/"))
        due = date(after.year, month, day_)
        return due if due > after else date(after.year + 1, month, day_)


@dataclass(frozen=True)
class FormulaGuarantees:
    """One formula's row of the guarantee table: percentages of the BR, or euros."""

    honoraires_optam: int  # % BR
    honoraires_non_optam: int  # % BR
    chambre_particuliere_jour: Decimal  # € per night
    optique_equipement: Decimal  # € per equipment
    dentaire_protheses: int  # % BR
    audiologie_oreille: Decimal  # € per ear


@dataclass(frozen=True)
class Guarantees:
    by_formula: Mapping[str, FormulaGuarantees]
    always: tuple[str, ...]
    option_texts: Mapping[str, str]  # option code → what the option adds, as printed


@dataclass(frozen=True)
class ReimbursementExample:
    label: str
    kind: str  # honoraires, chambre, optique, protheses, audiologie
    optam: bool | None  # only for honoraires
    expense: Decimal
    br: Decimal
    ro_rate: Decimal
    participation: Decimal


@dataclass(frozen=True)
class SupportingDocument:
    code: str
    label: str
    when: str  # always, optional, tns, spouse, children


@dataclass(frozen=True, eq=False)
class Catalog:
    version: str  # first 12 hex digits of the file's sha256: keys caches of generated documents
    insurer: Insurer
    need_axes: tuple[NeedAxis, ...]
    need_levels: tuple[str, ...]  # label of level 1, 2, 3, 4
    tariff: Tariff
    quote_validity_days: int
    products: tuple[Product, ...]
    guarantees: Guarantees
    reimbursement_examples: tuple[ReimbursementExample, ...]
    supporting_documents: tuple[SupportingDocument, ...]

    def product(self, code: str) -> Product:
        for product in self.products:
            if product.code == code:
                return product
        raise KeyError(f"produit inconnu {code!r}")

    def regime(self, code: str) -> Regime:
        return self.tariff.regimes[code]

    def level_label(self, level: int) -> str:
        """'Minimal' for 1 … 'Supplément' for 4."""
        if not 1 <= level <= len(self.need_levels):
            raise ValueError(f"niveau de besoin hors de 1..{len(self.need_levels)} : {level}")
        return self.need_levels[level - 1]

    @property
    def regimes(self) -> tuple[Regime, ...]:
        return tuple(self.tariff.regimes.values())

    @property
    def zones(self) -> Mapping[str, Zone]:
        return self.tariff.zones
