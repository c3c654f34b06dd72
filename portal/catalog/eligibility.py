"""Whether a family may be quoted a product on an effect date, and if not what the broker can do.

A quote that breaks a rule is not priced: each broken rule comes back with the reason, in
the screen's French, and an advice that leads somewhere (another product of the catalog,
another effect date).

Same-régime rule: spouse and children share the main insured's régime by construction. The
wizard asks a single régime for the whole family and says that a family on several régimes
subscribes on a paper bulletin (BIA), so there is nothing left to check here.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from ..formatting import day
from .loader import get_catalog
from .model import Catalog, Product
from .pricing import Family, age_at_effect

MAX_MONTHS_AHEAD = 6


@dataclass(frozen=True)
class Ineligibility:
    rule: str  # "age_assure", "age_conjoint" or "date_effet"
    reason: str
    advice: str


def effect_date_window(today: date) -> tuple[date, date]:
    """First and last allowed effect dates: today, and today + 6 months."""
    return today, add_months(today, MAX_MONTHS_AHEAD)


def add_months(start: date, months: int) -> date:
    """Same day `months` later, or the month's last day when it has no such day (31/08 + 6 → 28/02)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def check(product: Product, family: Family, today: date, catalog: Catalog | None = None) -> list[Ineligibility]:
    """Every rule the family breaks for this product; an empty list means it can be priced.

    `catalog` is where alternative products are looked for (the portal's catalog by default).
    """
    catalog = catalog or get_catalog()
    first, last = effect_date_window(today)
    problems = []
    adults = [("age_assure", "l'assuré principal", family.birth_date)]
    if family.spouse_birth_date is not None:
        adults.append(("age_conjoint", "le (la) conjoint(e)", family.spouse_birth_date))
    for rule, who, birth in adults:
        age = age_at_effect(birth, family.effect_date)
        if age not in product.age_limits:
            advice = _age_advice(product, catalog, who, birth, age, first, last)
            if rule == "age_conjoint":
                advice.append("Sinon, établissez le devis sans le (la) conjoint(e).")
            problems.append(Ineligibility(
                rule,
                f"{who[0].upper()}{who[1:]} aura {age} ans à la date d'effet ; {product.name} est ouvert "
                f"de {product.age_limits.min} à {product.age_limits.max} ans.",
                " ".join(advice),
            ))
    allowed = f"Choisissez une date d'effet entre le {day(first)} et le {day(last)}."
    if family.effect_date < first:
        problems.append(Ineligibility("date_effet", f"La date d'effet du {day(family.effect_date)} est déjà passée.", allowed))
    elif family.effect_date > last:
        problems.append(Ineligibility(
            "date_effet",
            f"La date d'effet du {day(family.effect_date)} est à plus de {MAX_MONTHS_AHEAD} mois : "
            f"elle doit être au plus tard le {day(last)}.",
            allowed,
        ))
    return problems


def _age_advice(product: Product, catalog: Catalog, who: str, birth: date, age: int,
                first: date, last: date) -> list[str]:
    """Another product open at this age, then an effect date at which this product takes the person.

    Each adult is advised on its own age: when the other adult is out of limits too, its own
    refusal says so next to this one.
    """
    too_old = age > product.age_limits.max
    others = [other for other in catalog.products if other.code != product.code and age in other.age_limits]
    advice = []
    if others:
        offers = [f"{other.name}, ouvert jusqu'à {other.age_limits.max} ans" if too_old
                  else f"{other.name}, ouvert dès {other.age_limits.min} ans" for other in others]
        advice.append(f"Proposez {' ou '.join(offers)}.")
    if too_old:
        latest = min(date(birth.year + product.age_limits.max, 12, 31), last)
        if latest >= first:
            advice.append(f"{_or_choose(advice)} une date d'effet au plus tard le {day(latest)} : "
                          f"{who} aura alors {age_at_effect(birth, latest)} ans.")
    else:
        earliest = max(date(birth.year + product.age_limits.min, 1, 1), first)
        if earliest <= last:
            advice.append(f"{_or_choose(advice)} une date d'effet à partir du {day(earliest)} : "
                          f"{who} aura alors {age_at_effect(birth, earliest)} ans.")
    if not advice:
        advice.append(f"Aucun produit du catalogue ne couvre {who} à {age} ans.")
    return advice


def _or_choose(advice: list[str]) -> str:
    return "Ou choisissez" if advice else "Choisissez"
