"""Monthly price of a formula for a family, line by line, as catalog.yaml's pricing_rules say.

Every line is rounded ROUND_HALF_UP to the cent on its own and the month is the sum of the
rounded lines, so the detail shown to the client always adds up to the total it is asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterable, Mapping

from .model import Formula, Option, Product, Tariff

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONTHS_PER_YEAR = 12


class PricingError(ValueError):
    """The family cannot be priced by the tariff (an age no band holds, an unknown zone…)."""


def to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def age_at_effect(birth_date: date, effect_date: date) -> int:
    """The tariff counts ages by birth year: effect year − birth year, whatever the day."""
    return effect_date.year - birth_date.year


@dataclass(frozen=True)
class Family:
    """The people a quote covers, and what rates them.

    `zone` is the tariff zone code of the main insured's commune (geo.zone_of_commune); the
    whole family is on the main insured's `regime`, since the wizard asks for one régime and
    tells the broker that other cases subscribe on paper.
    """

    birth_date: date
    effect_date: date
    regime: str
    zone: str
    spouse_birth_date: date | None = None
    children: int = 0

    def __post_init__(self) -> None:
        if self.children < 0:
            raise ValueError(f"nombre d'enfants négatif : {self.children}")

    @property
    def main_age(self) -> int:
        return age_at_effect(self.birth_date, self.effect_date)

    @property
    def spouse_age(self) -> int | None:
        return None if self.spouse_birth_date is None else age_at_effect(self.spouse_birth_date, self.effect_date)


@dataclass(frozen=True)
class PriceLine:
    label: str
    amount: Decimal
    option: str | None = None  # code of the option this line belongs to


@dataclass(frozen=True)
class Price:
    product_code: str
    formula_code: str
    options: tuple[str, ...]
    lines: tuple[PriceLine, ...]
    monthly: Decimal
    annual: Decimal  # "Tarif annuel TTC"

    def option_amount(self, code: str) -> Decimal:
        """What one option adds to the month for this family ("Montant de la cotisation" of the option)."""
        return sum((line.amount for line in self.lines if line.option == code), ZERO)


@dataclass(frozen=True)
class FamilyRating:
    """What the family's ages, zone and régime do to each line, computed once per family."""

    adults: tuple[tuple[str, Decimal], ...]  # (who, age × zone × régime factor)
    child_factor: Decimal  # zone × régime
    paying_children: int
    free_children: int


def price(product: Product, formula_code: str, family: Family, options: Iterable[str] = ()) -> Price:
    """Price of one formula with the chosen options; unknown formula or option codes raise KeyError."""
    return price_formula(product, product.formula(formula_code), rate_family(product, family),
                         chosen_options(product, options))


def instalment(monthly: Decimal, periodicity: str, tariff: Tariff) -> Decimal:
    """Amount taken at each due date: Mensuel × 1, Trimestriel × 3, Semestriel × 6, Annuel × 12."""
    try:
        months = tariff.periodicities[periodicity]
    except KeyError:
        raise PricingError(f"Modalité de paiement inconnue : {periodicity} "
                           f"(attendu : {', '.join(tariff.periodicities)}).") from None
    return to_cent(monthly * months)


def chosen_options(product: Product, codes: Iterable[str]) -> tuple[Option, ...]:
    """The options asked, each once, in catalog order, so that equal choices give equal prices."""
    wanted = set(codes)
    for code in wanted:
        product.option(code)
    return tuple(option for option in product.options if option.code in wanted)


def rate_family(product: Product, family: Family) -> FamilyRating:
    """Ages, zone and régime turned into factors once, then shared by every formula priced."""
    tariff = product.tariff
    try:
        local = tariff.zones[family.zone].factor * tariff.regimes[family.regime].factor
    except KeyError as error:
        raise PricingError(f"Zone ou régime inconnu du tarif : {error.args[0]}") from None
    adults = [("assuré principal", _age_factor(tariff, family.main_age) * local)]
    if family.spouse_age is not None:
        adults.append(("conjoint(e)", _age_factor(tariff, family.spouse_age) * local))
    paying = min(family.children, tariff.free_from_child - 1)
    return FamilyRating(tuple(adults), local, paying, family.children - paying)


def price_formula(product: Product, formula: Formula, rating: FamilyRating, options: tuple[Option, ...]) -> Price:
    """The lines of one formula for an already rated family; the building block of price_all."""
    lines = [PriceLine(who.capitalize(), to_cent(formula.base * factor)) for who, factor in rating.adults]
    child_amount = to_cent(formula.child * rating.child_factor)
    lines += [PriceLine(f"Enfant {n}", child_amount) for n in range(1, rating.paying_children + 1)]
    lines += [PriceLine(f"Enfant {n} (gratuit)", ZERO)
              for n in range(rating.paying_children + 1, rating.paying_children + rating.free_children + 1)]
    rates = _option_rates(product)
    for option in options:
        adult_rate, child_rate = rates[option.code, formula.code]
        lines += [PriceLine(f"{option.name} — {who}", adult_rate, option.code) for who, _ in rating.adults]
        lines += [PriceLine(f"{option.name} — enfant {n}", child_rate, option.code)
                  for n in range(1, rating.paying_children + 1)]
    if product.association:
        lines.append(PriceLine(f"Frais d'adhésion : {product.association.name}", product.association.fee_monthly))
    monthly = sum((line.amount for line in lines), ZERO)
    return Price(product.code, formula.code, tuple(option.code for option in options), tuple(lines),
                 monthly, monthly * MONTHS_PER_YEAR)


def _age_factor(tariff: Tariff, age: int) -> Decimal:
    try:
        return tariff.age_factor(age)
    except KeyError:
        raise PricingError(f"Aucun coefficient d'âge pour {age} ans "
                           f"(tarif de {tariff.min_age} à {tariff.max_age} ans).") from None


@lru_cache(maxsize=None)
def _option_rates(product: Product) -> Mapping[tuple[str, str], tuple[Decimal, Decimal]]:
    """(option, formula) → (rate per adult, rate per paying child = half, rounded), once per product."""
    return {(option.code, code): (rate, to_cent(rate / 2))
            for option in product.options for code, rate in option.rates.items()}
