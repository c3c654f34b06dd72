"""Age limits and effect-date window, each refusal with its reason and what the broker can do."""
from datetime import date

import pytest

from portal.catalog.eligibility import add_months, check, effect_date_window
from tests.unit.conftest import born_aged, family

TODAY = date(2026, 11, 20)





def test_reference_family_is_eligible_to_both_products(tns, serenite):
    assert check(tns, family(), TODAY) == []
    assert check(serenite, family(), TODAY) == []


@pytest.mark.parametrize("age", [18, 19, 69, 70])
def test_ages_inside_the_limits_of_smat_active_tns(tns, age):
    assert check(tns, family(birth_date=born_aged(age)), TODAY) == []


def test_main_insured_too_old_for_smat_active_tns_is_sent_to_smat_serenite(tns):
    [problem] = check(tns, family(birth_date=born_aged(72)), TODAY)
    assert problem.rule == "age_assure"
    assert problem.reason == "L'assuré principal aura 72 ans à la date d'effet ; SMAT ACTIVE TNS est ouvert de 18 à 70 ans."
    assert problem.advice == "Proposez SMAT SERENITE, ouvert jusqu'à 85 ans."


def test_main_insured_at_71_may_also_take_an_effect_date_in_the_year_of_its_70(tns):
    [problem] = check(tns, family(birth_date=date(1956, 3, 1), effect_date=date(2027, 1, 1)), TODAY)
    assert problem.reason == "L'assuré principal aura 71 ans à la date d'effet ; SMAT ACTIVE TNS est ouvert de 18 à 70 ans."
    assert problem.advice == ("Proposez SMAT SERENITE, ouvert jusqu'à 85 ans. Ou choisissez une date d'effet au plus tard "
                              "le 31/12/2026 : l'assuré principal aura alors 70 ans.")


def test_main_insured_of_17_is_told_from_when_it_can_subscribe(tns):
    [problem] = check(tns, family(birth_date=born_aged(17)), TODAY)
    assert problem.reason == "L'assuré principal aura 17 ans à la date d'effet ; SMAT ACTIVE TNS est ouvert de 18 à 70 ans."
    assert problem.advice == "Choisissez une date d'effet à partir du 01/01/2027 : l'assuré principal aura alors 18 ans."


@pytest.mark.parametrize("age", [18, 71, 76, 85])
def test_ages_inside_the_limits_of_smat_serenite(serenite, age):
    assert check(serenite, family(birth_date=born_aged(age)), TODAY) == []


def test_main_insured_too_old_for_every_product(serenite):
    [problem] = check(serenite, family(birth_date=born_aged(86)), TODAY)
    assert problem.reason == "L'assuré principal aura 86 ans à la date d'effet ; SMAT SERENITE est ouvert de 18 à 85 ans."
    assert problem.advice == "Aucun produit du catalogue ne couvre l'assuré principal à 86 ans."


def test_spouse_outside_the_age_limits(tns):
    [problem] = check(tns, family(spouse_birth_date=born_aged(72)), TODAY)
    assert problem.rule == "age_conjoint"
    assert problem.reason == "Le (la) conjoint(e) aura 72 ans à la date d'effet ; SMAT ACTIVE TNS est ouvert de 18 à 70 ans."
    assert problem.advice == ("Proposez SMAT SERENITE, ouvert jusqu'à 85 ans. "
                              "Sinon, établissez le devis sans le (la) conjoint(e).")


def test_spouse_of_17(serenite):
    [problem] = check(serenite, family(spouse_birth_date=born_aged(17)), TODAY)
    assert problem.rule == "age_conjoint"
    assert problem.reason.startswith("Le (la) conjoint(e) aura 17 ans à la date d'effet")
    assert "à partir du 01/01/2027" in problem.advice


def test_each_adult_is_advised_on_its_own_age(tns):
    problems = check(tns, family(birth_date=born_aged(72), spouse_birth_date=born_aged(90)), TODAY)
    assert [(problem.rule, problem.advice) for problem in problems] == [
        ("age_assure", "Proposez SMAT SERENITE, ouvert jusqu'à 85 ans."),
        ("age_conjoint", "Aucun produit du catalogue ne couvre le (la) conjoint(e) à 90 ans. "
                         "Sinon, établissez le devis sans le (la) conjoint(e)."),
    ]


def test_effect_date_in_the_past(tns):
    [problem] = check(tns, family(effect_date=date(2026, 11, 1)), TODAY)
    assert problem.rule == "date_effet"
    assert problem.reason == "La date d'effet du 01/11/2026 est déjà passée."
    assert problem.advice == "Choisissez une date d'effet entre le 20/11/2026 et le 20/05/2027."


def test_effect_date_more_than_six_months_ahead(tns):
    [problem] = check(tns, family(effect_date=date(2027, 5, 21)), TODAY)
    assert problem.reason == "La date d'effet du 21/05/2027 est à plus de 6 mois : elle doit être au plus tard le 20/05/2027."
    assert problem.advice == "Choisissez une date d'effet entre le 20/11/2026 et le 20/05/2027."


@pytest.mark.parametrize("effect", [date(2026, 11, 20), date(2027, 5, 20)])
def test_effect_date_window_includes_today_and_six_months_later(tns, effect):
    assert check(tns, family(effect_date=effect), TODAY) == []


def test_every_broken_rule_is_reported(tns):
    problems = check(tns, family(birth_date=born_aged(75), effect_date=date(2026, 1, 1)), TODAY)
    assert [problem.rule for problem in problems] == ["age_assure", "date_effet"]


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 11, 20), 6, date(2027, 5, 20)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 12, 31), 1, date(2027, 1, 31)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_effect_date_window():
    assert effect_date_window(date(2026, 8, 31)) == (date(2026, 8, 31), date(2027, 2, 28))
