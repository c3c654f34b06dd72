"""The worked examples of "Exemples de remboursements", computed by hand from catalog.yaml."""
from decimal import Decimal as D

import pytest

from portal.catalog.examples import examples_for, reimbursement
from portal.catalog.loader import get_catalog
from portal.catalog.model import FormulaGuarantees, ReimbursementExample


def by_label(formula: str) -> dict:
    return {r.example.label: r for r in examples_for(get_catalog(), formula)}


@pytest.mark.parametrize("formula, label, ro, complementary, rest", [
    # 30 € at BR 30: RO 30 × 70 % − 2 = 19; 100 % BR limit → 30 − 19 = 11.
    ("100", "Consultation d'un médecin généraliste OPTAM", "19.00", "11.00", "0.00"),
    # Non-OPTAM specialist, 80 € at BR 31,50: RO 20,05; 200 % BR = 63 → 42,95; 17,00 left.
    ("300", "Consultation d'un spécialiste non OPTAM", "20.05", "42.95", "17.00"),
    # Same act at 100 % BR: 31,50 − 20,05 = 11,45.
    ("100", "Consultation d'un spécialiste non OPTAM", "20.05", "11.45", "48.50"),
    # The non-OPTAM limit caps 375 at 200 % too.
    ("375", "Consultation d'un spécialiste non OPTAM", "20.05", "42.95", "17.00"),
    # Surgery 900 € at BR 300, RO 100 %: 100 % BR leaves nothing, 300 % BR pays 600.
    ("100", "Chirurgie (honoraires du chirurgien OPTAM)", "300.00", "0.00", "600.00"),
    ("300", "Chirurgie (honoraires du chirurgien OPTAM)", "300.00", "600.00", "0.00"),
    ("450", "Chirurgie (honoraires du chirurgien OPTAM)", "300.00", "600.00", "0.00"),  # never more than the expense
    # A night in a private room: a flat amount per night, 0 in formula 100.
    ("100", "Chambre particulière, une nuit", "0.00", "0.00", "80.00"),
    ("200", "Chambre particulière, une nuit", "0.00", "45.00", "35.00"),
    # Glasses: RO 0,09 × 60 % = 0,05; then the flat amount.
    ("150", "Lunettes (monture et verres simples, hors 100 % Santé)", "0.05", "150.00", "299.95"),
    # Crown 650 € at BR 120: RO 84; 300 % BR = 360 → 276.
    ("300", "Couronne céramo-métallique (hors 100 % Santé)", "84.00", "276.00", "290.00"),
    # Hearing aid: RO 240; the flat amount per ear.
    ("450", "Aide auditive, une oreille (hors 100 % Santé)", "240.00", "600.00", "660.00"),
])
def test_worked_examples(formula, label, ro, complementary, rest):
    result = by_label(formula)[label]
    assert (result.ro, result.complementary, result.rest) == (D(ro), D(complementary), D(rest))
    assert result.ro + result.complementary + result.rest == result.expense


def test_the_complementary_never_pays_below_zero_nor_more_than_is_left():
    generous = FormulaGuarantees(500, 500, D("500"), D("9999"), 500, D("9999"))
    poor = FormulaGuarantees(50, 50, D("0"), D("0"), 50, D("0"))
    example = ReimbursementExample("x", "honoraires", True, D("30.00"), D("30.00"), D("0.70"), D("2.00"))
    assert reimbursement(example, poor).complementary == D("0.00")  # 50 % BR is below what RO paid
    assert reimbursement(example, generous).complementary == D("11.00")  # capped by the expense
    optics = ReimbursementExample("y", "optique", None, D("100.00"), D("0.09"), D("0.60"), D("0.00"))
    assert reimbursement(optics, generous).complementary == D("99.95")


def test_ro_is_never_negative():
    example = ReimbursementExample("z", "honoraires", True, D("1.00"), D("1.00"), D("0.70"), D("2.00"))
    assert reimbursement(example, FormulaGuarantees(100, 100, D(0), D(0), 100, D(0))).ro == D("0.00")
