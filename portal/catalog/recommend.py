"""The "Formule conseillée": the cheapest formula, alone or with one option, that covers the needs.

The broker's duty of advice rests on this choice, so the rule is the written one and nothing
more: cover every need at the level asked (an option raises the levels it lists, capped at
Supplément), then the lowest monthly price for this family, then the lower formula.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from .model import TOP_LEVEL, Formula, Option, Product
from .pricing import Family, Price, price_formula, rate_family


@dataclass(frozen=True)
class FormulaQuote:
    formula: Formula
    options: tuple[str, ...]
    levels: Mapping[str, int]  # need axis → level reached with these options
    price: Price

    def covers(self, needs: Mapping[str, int]) -> bool:
        return all(self.levels[axis] >= level for axis, level in needs.items())


@dataclass(frozen=True)
class Recommendation:
    formula_code: str
    options: tuple[str, ...]
    price: Price
    covers_needs: bool
    message: str


@dataclass(frozen=True)
class _Candidate:
    formula: Formula
    options: tuple[Option, ...]
    levels: Mapping[str, int]


def levels_with(formula: Formula, options: tuple[Option, ...]) -> Mapping[str, int]:
    """A formula's level on each need once the options' raises are added, capped at the top level."""
    return MappingProxyType({
        axis: min(level + sum(option.raises.get(axis, 0) for option in options), TOP_LEVEL)
        for axis, level in formula.levels.items()
    })


@lru_cache(maxsize=1024)
def price_all(product: Product, family: Family) -> tuple[FormulaQuote, ...]:
    """Every formula alone, then with each option, in catalog order: the cards of the second screen.

    A pure function of immutable values, so the formula screen shown again for the same family
    (every "Précédent", every option ticked without script) is priced once."""
    rating = rate_family(product, family)
    return tuple(FormulaQuote(candidate.formula, tuple(option.code for option in candidate.options), candidate.levels,
                         price_formula(product, candidate.formula, rating, candidate.options))
            for candidate in _candidates(product))


def recommend(product: Product, needs: Mapping[str, int], family: Family,
              priced: tuple[FormulaQuote, ...] | None = None) -> Recommendation:
    """Needs are a level 1..4 for each of the product's need axes; ValueError otherwise.
    `priced` is price_all(product, family) when the caller already has it."""
    asked = _checked_needs(product, needs)
    best: tuple[Decimal, int, FormulaQuote] | None = None
    for rank, quote in enumerate(priced if priced is not None else price_all(product, family)):
        if quote.covers(asked) and (best is None or quote.price.monthly < best[0]):
            best = (quote.price.monthly, rank, quote)
    if best is not None:
        quote = best[2]
        options = tuple(product.option(code) for code in quote.options)
        return Recommendation(quote.formula.code, quote.options, quote.price, True,
                              f"Formule conseillée : {_described(quote.formula, options)}, "
                              "la moins chère qui couvre tous les besoins exprimés.")
    fullest = product.formulas[-1]
    price = price_formula(product, fullest, rate_family(product, family), product.options)
    return Recommendation(fullest.code, price.options, price, False,
                          "Aucune formule ne couvre tous les besoins exprimés : nous conseillons la plus complète, "
                          f"{_described(fullest, product.options)}.")


def _checked_needs(product: Product, needs: Mapping[str, int]) -> Mapping[str, int]:
    axes = product.formulas[0].levels.keys()
    unknown = [axis for axis in needs if axis not in axes]
    if unknown:
        raise ValueError(f"Besoin inconnu : {', '.join(unknown)}.")
    missing = [axis for axis in axes if axis not in needs]
    if missing:
        raise ValueError(f"Besoin non renseigné : {', '.join(missing)}.")
    for axis, level in needs.items():
        if not isinstance(level, int) or not 1 <= level <= TOP_LEVEL:
            raise ValueError(f"Niveau de besoin invalide pour {axis} : {level!r} (1 à {TOP_LEVEL}).")
    return needs


def _described(formula: Formula, options: tuple[Option, ...]) -> str:
    if not options:
        return formula.name
    if len(options) == 1:
        return f"{formula.name} avec l'option {options[0].name}"
    names = [option.name for option in options]
    return f"{formula.name} avec les options {', '.join(names[:-1])} et {names[-1]}"


@lru_cache(maxsize=None)
def _candidates(product: Product) -> tuple[_Candidate, ...]:
    """Formula × (no option, each option), with their levels: fixed per product, so computed once."""
    return tuple(
        _Candidate(formula, options, levels_with(formula, options))
        for formula in product.formulas
        for options in ((),) + tuple((option,) for option in product.options)
    )
