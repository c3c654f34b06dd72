"""catalog.yaml is read into typed values, and a broken copy is refused with a message saying where."""
import hashlib
from datetime import date
from decimal import Decimal

import pytest

from portal.catalog.loader import DEFAULT_PATH, CatalogError, get_catalog, load_catalog

SOURCE = DEFAULT_PATH.read_text(encoding="utf-8")


def broken_copy(tmp_path, *replacements: tuple[str, str]):
    """A copy of the real catalog with some text replaced; each replaced text must exist once."""
    text = SOURCE
    for old, new in replacements:
        assert text.count(old) == 1, f"not exactly once in catalog.yaml: {old}"
        text = text.replace(old, new)
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_catalog_loads_with_its_products_needs_and_levels():
    catalog = load_catalog(DEFAULT_PATH)
    assert [product.code for product in catalog.products] == ["smat-active-tns", "smat-serenite"]
    assert [axis.code for axis in catalog.need_axes] == ["optique", "dentaire", "audiologie", "hospitalisation", "depassements"]
    assert catalog.need_levels == ("Minimal", "Médian", "Renforcé", "Supplément")
    assert [regime.label for regime in catalog.regimes] == ["Régime Général", "Régime Alsace-Moselle", "Régime Agricole (MSA)"]
    assert catalog.quote_validity_days == 30
    assert catalog.tariff.free_from_child == 3
    assert dict(catalog.tariff.periodicities) == {"Mensuel": 1, "Trimestriel": 3, "Semestriel": 6, "Annuel": 12}


def test_money_and_factors_are_decimals():
    catalog = get_catalog()
    tns = catalog.product("smat-active-tns")
    assert tns.formula("300").base == Decimal("113.73")
    assert tns.formula("300").child == Decimal("42.60")
    assert tns.option("surcomplementaire").rates["300"] == Decimal("13.28")
    assert tns.association.fee_monthly == Decimal("1.50")
    assert catalog.regime("alsace_moselle").factor == Decimal("0.82")
    assert catalog.zones["4"].factor == Decimal("1.18")
    assert catalog.tariff.age_factor(48) == Decimal("1.00")
    assert catalog.guarantees.by_formula["300"].chambre_particuliere_jour == Decimal("60.00")
    assert catalog.reimbursement_examples[0].ro_rate == Decimal("0.70")


def test_product_pieces_are_found_by_code_and_unknown_codes_raise_key_error():
    catalog = get_catalog()
    serenite = catalog.product("smat-serenite")
    assert serenite.name == "SMAT SERENITE"
    assert serenite.association is None
    assert serenite.age_limits.max == 85
    assert serenite.formula("450").levels == {"optique": 4, "dentaire": 4, "audiologie": 4, "hospitalisation": 4, "depassements": 4}
    with pytest.raises(KeyError):
        catalog.product("smat-inconnu")
    with pytest.raises(KeyError):
        serenite.formula("999")
    with pytest.raises(KeyError):
        serenite.option("inconnue")


def test_version_is_the_start_of_the_file_sha256_and_the_default_catalog_is_cached():
    expected = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()[:12]
    assert get_catalog().version == expected
    assert len(expected) == 12
    assert get_catalog() is get_catalog()


def test_insurer_legal_lines_name_the_insurer_its_siren_address_and_regulator():
    lines = get_catalog().insurer.legal_lines
    assert lines.startswith("SMATIS FRANCE, Mutuelle régie par les dispositions du Livre II du Code de la Mutualité — SIREN 781166293 — 6, rue du Piave")
    assert "— contrôlée par l'Autorité de Contrôle Prudentiel et de Résolution (ACPR)" in lines


def test_need_level_labels():
    catalog = get_catalog()
    assert [catalog.level_label(level) for level in (1, 2, 3, 4)] == ["Minimal", "Médian", "Renforcé", "Supplément"]
    with pytest.raises(ValueError):
        catalog.level_label(5)


def test_next_main_due_date_is_the_next_first_of_january():
    product = get_catalog().product("smat-active-tns")
    assert product.next_main_due_date(date(2026, 12, 1)) == date(2027, 1, 1)
    assert product.next_main_due_date(date(2027, 1, 1)) == date(2028, 1, 1)
    assert product.next_main_due_date(date(2026, 12, 31)) == date(2027, 1, 1)


def test_supporting_documents_say_when_they_are_asked():
    documents = {document.code: document.when for document in get_catalog().supporting_documents}
    assert documents["identite"] == "always"
    assert documents["kbis"] == "tns"
    assert documents["concubin"] == "spouse"
    assert documents["enfants_majeurs"] == "children"


TNS_300 = '{code: "300", name: "SMAT ACTIVE TNS 300", base: "113.73", child: "42.60", levels: {optique: 3, dentaire: 2'


@pytest.mark.parametrize("replacements, message", [
    pytest.param([(TNS_300, TNS_300.replace("optique: 3", "optiqe: 3"))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : besoin inconnu dans levels : optiqe",
                 id="unknown need axis in levels"),
    pytest.param([(TNS_300, TNS_300.replace("optique: 3", "optique: 5"))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : niveau 5 hors de 1..4 pour le besoin optique",
                 id="level above 4"),
    pytest.param([(TNS_300, TNS_300.replace("dentaire: 2", "dentaire: 0"))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : niveau 0 hors de 1..4 pour le besoin dentaire",
                 id="level below 1"),
    pytest.param([(TNS_300, TNS_300.replace("optique: 3, ", ""))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : niveau manquant pour le besoin : optique",
                 id="missing need level"),
    pytest.param([('"200": "11.40", "300": "13.28", ', '"200": "11.40", ')],
                 "catalog.yaml : produit smat-active-tns, option surcomplementaire, formule 300 : tarif de l'option manquant",
                 id="option rate missing for a formula"),
    pytest.param([('"375": "18.48", "450": "22.96"}', '"375": "18.48", "450": "22.96", "500": "25.00"}')],
                 "catalog.yaml : produit smat-active-tns, option surcomplementaire : tarif pour une formule inconnue : 500",
                 id="option rate for an unknown formula"),
    pytest.param([('raises: {optique: 1, depassements: 1}      #', 'raises: {optique: 1, lunettes: 1}      #')],
                 "catalog.yaml : produit smat-active-tns, option surcomplementaire : besoin inconnu dans raises : lunettes",
                 id="option raising an unknown need"),
    pytest.param([("{from: 26, to: 30,", "{from: 25, to: 30,")],
                 "catalog.yaml : age_factors, tranche n° 2 : la tranche 25-30 ans chevauche la tranche 18-25 ans",
                 id="overlapping age bands"),
    pytest.param([("{from: 31, to: 35,", "{from: 33, to: 35,")],
                 "catalog.yaml : age_factors, tranche n° 3 : trou entre les tranches : aucun coefficient pour 31 à 32 ans",
                 id="gap between age bands"),
    pytest.param([("{from: 41, to: 45,", "{from: 45, to: 41,")],
                 "catalog.yaml : age_factors, tranche n° 5 : tranche vide : de 45 à 41 ans",
                 id="reversed age band"),
    pytest.param([('"974", "976"]}', '"974", "976", "75"]}')],
                 "catalog.yaml : zones, zone 4 : le département 75 est déjà dans la zone 3",
                 id="departement in two zones"),
    pytest.param([('"974", "976"]}', '"974", "976", "2C"]}')],
                 "catalog.yaml : zones, zone 3 : département invalide « 2C » (attendu : 16, 2A, 974…)",
                 id="malformed departement"),
    pytest.param([('"2": {factor: "1.00", departements: []}', '"5": {factor: "1.00", departements: []}')],
                 "catalog.yaml : zones : la zone 2, celle des départements non listés, est absente",
                 id="default zone missing"),
    pytest.param([("code: smat-serenite", "code: smat-active-tns")],
                 "catalog.yaml : products : code produit en double : smat-active-tns",
                 id="duplicate product code"),
    pytest.param([('{code: "150", name: "SMAT ACTIVE TNS 150"', '{code: "100", name: "SMAT ACTIVE TNS 150"')],
                 "catalog.yaml : produit smat-active-tns : formule en double : 100",
                 id="duplicate formula code"),
    pytest.param([('{code: agricole,', '{code: general,')],
                 "catalog.yaml : regimes : régime en double : general",
                 id="duplicate regime code"),
    pytest.param([("{code: audiologie,", "{code: optique,")],
                 "catalog.yaml : need_axes : besoin en double : optique",
                 id="duplicate need axis"),
    pytest.param([('{code: rib,', '{code: identite,')],
                 "catalog.yaml : supporting_documents : pièce en double : identite",
                 id="duplicate supporting document"),
    pytest.param([(TNS_300, TNS_300.replace('"113.73"', '"113,73"'))],
                 'catalog.yaml : produit smat-active-tns, formule 300 : base : montant invalide « 113,73 » (écrire par exemple "12.50")',
                 id="money with a comma"),
    pytest.param([(TNS_300, TNS_300.replace('"113.73"', '"113.735"'))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : base : au plus deux décimales pour un montant en euros, pas « 113.735 »",
                 id="money with three decimals"),
    pytest.param([(TNS_300, TNS_300.replace('"113.73"', "113.73"))],
                 'catalog.yaml : produit smat-active-tns, formule 300 : base : montant à écrire entre guillemets, par exemple "12.50", pas 113.73',
                 id="money as a float"),
    pytest.param([(TNS_300, TNS_300.replace('"113.73"', '"-113.73"'))],
                 "catalog.yaml : produit smat-active-tns, formule 300 : base : montant positif attendu, pas « -113.73 »",
                 id="negative money"),
    pytest.param([('fee_monthly: "1.50"', 'fee_monthly: "un euro"')],
                 'catalog.yaml : produit smat-active-tns, association : fee_monthly : montant invalide « un euro »',
                 id="bad association fee"),
    pytest.param([('{code: alsace_moselle, label: "Régime Alsace-Moselle", factor: "0.82"}',
                   '{code: alsace_moselle, label: "Régime Alsace-Moselle", factor: "0"}')],
                 "catalog.yaml : regimes, régime alsace_moselle : factor : coefficient strictement positif attendu",
                 id="zero factor"),
    pytest.param([(TNS_300, TNS_300.replace('child: "42.60", ', ""))],
                 "catalog.yaml : produit smat-active-tns, formule : clé manquante : child",
                 id="missing key"),
    pytest.param([(TNS_300, TNS_300.replace("levels:", "niveaux:"))],
                 "catalog.yaml : produit smat-active-tns, formule : clé manquante : levels",
                 id="misspelt key"),
    pytest.param([("    tns_required: false\n", "    tns_required: false\n    tns_requis: true\n")],
                 "catalog.yaml : produit n° 2 : clé inconnue : tns_requis",
                 id="unknown key"),
    pytest.param([("age_limits: {min: 18, max: 85}", "age_limits: {min: 18, max: 130}")],
                 "catalog.yaml : produit smat-serenite : age_limits : 18-130 ans déborde des tranches d'âge du tarif (18-120 ans)",
                 id="age limits beyond the age bands"),
    pytest.param([("age_limits: {min: 18, max: 85}", "age_limits: {min: 60, max: 50}")],
                 "catalog.yaml : produit smat-serenite : age_limits : min 60 supérieur à max 50",
                 id="reversed age limits"),
    pytest.param([('number_prefix: "TIS"', 'number_prefix: "RIS"')],
                 "catalog.yaml : products : préfixe de numéro en double : RIS",
                 id="duplicate quote number prefix"),
    pytest.param([('    "375": {honoraires_optam: 375, honoraires_non_optam: 200, chambre_particuliere_jour: "75", optique_equipement: "375", dentaire_protheses: 375, audiologie_oreille: "500"}\n', "")],
                 "catalog.yaml : guarantees, by_formula : garanties manquantes pour la formule 375",
                 id="guarantee row missing for a formula"),
    pytest.param([("when: tns}", "when: independants}")],
                 "catalog.yaml : supporting_documents, pièce n° 5 : when inconnu « independants » (attendu : always, optional, tns, spouse, children)",
                 id="unknown supporting document case"),
    pytest.param([('need_levels: ["Minimal", "Médian", "Renforcé", "Supplément"]', 'need_levels: ["Minimal", "Médian", "Renforcé"]')],
                 "catalog.yaml : need_levels : 4 niveaux attendus (1 à 4), pas 3",
                 id="three need levels"),
    pytest.param([('ro_rate: "0.70", participation: "2.00"}\n  - {label: "Consultation d\'un spécialiste',
                   'ro_rate: "70", participation: "2.00"}\n  - {label: "Consultation d\'un spécialiste')],
                 "catalog.yaml : reimbursement_examples, exemple n° 1 : ro_rate : taux entre 0 et 1 attendu, pas « 70 »",
                 id="reimbursement rate above 1"),
    pytest.param([('main_due_date: "01/01"             # échéance principale', 'main_due_date: "1er janvier"')],
                 'catalog.yaml : produit smat-active-tns : main_due_date : jour/mois attendu, par exemple "01/01" (jour 1 à 28), pas « 1er janvier »',
                 id="bad main due date"),
    pytest.param([('siren: "781166293"', 'siren: "78116629"')],
                 "catalog.yaml : insurer : siren : 9 chiffres attendus, pas « 78116629 »",
                 id="bad siren"),
    pytest.param([('siren: "781166293"', 'siren: "781166294"')],
                 "catalog.yaml : insurer : siren : la clé de contrôle (Luhn) ne correspond pas, « 781166294 »",
                 id="siren with a wrong key"),
    pytest.param([('sepa_creditor_id: "FR16ZZZ478126"', 'sepa_creditor_id: "FR17ZZZ478126"')],
                 "catalog.yaml : insurer : sepa_creditor_id : identifiant créancier SEPA (ICS) invalide",
                 id="creditor identifier with a wrong key"),
    pytest.param([('sepa_creditor_id: "FR16ZZZ478126"', 'sepa_creditor_id: "DE98ZZZ09999999999"')],
                 "catalog.yaml : insurer : sepa_creditor_id : identifiant créancier SEPA (ICS) invalide",
                 id="creditor identifier of another country"),
])
def test_a_broken_catalog_is_refused_with_the_place_and_the_reason(tmp_path, replacements, message):
    with pytest.raises(CatalogError) as error:
        load_catalog(broken_copy(tmp_path, *replacements))
    assert str(error.value).startswith(message)


def test_a_missing_section_is_named(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(SOURCE.replace("pricing_rules:", "regles_tarifaires:"), encoding="utf-8")
    with pytest.raises(CatalogError, match="^catalog.yaml : clé manquante : pricing_rules$"):
        load_catalog(path)


def test_invalid_yaml_is_refused(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("insurer:\n  name: [SMATIS\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="^catalog.yaml : YAML invalide ligne 3 : "):
        load_catalog(path)


def test_a_key_written_twice_is_refused_rather_than_overwritten(tmp_path):
    path = broken_copy(tmp_path, ('  "4": {factor: "1.18"', '  "3": {factor: "1.18"'))
    with pytest.raises(CatalogError, match="^catalog.yaml : YAML invalide ligne 35 : clé en double « 3 »$"):
        load_catalog(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="^absent.yaml : fichier illisible"):
        load_catalog(tmp_path / "absent.yaml")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="^catalog.yaml : une table de clés était attendue, pas None$"):
        load_catalog(path)
