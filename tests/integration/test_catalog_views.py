"""The communes look-up, the product pages of "Vente directe", the catalog globals, start-up validation."""
from html import unescape

import pytest
from flask import render_template_string

from portal import create_app
from portal.catalog import loader
from portal.catalog.loader import CatalogError, get_catalog


@pytest.fixture
def logged_in(client, broker, login):
    assert login(broker.email).status_code == 200
    return client


def test_communes_of_a_postcode(logged_in):
    response = logged_in.get("/api/communes?code_postal=16000")
    assert response.status_code == 200
    assert response.get_json() == {"communes": [{"code": "16015", "nom": "Angoulême"}]}


def test_communes_of_a_postcode_with_several(logged_in):
    communes = logged_in.get("/api/communes?code_postal=20000").get_json()["communes"]
    assert communes == [{"code": "2A004", "nom": "Ajaccio"}, {"code": "2A139", "nom": "Lecci"}]


def test_surrounding_spaces_are_ignored(logged_in):
    assert logged_in.get("/api/communes?code_postal=%2016000%20").get_json()["communes"][0]["nom"] == "Angoulême"


@pytest.mark.parametrize("query", ["?code_postal=1600", "?code_postal=160000", "?code_postal=abcde", "?code_postal=", ""])
def test_an_invalid_postcode_is_a_400_with_the_reason(logged_in, query):
    response = logged_in.get(f"/api/communes{query}")
    assert response.status_code == 400
    assert response.get_json() == {"erreur": "Code postal invalide : 5 chiffres attendus."}


def test_an_unknown_postcode_has_an_empty_list_and_says_so(logged_in):
    response = logged_in.get("/api/communes?code_postal=00000")
    assert response.status_code == 200
    assert response.get_json() == {"communes": [], "erreur": "Aucune commune pour ce code postal."}


def test_communes_need_a_logged_in_user(client):
    response = client.get("/api/communes?code_postal=16000")
    assert response.status_code in (302, 401)
    assert "Angoul" not in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [product.code for product in get_catalog().products])
def test_each_product_page(logged_in, code):
    product = get_catalog().product(code)
    response = logged_in.get(f"/vente-directe/{code}")
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert f"<h1>{product.name}</h1>" in page
    assert product.audience in page
    assert f"de {product.age_limits.min} à {product.age_limits.max} ans à la date d'effet" in page
    for formula in product.formulas:
        assert formula.name in page
    for axis in get_catalog().need_axes:
        assert axis.label[1:] in page


def test_product_page_shows_levels_by_name_and_the_association(logged_in):
    page = unescape(logged_in.get("/vente-directe/smat-active-tns").get_data(as_text=True))
    row_300 = page[page.index("SMAT ACTIVE TNS 300</th>"):page.index("SMAT ACTIVE TNS 375</th>")]
    assert [level for level in ("Minimal", "Médian", "Renforcé", "Supplément") if level in row_300] == ["Médian", "Renforcé"]
    assert row_300.count("<td>Renforcé</td>") == 3
    assert row_300.count("<td>Médian</td>") == 2
    assert "Association Nationale de Prévoyance des Professionnels Indépendants (ANPPI)" in page
    assert "1,50 € / mois" in page
    assert "Option Surcomplémentaire" in page


def test_product_without_association(logged_in):
    page = unescape(logged_in.get("/vente-directe/smat-serenite").get_data(as_text=True))
    assert "ANPPI" not in page
    assert "Supplément" in page


def test_choosing_a_product_in_the_side_panel_starts_a_quote(logged_in):
    page = logged_in.get("/vente-directe/smat-serenite").get_data(as_text=True)
    assert 'href="/vente-directe/smat-active-tns/devis"' in page
    assert 'href="/vente-directe/smat-serenite/devis"' in page
    assert "Établir un devis" in page


def test_unknown_product_is_404(logged_in):
    assert logged_in.get("/vente-directe/smat-inconnu").status_code == 404


def test_product_page_needs_a_logged_in_user(client):
    assert client.get("/vente-directe/smat-active-tns").status_code in (302, 401)


def test_catalog_globals_for_templates_and_emails(app):
    with app.test_request_context():
        assert render_template_string("{% for p in catalog_products() %}{{ p.code }} {% endfor %}") == "smat-active-tns smat-serenite "
        lines = unescape(render_template_string("{{ insurer_lines() }}"))
    assert lines.startswith("SMATIS FRANCE, Mutuelle régie par")
    assert "SIREN 781166293" in lines
    assert "contrôlée par l'Autorité de Contrôle Prudentiel et de Résolution (ACPR)" in lines


@pytest.fixture
def broken_default_catalog(tmp_path, monkeypatch):
    broken = tmp_path / "catalog.yaml"
    broken.write_text(loader.DEFAULT_PATH.read_text(encoding="utf-8").replace("{from: 26, to: 30,", "{from: 24, to: 30,"),
                      encoding="utf-8")
    monkeypatch.setattr(loader, "DEFAULT_PATH", broken)
    get_catalog.cache_clear()
    yield
    get_catalog.cache_clear()


def test_a_broken_catalog_stops_start_up_with_its_message(broken_default_catalog, tmp_path):
    with pytest.raises(CatalogError, match="^catalog.yaml : age_factors, tranche n° 2 : la tranche 24-30 ans chevauche"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 40})
