"""Postcode → communes, INSEE code → département → tariff zone."""
import pytest

from portal.catalog import geo
from portal.catalog.geo import (
    Commune,
    communes_for,
    departement_of,
    find_commune,
    is_valid_postcode,
    zone_of,
    zone_of_commune,
)
from portal.catalog.loader import get_catalog


def test_angouleme():
    assert communes_for("16000") == [Commune("16015", "Angoulême", "16000", "ANGOULEME")]


def test_a_postcode_with_several_communes_sorted_by_name_ignoring_accents():
    names = [commune.name for commune in communes_for("23000")]
    assert len(names) == 15
    assert "Guéret" in names
    assert names[0] == "Anzême"
    # "Saint-Éloi" sorts as "Saint-Eloi": between Saint-Christophe and Saint-Fiel
    assert names.index("Saint-Christophe") < names.index("Saint-Éloi") < names.index("Saint-Fiel")


def test_corsican_and_overseas_communes_keep_their_insee_codes():
    assert [(c.insee_code, c.name) for c in communes_for("20000")] == [("2A004", "Ajaccio"), ("2A139", "Lecci")]
    assert [(c.insee_code, c.name) for c in communes_for("97400")] == [("97411", "Saint-Denis")]
    assert communes_for("97400")[0].departement == "974"


@pytest.mark.parametrize("postcode", ["00000", "99999", "1600", "160000", "", "abcde"])
def test_unknown_or_malformed_postcode_has_no_commune(postcode):
    assert communes_for(postcode) == []


@pytest.mark.parametrize("postcode, valid", [
    ("16000", True), ("01000", True), ("97400", True), ("1600", False), ("160000", False),
    ("16 000", False), ("2A000", False), ("", False), ("１６０００", False),
])
def test_is_valid_postcode(postcode, valid):
    assert is_valid_postcode(postcode) is valid


def test_the_returned_list_is_the_caller_s_own():
    communes_for("16000").clear()
    assert len(communes_for("16000")) == 1


def test_find_commune_checks_that_the_commune_belongs_to_the_postcode():
    assert find_commune("16000", "16015").name == "Angoulême"
    assert find_commune("16000", "23096") is None
    assert find_commune("99999", "16015") is None


@pytest.mark.parametrize("insee_code, departement", [
    ("16015", "16"), ("75101", "75"), ("01053", "01"), ("2A004", "2A"), ("2B033", "2B"),
    ("97411", "974"), ("97105", "971"), ("97502", "975"),
])
def test_departement_of(insee_code, departement):
    assert departement_of(insee_code) == departement


@pytest.mark.parametrize("insee_code", ["1601", "ABCDE", "2C004", ""])
def test_departement_of_a_malformed_code(insee_code):
    with pytest.raises(ValueError):
        departement_of(insee_code)


@pytest.mark.parametrize("postcode, name, zone", [
    ("16000", "Angoulême", "2"),
    ("75001", "Paris 1er Arrondissement", "4"),
    ("13001", "Marseille 1er Arrondissement", "3"),
    ("23000", "Guéret", "1"),
    ("20000", "Ajaccio", "3"),
    ("97400", "Saint-Denis", "3"),
])
def test_zone_of_the_chosen_commune(postcode, name, zone):
    [commune] = [c for c in communes_for(postcode) if c.name == name]
    assert zone_of_commune(get_catalog(), commune.insee_code).code == zone


@pytest.mark.parametrize("departement, zone", [("16", "2"), ("23", "1"), ("75", "4"), ("13", "3"), ("2B", "3"), ("975", "2"), ("01", "2")])
def test_zone_of_departement_with_unlisted_ones_in_zone_2(departement, zone):
    assert zone_of(get_catalog(), departement).code == zone


def test_the_table_is_read_once_deduplicated_and_sorted(tmp_path, monkeypatch):
    table = tmp_path / "codes_postaux.csv"
    table.write_text(
        "code_postal;code_commune;nom_commune;libelle_acheminement\n"
        "99100;99002;Zèbre;ZEBRE\n"
        "99100;99001;Abeille;ABEILLE\n"
        "99100;99002;Zèbre;ZEBRE CEDEX\n"
        "99200;99003;Écluse;ECLUSE\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(geo, "POSTCODES_PATH", table)
    geo._communes_by_postcode.cache_clear()
    try:
        assert [(c.insee_code, c.name) for c in communes_for("99100")] == [("99001", "Abeille"), ("99002", "Zèbre")]
        assert communes_for("99200")[0].routing_label == "ECLUSE"
        table.unlink()
        assert communes_for("99200")[0].name == "Écluse"
    finally:
        geo._communes_by_postcode.cache_clear()
