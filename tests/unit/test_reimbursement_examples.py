"""The worked examples of "Exemples de remboursements", computed by hand from catalog.yaml."""
from dataclasses import FrozenInstanceError
from decimal import Decimal as D

import pytest

from portal.catalog.examples import Reimbursement, examples_for, reimbursement
from portal.catalog.loader import get_catalog
from portal.catalog.model import FormulaGuarantees, ReimbursementExample

GENERALIST = "Consultation d'un médecin généraliste OPTAM"
SPECIALIST = "Consultation d'un spécialiste non OPTAM"
SURGERY = "Chirurgie (honoraires du chirurgien OPTAM)"
ROOM = "Chambre particulière, une nuit"
GLASSES = "Lunettes (monture et verres simples, hors 100 % Santé)"
CROWN = "Couronne céramo-métallique (hors 100 % Santé)"
HEARING = "Aide auditive, une oreille (hors 100 % Santé)"


def by_label(formula: str) -> dict[str, Reimbursement]:
    return {r.example.label: r for r in examples_for(get_catalog(), formula)}


def example(kind="honoraires", optam=True, expense="30.00", br="30.00", ro_rate="0.70", participation="2.00"):
    return ReimbursementExample("exemple", kind, optam, D(expense), D(br), D(ro_rate), D(participation))


def guarantees(percent=100, non_optam=None, flat="0"):
    return FormulaGuarantees(percent, percent if non_optam is None else non_optam, D(flat), D(flat), percent, D(flat))


@pytest.mark.parametrize("formula, label, ro, complementary, rest", [
    # 30 € at BR 30: RO 30 × 70 % − 2 = 19; limit 100 % BR = 30 → 30 − 19 = 11.
    ("100", GENERALIST, "19.00", "11.00", "0.00"),
    # 300 % BR = 90, but nothing is paid beyond the expense: 30 − 19 = 11.
    ("300", GENERALIST, "19.00", "11.00", "0.00"),
    # Non-OPTAM specialist, 80 € at BR 31,50: RO 22,05 − 2 = 20,05; 200 % BR = 63 → 42,95; 17,00 left.
    ("300", SPECIALIST, "20.05", "42.95", "17.00"),
    # The non-OPTAM limit (200 %), not the OPTAM one (375 %), applies to formula 375 too.
    ("375", SPECIALIST, "20.05", "42.95", "17.00"),
    # 130 % BR = 40,95 → 40,95 − 20,05 = 20,90; 80 − 20,05 − 20,90 = 39,05.
    ("150", SPECIALIST, "20.05", "20.90", "39.05"),
    # 100 % BR = 31,50 → 11,45; 48,50 left.
    ("100", SPECIALIST, "20.05", "11.45", "48.50"),
    # Surgery 900 € at BR 300, RO 100 %: 100 % BR leaves nothing to the complementary (limit − RO = 0).
    ("100", SURGERY, "300.00", "0.00", "600.00"),
    # 200 % BR = 600 → 300.
    ("200", SURGERY, "300.00", "300.00", "300.00"),
    ("300", SURGERY, "300.00", "600.00", "0.00"),
    # 450 % BR = 1 350 would pay 1 050: capped at the 600 the RO leaves.
    ("450", SURGERY, "300.00", "600.00", "0.00"),
    # A night in a private room: not reimbursed by the RO; a flat amount per night, none in formula 100.
    ("100", ROOM, "0.00", "0.00", "80.00"),
    ("200", ROOM, "0.00", "45.00", "35.00"),
    # 90 € per night, but the night cost 80.
    ("450", ROOM, "0.00", "80.00", "0.00"),
    # Glasses: RO 0,09 × 60 % = 0,054 → 0,05; then the flat amount on top.
    ("150", GLASSES, "0.05", "150.00", "299.95"),
    ("450", GLASSES, "0.05", "449.95", "0.00"),  # 450 € flat, but only 449,95 is left after the RO
    # Crown 650 € at BR 120: RO 84; 300 % BR = 360 → 276.
    ("300", CROWN, "84.00", "276.00", "290.00"),
    # 125 % BR = 150 → 66.
    ("100", CROWN, "84.00", "66.00", "500.00"),
    # Hearing aid 1 500 € at BR 400: RO 240; the flat amount per ear (none in formula 100).
    ("100", HEARING, "240.00", "0.00", "1260.00"),
    ("450", HEARING, "240.00", "600.00", "660.00"),
])
def test_worked_examples(formula, label, ro, complementary, rest):
    result = by_label(formula)[label]
    assert (result.ro, result.complementary, result.rest) == (D(ro), D(complementary), D(rest))
    assert result.ro + result.complementary + result.rest == result.expense


def test_every_example_of_every_formula_adds_up_and_is_never_negative():
    catalog = get_catalog()
    for formula in catalog.guarantees.by_formula:
        results = examples_for(catalog, formula)
        assert [r.example for r in results] == list(catalog.reimbursement_examples)
        for r in results:
            assert min(r.ro, r.complementary, r.rest) >= 0, (formula, r)
            assert r.ro + r.complementary + r.rest == r.expense
            assert all(amount == amount.quantize(D("0.01")) for amount in (r.expense, r.ro, r.complementary, r.rest))


def test_a_limit_below_what_the_ro_paid_gives_nothing_not_a_negative_amount():
    # 50 % BR = 15 is less than the 19 the RO paid: the complementary pays 0, not −4.
    assert reimbursement(example(), guarantees(50)).complementary == D("0.00")
    assert reimbursement(example(kind="protheses", optam=None), guarantees(50)).complementary == D("0.00")


def test_the_non_optam_limit_applies_only_when_the_doctor_is_not_optam():
    assert reimbursement(example(optam=False, expense="80.00"), guarantees(300, non_optam=100)).complementary == D("11.00")
    assert reimbursement(example(optam=True, expense="80.00"), guarantees(300, non_optam=100)).complementary == D("61.00")


def test_a_flat_amount_is_paid_on_top_of_the_ro_up_to_the_expense():
    optics = example(kind="optique", optam=None, expense="100.00", br="0.09", ro_rate="0.60", participation="0.00")
    assert reimbursement(optics, guarantees(flat="30")).complementary == D("30.00")
    assert reimbursement(optics, guarantees(flat="9999")).complementary == D("99.95")
    assert reimbursement(optics, guarantees(flat="0")).complementary == D("0.00")


def test_the_ro_is_never_negative_nor_more_than_the_expense():
    # 1 € at BR 1: 0,70 − 2 would be −1,30.
    small = reimbursement(example(expense="1.00", br="1.00"), guarantees(100))
    assert (small.ro, small.complementary, small.rest) == (D("0.00"), D("1.00"), D("0.00"))
    # An act billed below its BR: the RO pays the expense, nothing more.
    cheap = reimbursement(example(expense="10.00", br="30.00", ro_rate="1.00", participation="0.00"), guarantees(300))
    assert (cheap.ro, cheap.complementary, cheap.rest) == (D("10.00"), D("0.00"), D("0.00"))


def test_amounts_are_rounded_half_up_to_the_cent():
    # BR 0,25 × 50 % = 0,125 → 0,13 (half up), not 0,12 (half even).
    result = reimbursement(example(kind="chambre", optam=None, expense="10.00", br="0.25", ro_rate="0.50",
                                   participation="0.00"), guarantees(flat="5"))
    assert (result.ro, result.complementary, result.rest) == (D("0.13"), D("5.00"), D("4.87"))
    # 115 % of BR 10,01 = 11,5115 → limit 11,51; RO 7,007 → 7,01; complementary 4,50.
    result = reimbursement(example(expense="20.00", br="10.01", participation="0.00"), guarantees(115))
    assert (result.ro, result.complementary, result.rest) == (D("7.01"), D("4.50"), D("8.49"))


def test_the_result_is_frozen_and_an_unknown_formula_or_kind_is_refused():
    result = examples_for(get_catalog(), "300")[0]
    with pytest.raises(FrozenInstanceError):
        result.rest = D(0)
    with pytest.raises(KeyError):
        examples_for(get_catalog(), "999")
    with pytest.raises(ValueError):
        reimbursement(example(kind="cure"), guarantees())
