"""The "Formule conseillée": cheapest formula, alone or with one option, covering every need."""
from datetime import date
from decimal import Decimal

import pytest

from portal.catalog.loader import DEFAULT_PATH, load_catalog
from portal.catalog.pricing import Family
from portal.catalog.recommend import levels_with, price_all, recommend

REFERENCE = Family(birth_date=date(1978, 5, 4), effect_date=date(2026, 12, 1), regime="general", zone="2")
MINIMAL = {"optique": 1, "dentaire": 1, "audiologie": 1, "hospitalisation": 1, "depassements": 1}


def needs(**levels) -> dict[str, int]:
    return {**MINIMAL, **levels}


def catalog_with(tmp_path, old: str, new: str):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_catalog(path)



def test_guide_example_recommends_300_with_surcomplementaire(tns):
    advice = recommend(tns, needs(optique=4, dentaire=2, depassements=4), REFERENCE)
    assert advice.formula_code == "300"
    assert advice.options == ("surcomplementaire",)
    assert advice.price.monthly == Decimal("128.51")
    assert advice.covers_needs is True
    assert advice.message == ("Formule conseillée : SMAT ACTIVE TNS 300 avec l'option Surcomplémentaire, "
                              "la moins chère qui couvre tous les besoins exprimés.")


def test_minimal_needs_take_the_first_formula_alone(tns):
    advice = recommend(tns, MINIMAL, REFERENCE)
    assert (advice.formula_code, advice.options, advice.price.monthly) == ("100", (), Decimal("51.74"))
    assert advice.message == "Formule conseillée : SMAT ACTIVE TNS 100, la moins chère qui couvre tous les besoins exprimés."


def test_a_lower_formula_with_the_option_beats_a_higher_formula(tns):
    # optique Renforcé: 150 + option (optique 3) 79.84 < 200 + option 98.68 < 300 alone 115.23
    advice = recommend(tns, needs(optique=3), REFERENCE)
    assert (advice.formula_code, advice.options, advice.price.monthly) == ("150", ("surcomplementaire",), Decimal("79.84"))


def test_supplement_everywhere_needs_the_top_formula_alone(tns):
    advice = recommend(tns, {axis: 4 for axis in MINIMAL}, REFERENCE)
    assert (advice.formula_code, advice.options, advice.price.monthly) == ("450", (), Decimal("183.94"))
    assert advice.covers_needs is True


def test_the_price_is_the_family_price(tns):
    family = Family(birth_date=date(1978, 5, 4), effect_date=date(2026, 12, 1), regime="general", zone="2",
                    spouse_birth_date=date(1978, 9, 1), children=3)
    advice = recommend(tns, needs(optique=4, dentaire=2, depassements=4), family)
    assert (advice.formula_code, advice.price.monthly) == ("300", Decimal("354.00"))


def test_ties_go_to_the_lower_formula(tmp_path):
    # formula 150 set to 59.05 = 100's 50.24 + option 8.81: both cover optique Médian at 60.55 € with the fee
    catalog = catalog_with(tmp_path, 'name: "SMAT ACTIVE TNS 150", base: "68.44"', 'name: "SMAT ACTIVE TNS 150", base: "59.05"')
    product = catalog.product("smat-active-tns")
    quotes = {(quote.formula.code, quote.options): quote.price.monthly for quote in price_all(product, REFERENCE)}
    assert quotes["100", ("surcomplementaire",)] == quotes["150", ()] == Decimal("60.55")
    advice = recommend(product, needs(optique=2), REFERENCE)
    assert (advice.formula_code, advice.options) == ("100", ("surcomplementaire",))


def test_ties_between_two_formulas_alone_go_to_the_lower_one(tmp_path):
    catalog = catalog_with(tmp_path, 'name: "SMAT ACTIVE TNS 150", base: "68.44"', 'name: "SMAT ACTIVE TNS 150", base: "50.24"')
    advice = recommend(catalog.product("smat-active-tns"), MINIMAL, REFERENCE)
    assert (advice.formula_code, advice.options) == ("100", ())


def test_when_nothing_covers_the_highest_formula_with_every_option_is_advised_and_said_so(tmp_path):
    old = '{code: "450", name: "SMAT ACTIVE TNS 450", base: "182.44", child: "61.80", levels: {optique: 4, dentaire: 4'
    catalog = catalog_with(tmp_path, old, old.replace("dentaire: 4", "dentaire: 3"))
    advice = recommend(catalog.product("smat-active-tns"), needs(dentaire=4), REFERENCE)
    assert advice.covers_needs is False
    assert (advice.formula_code, advice.options) == ("450", ("surcomplementaire",))
    assert advice.price.monthly == Decimal("206.90")  # 182.44 + 22.96 + 1.50
    assert advice.message == ("Aucune formule ne couvre tous les besoins exprimés : nous conseillons la plus complète, "
                              "SMAT ACTIVE TNS 450 avec l'option Surcomplémentaire.")


def test_price_all_lists_every_formula_alone_then_with_the_option(tns):
    quotes = price_all(tns, REFERENCE)
    assert [(quote.formula.code, quote.options, quote.price.monthly) for quote in quotes] == [
        ("100", (), Decimal("51.74")), ("100", ("surcomplementaire",), Decimal("60.55")),
        ("150", (), Decimal("69.94")), ("150", ("surcomplementaire",), Decimal("79.84")),
        ("200", (), Decimal("87.28")), ("200", ("surcomplementaire",), Decimal("98.68")),
        ("300", (), Decimal("115.23")), ("300", ("surcomplementaire",), Decimal("128.51")),
        ("375", (), Decimal("148.76")), ("375", ("surcomplementaire",), Decimal("167.24")),
        ("450", (), Decimal("183.94")), ("450", ("surcomplementaire",), Decimal("206.90")),
    ]


def test_the_option_raises_its_needs_by_one_capped_at_supplement(tns):
    option = tns.option("surcomplementaire")
    assert dict(levels_with(tns.formula("300"), (option,))) == {
        "optique": 4, "dentaire": 2, "audiologie": 2, "hospitalisation": 3, "depassements": 4}
    assert dict(levels_with(tns.formula("450"), (option,))) == dict(tns.formula("450").levels)
    assert dict(levels_with(tns.formula("100"), ())) == MINIMAL


def test_quote_covers(tns):
    by_key = {(quote.formula.code, quote.options): quote for quote in price_all(tns, REFERENCE)}
    asked = needs(optique=4, dentaire=2, depassements=4)
    assert by_key["300", ("surcomplementaire",)].covers(asked)
    assert not by_key["300", ()].covers(asked)
    assert not by_key["200", ("surcomplementaire",)].covers(asked)


@pytest.mark.parametrize("asked, message", [
    ({"optique": 1}, "Besoin non renseigné : dentaire, audiologie, hospitalisation, depassements."),
    (needs(lunettes=2), "Besoin inconnu : lunettes."),
    (needs(optique=5), "Niveau de besoin invalide pour optique : 5 (1 à 4)."),
    (needs(dentaire=0), "Niveau de besoin invalide pour dentaire : 0 (1 à 4)."),
])
def test_needs_must_name_each_axis_with_a_level_from_1_to_4(tns, asked, message):
    with pytest.raises(ValueError) as error:
        recommend(tns, asked, REFERENCE)
    assert str(error.value) == message
