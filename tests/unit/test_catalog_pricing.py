"""Prices line by line, checked against amounts worked out by hand from catalog.yaml's numbers.

Reference profile: main insured born 04/05/1978 (48 at an effect date in 2026, age factor
1.00), alone, Régime Général (1.00), 16000 Angoulême (département 16, zone 2, 1.00), effect
date 01/12/2026. SMAT ACTIVE TNS adds the ANPPI fee of 1.50 € to every month.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from portal.catalog.loader import get_catalog
from portal.catalog.pricing import PricingError, age_at_effect, instalment, price
from portal.formatting import money
from tests.unit.conftest import family, born_aged

SURCO = ("surcomplementaire",)
FEE = Decimal("1.50")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)






@pytest.mark.parametrize("formula, monthly", [
    ("100", "51.74"), ("150", "69.94"), ("200", "87.28"), ("300", "115.23"), ("375", "148.76"), ("450", "183.94"),
])
def test_reference_prices_of_smat_active_tns(tns, formula, monthly):
    assert price(tns, formula, family()).monthly == Decimal(monthly)


@pytest.mark.parametrize("formula, base", [
    ("100", "45.10"), ("150", "61.30"), ("200", "77.85"), ("300", "103.40"), ("375", "134.60"), ("450", "167.20"),
])
def test_reference_prices_of_smat_serenite_are_the_bare_base_without_association(serenite, formula, base):
    quoted = price(serenite, formula, family())
    assert quoted.monthly == Decimal(base)
    assert [line.label for line in quoted.lines] == ["Assuré principal"]


def test_annual_price_is_twelve_months_shown_the_french_way(tns):
    quoted = price(tns, "300", family())
    assert quoted.annual == Decimal("1382.76")
    assert money(quoted.annual) == "1 382,76 €"
    assert money(quoted.monthly) == "115,23 €"


def test_lines_of_the_reference_quote(tns):
    quoted = price(tns, "300", family())
    assert [(line.label, line.amount) for line in quoted.lines] == [
        ("Assuré principal", Decimal("113.73")),
        ("Frais d'adhésion : Association Nationale de Prévoyance des Professionnels Indépendants (ANPPI)", FEE),
    ]
    assert quoted.product_code == "smat-active-tns"
    assert quoted.formula_code == "300"
    assert quoted.options == ()


def test_serenite_300_reference(serenite):
    assert price(serenite, "300", family()).monthly == Decimal("103.40")


@pytest.mark.parametrize("age, factor", [
    (18, "0.62"), (25, "0.62"), (26, "0.70"), (30, "0.70"), (31, "0.78"), (35, "0.78"), (36, "0.85"),
    (40, "0.85"), (41, "0.92"), (45, "0.92"), (46, "1.00"), (50, "1.00"), (51, "1.09"), (55, "1.09"),
    (56, "1.20"), (60, "1.20"), (61, "1.33"), (65, "1.33"), (66, "1.47"), (70, "1.47"),
])
def test_every_age_band_edge_of_smat_active_tns(tns, age, factor):
    expected = cents(Decimal("113.73") * Decimal(factor)) + FEE
    assert price(tns, "300", family(birth_date=born_aged(age))).monthly == expected


@pytest.mark.parametrize("age, monthly", [
    (18, "72.01"), (26, "81.11"), (31, "90.21"), (36, "98.17"), (41, "106.13"), (51, "125.47"),
    (56, "137.98"), (61, "152.76"), (66, "168.68"),
])
def test_age_band_prices_written_out(tns, age, monthly):
    assert price(tns, "300", family(birth_date=born_aged(age))).monthly == Decimal(monthly)


@pytest.mark.parametrize("age, monthly", [(70, "152.00"), (71, "165.44"), (75, "165.44"), (76, "177.85"), (85, "177.85")])
def test_senior_age_bands_on_smat_serenite(serenite, age, monthly):
    # 103.40 × 1.47 = 151.998 → 152.00; × 1.60 = 165.44; × 1.72 = 177.848 → 177.85
    assert price(serenite, "300", family(birth_date=born_aged(age))).monthly == Decimal(monthly)


def test_age_counts_by_birth_year_only(tns):
    assert age_at_effect(date(1978, 12, 31), date(2026, 1, 1)) == 48
    assert age_at_effect(date(1978, 1, 1), date(2026, 12, 31)) == 48
    january = family(birth_date=date(1978, 1, 1))
    december = family(birth_date=date(1978, 12, 31))
    assert price(tns, "300", january).monthly == price(tns, "300", december).monthly == Decimal("115.23")


def test_an_age_without_band_cannot_be_priced(tns):
    with pytest.raises(PricingError, match="Aucun coefficient d'âge pour 17 ans"):
        price(tns, "300", family(birth_date=born_aged(17)))


@pytest.mark.parametrize("regime, monthly", [
    ("general", "115.23"),
    ("alsace_moselle", "94.76"),  # 113.73 × 0.82 = 93.2586 → 93.26, + 1.50
    ("agricole", "115.23"),
])
def test_each_regime(tns, regime, monthly):
    assert price(tns, "300", family(regime=regime)).monthly == Decimal(monthly)


@pytest.mark.parametrize("zone, monthly", [
    ("1", "106.13"),  # 113.73 × 0.92 = 104.6316 → 104.63
    ("2", "115.23"),
    ("3", "124.33"),  # 113.73 × 1.08 = 122.8284 → 122.83
    ("4", "135.70"),  # 113.73 × 1.18 = 134.2014 → 134.20
])
def test_each_zone(tns, zone, monthly):
    assert price(tns, "300", family(zone=zone)).monthly == Decimal(monthly)


def test_factors_multiply_before_the_line_is_rounded_once(tns):
    # 113.73 × 1.18 × 0.82 = 110.045148 → 110.05 (rounding after the zone would give 110.04)
    quoted = price(tns, "300", family(zone="4", regime="alsace_moselle"))
    assert quoted.lines[0].amount == Decimal("110.05")
    assert quoted.monthly == Decimal("111.55")


def test_unknown_zone_or_regime_is_a_pricing_error(tns):
    with pytest.raises(PricingError):
        price(tns, "300", family(zone="9"))
    with pytest.raises(PricingError):
        price(tns, "300", family(regime="etudiant"))


def test_spouse_of_the_same_age_pays_the_same_line(tns):
    quoted = price(tns, "300", family(spouse_birth_date=date(1978, 9, 1)))
    assert [(line.label, line.amount) for line in quoted.lines[:2]] == [
        ("Assuré principal", Decimal("113.73")), ("Conjoint(e)", Decimal("113.73"))]
    assert quoted.monthly == Decimal("228.96")


def test_spouse_is_rated_on_its_own_age(tns):
    # spouse born 1990: 36 in 2026, 113.73 × 0.85 = 96.6705 → 96.67
    quoted = price(tns, "300", family(spouse_birth_date=date(1990, 2, 14)))
    assert quoted.lines[1].amount == Decimal("96.67")
    assert quoted.monthly == Decimal("211.90")


@pytest.mark.parametrize("children, monthly, child_lines", [
    (0, "115.23", []),
    (1, "157.83", [("Enfant 1", "42.60")]),
    (2, "200.43", [("Enfant 1", "42.60"), ("Enfant 2", "42.60")]),
    (3, "200.43", [("Enfant 1", "42.60"), ("Enfant 2", "42.60"), ("Enfant 3 (gratuit)", "0.00")]),
    (5, "200.43", [("Enfant 1", "42.60"), ("Enfant 2", "42.60"), ("Enfant 3 (gratuit)", "0.00"),
                   ("Enfant 4 (gratuit)", "0.00"), ("Enfant 5 (gratuit)", "0.00")]),
])
def test_children_from_the_third_on_are_free(tns, children, monthly, child_lines):
    quoted = price(tns, "300", family(children=children))
    assert quoted.monthly == Decimal(monthly)
    assert [(line.label, line.amount) for line in quoted.lines if line.label.startswith("Enfant")] == [
        (label, Decimal(amount)) for label, amount in child_lines]


def test_child_line_takes_zone_and_regime_but_not_age(tns):
    # 42.60 × 1.18 × 0.82 = 41.21976 → 41.22 ; main insured 110.05 (see above)
    quoted = price(tns, "300", family(zone="4", regime="alsace_moselle", children=1, birth_date=born_aged(30)))
    assert quoted.lines[1].amount == Decimal("41.22")


def test_negative_children_are_refused():
    with pytest.raises(ValueError):
        family(children=-1)


def test_option_on_the_main_insured(tns):
    quoted = price(tns, "300", family(), SURCO)
    assert quoted.options == SURCO
    assert quoted.monthly == Decimal("128.51")  # 113.73 + 13.28 + 1.50
    assert quoted.option_amount("surcomplementaire") == Decimal("13.28")
    assert ("Surcomplémentaire — assuré principal", Decimal("13.28")) in [(line.label, line.amount) for line in quoted.lines]


def test_option_per_adult_and_half_per_paying_child(tns):
    # 2 adults × 113.73 + 2 paying children × 42.60 + option 2 × 13.28 + 2 × 6.64 + fee, third child free
    quoted = price(tns, "300", family(spouse_birth_date=date(1978, 9, 1), children=3), SURCO)
    assert [(line.label, line.amount) for line in quoted.lines if line.option] == [
        ("Surcomplémentaire — assuré principal", Decimal("13.28")),
        ("Surcomplémentaire — conjoint(e)", Decimal("13.28")),
        ("Surcomplémentaire — enfant 1", Decimal("6.64")),
        ("Surcomplémentaire — enfant 2", Decimal("6.64")),
    ]
    assert quoted.option_amount("surcomplementaire") == Decimal("39.84")
    assert quoted.monthly == Decimal("354.00")


@pytest.mark.parametrize("formula, child_rate", [("100", "4.41"), ("150", "4.95"), ("200", "5.70"), ("375", "9.24"), ("450", "11.48")])
def test_half_option_rate_of_a_child_rounds_half_up(tns, formula, child_rate):
    quoted = price(tns, formula, family(children=1), SURCO)
    assert [line.amount for line in quoted.lines if line.label == "Surcomplémentaire — enfant 1"] == [Decimal(child_rate)]


def test_option_with_one_child_on_formula_100(tns):
    # 50.24 + 21.10 + 8.81 + round(4.405) = 4.41 + 1.50
    assert price(tns, "100", family(children=1), SURCO).monthly == Decimal("86.06")


def test_option_is_neither_age_zone_nor_regime_rated(tns):
    quoted = price(tns, "300", family(birth_date=born_aged(66), zone="4", regime="alsace_moselle"), SURCO)
    assert quoted.option_amount("surcomplementaire") == Decimal("13.28")


@pytest.mark.parametrize("formula, rate", [("100", "7.90"), ("150", "8.90"), ("200", "10.20"), ("300", "11.90"), ("375", "16.60"), ("450", "20.60")])
def test_serenite_options(serenite, formula, rate):
    base = {"100": "45.10", "150": "61.30", "200": "77.85", "300": "103.40", "375": "134.60", "450": "167.20"}[formula]
    assert price(serenite, formula, family(), SURCO).monthly == Decimal(base) + Decimal(rate)


def test_an_option_asked_twice_is_charged_once(tns):
    assert price(tns, "300", family(), SURCO * 2).monthly == Decimal("128.51")


def test_unknown_formula_or_option_raises_key_error(tns):
    with pytest.raises(KeyError):
        price(tns, "999", family())
    with pytest.raises(KeyError):
        price(tns, "300", family(), ("assistance",))


@pytest.mark.parametrize("periodicity, amount", [
    ("Mensuel", "115.23"), ("Trimestriel", "345.69"), ("Semestriel", "691.38"), ("Annuel", "1382.76")])
def test_instalment_by_periodicity(periodicity, amount):
    assert instalment(Decimal("115.23"), periodicity, get_catalog().tariff) == Decimal(amount)


def test_unknown_periodicity_is_refused():
    with pytest.raises(PricingError, match="Modalité de paiement inconnue : Hebdomadaire"):
        instalment(Decimal("115.23"), "Hebdomadaire", get_catalog().tariff)


@pytest.mark.parametrize("monthly, periodicity, amount", [("10.125", "Mensuel", "10.13"), ("10.0025", "Trimestriel", "30.01"),
                                                          ("10.0004", "Annuel", "120.00")])
def test_instalments_are_rounded_half_up_to_the_cent(monthly, periodicity, amount):
    assert instalment(Decimal(monthly), periodicity, get_catalog().tariff) == Decimal(amount)
