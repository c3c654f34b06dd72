"""The five product documents: their content read back, the cache, the broker's links and pages."""
import io
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from portal.catalog.loader import get_catalog
from portal.documents import product_documents
from portal.documents.product_documents import KINDS, document_links, product_document, quote_attachments, warm

TITLES = {
    "ipid": "Document d'information sur le Produit d'Assurance (IPID)",
    "regles_generales": "Règles générales",
    "exemples": "Exemples de remboursements",
    "plaquette": "Découvrir le produit",
    "garanties": "Niveau des garanties",
}
FAKE_PDF = b"%PDF-1.7\n% test\n%%EOF\n"


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def tns():
    return get_catalog().product("smat-active-tns")


@pytest.fixture
def serenite():
    return get_catalog().product("smat-serenite")


@pytest.fixture
def fresh_cache(app, tmp_path, monkeypatch):
    """An empty memory cache and an empty instance folder; `renders` lists the templates rendered."""
    monkeypatch.setitem(app.config, "INSTANCE_PATH", str(tmp_path))
    product_documents.clear_memory()
    renders = []
    real = product_documents.render_pdf

    def counting(template, context):
        renders.append(template)
        return real(template, context)
    monkeypatch.setattr(product_documents, "render_pdf", counting)
    yield renders
    product_documents.clear_memory()  # nothing rendered here outlives the test's folder


def version() -> str:
    return f"{get_catalog().version}-{product_documents.templates_version()}"


def disk_files(app) -> list[str]:
    folder = Path(app.config["INSTANCE_PATH"]) / "cache" / "documents" / version()
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# -- content -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(TITLES))
@pytest.mark.parametrize("product_code, name", [("smat-active-tns", "SMAT ACTIVE TNS"), ("smat-serenite", "SMAT SERENITE")])
def test_each_document_has_its_title_the_product_and_the_insurer(app, kind, product_code, name):
    file = product_document(get_catalog().product(product_code), kind, "300")
    assert file.content_type == "application/pdf" and file.content.startswith(b"%PDF-")
    content = pdf_text(file.content)
    assert f"{TITLES[kind]}" in content and name in content and "SMATIS FRANCE" in content
    assert KINDS[kind].title == TITLES[kind]


def test_the_guarantee_table_is_the_chosen_formula_s(app, tns):
    file = product_document(tns, "garanties", "300")
    assert file.filename == "Garanties SMAT ACTIVE TNS 300.pdf"
    content = pdf_text(file.content)
    assert "Niveau des garanties — SMAT ACTIVE TNS 300" in content
    for figure in ("300 % BR", "200 % BR", "60,00 €", "300,00 €", "400,00 €", "Renforcé", "Médian"):
        assert figure in content, figure
    assert "+ 100 % BR sur les dépassements d'honoraires OPTAM" in content and "13,28 €" in content
    for other in ("100", "150", "200", "375", "450"):
        assert f"SMAT ACTIVE TNS {other}" not in content
    assert "Forfait journalier hospitalier : 100 % des frais réels" in content


def test_formula_100_shows_what_it_does_not_cover(app, tns):
    content = pdf_text(product_document(tns, "garanties", "100").content)
    assert "Niveau des garanties — SMAT ACTIVE TNS 100" in content and "Non couvert" in content and "125 % BR" in content


def test_the_examples_are_computed_for_the_formula(app, tns):
    file = product_document(tns, "exemples", "300")
    assert file.filename == "Exemples de remboursements.pdf"
    content = pdf_text(file.content)
    assert "Exemples de remboursements — SMAT ACTIVE TNS 300" in content
    # Specialist non OPTAM 20,05 / 42,95 / 17,00; crown 84,00 / 276,00 / 290,00; hearing aid 1 500,00 / 240,00 / 400,00 / 860,00.
    for amount in ("20,05 €", "42,95 €", "17,00 €", "276,00 €", "290,00 €", "1 500,00 €", "240,00 €", "860,00 €", "149,95 €"):
        assert amount in content, amount
    other = pdf_text(product_document(tns, "exemples", "100").content)
    assert "SMAT ACTIVE TNS 100" in other and "42,95 €" not in other and "1 260,00 €" in other


def test_the_ipid_has_the_standard_headings_and_the_product_s_terms(app, tns, serenite):
    content = pdf_text(product_document(tns, "ipid").content)
    for heading in ("Quel est ce type d'assurance ?", "Qu'est-ce qui est assuré ?", "Qu'est-ce qui n'est pas assuré ?",
                    "Y a-t-il des exclusions à la couverture ?", "Où suis-je couvert(e) ?", "Quelles sont mes obligations ?",
                    "Quand et comment effectuer les paiements ?", "Quand commence la couverture et quand prend-elle fin ?",
                    "Comment puis-je résilier le contrat ?"):
        assert heading in content, heading
    assert "de 18 à 70 ans" in content and "ANPPI" in content and "01/01" in content and "1,50 € / mois" in content
    assert all(f"SMAT ACTIVE TNS {code}" in content for code in ("100", "150", "200", "300", "375", "450"))
    other = pdf_text(product_document(serenite, "ipid").content)
    assert "de 18 à 85 ans" in other and "ANPPI" not in other and "Madelin" not in other


def test_the_general_rules_carry_the_articles_and_the_periodicities(app, tns):
    content = pdf_text(product_document(tns, "regles_generales").content)
    for article in ("Objet", "Adhésion", "Bénéficiaires", "Prise d'effet", "Cotisations", "Résiliation", "Prescription",
                    "Réclamations et médiation", "Données personnelles"):
        assert article in content, article
    for periodicity in ("Mensuel", "Trimestriel", "Semestriel", "Annuel"):
        assert periodicity in content
    assert "extrait Kbis" in content and "gratuitement à partir du troisième" in content


def test_the_brochure_shows_every_formula_s_levels_and_the_option(app, tns):
    content = pdf_text(product_document(tns, "plaquette").content)
    assert "Découvrir le produit SMAT ACTIVE TNS" in content and "pour les travailleurs non salariés (TNS) et leur famille" in content
    assert all(level in content for level in ("Minimal", "Médian", "Renforcé", "Supplément"))
    assert "Option Surcomplémentaire" in content and "optique (+1 niveau)" in content
    assert get_catalog().product("smat-active-tns").association.notice in content


# -- names, order, links, errors -------------------------------------------------------------

def test_the_quote_attachments_are_named_and_ordered_as_the_spec_says(app, tns):
    files = quote_attachments(tns, "300")
    assert [f.filename for f in files] == [
        "IPID SMAT ACTIVE TNS.pdf", "Plaquette SMAT ACTIVE TNS.pdf", "Garanties SMAT ACTIVE TNS 300.pdf",
        "Exemples de remboursements.pdf", "Regles generales.pdf"]
    assert {f.content_type for f in files} == {"application/pdf"}


def test_unknown_kinds_and_formulas_are_refused(app, tns):
    with pytest.raises(ValueError):
        product_document(tns, "garanties")
    with pytest.raises(ValueError):
        product_document(tns, "exemples")
    with pytest.raises(KeyError):
        product_document(tns, "garanties", "999")
    with pytest.raises(KeyError):
        product_document(tns, "ipid", "999")
    with pytest.raises(KeyError):
        product_document(tns, "inconnu")


def test_a_product_wide_document_is_the_same_whatever_the_formula(app, tns):
    assert product_document(tns, "ipid", "300").content == product_document(tns, "ipid").content


def test_links_point_each_document_to_the_formula_when_it_depends_on_it(tns):
    assert document_links(tns, "200") == [
        ("Document d'information sur le Produit d'Assurance (IPID)", "ipid", None), ("Règles générales", "regles_generales", None),
        ("Exemples de remboursements", "exemples", "200"), ("Découvrir le produit", "plaquette", None),
        ("Niveau des garanties", "garanties", "200")]
    assert [kind for _, kind, _ in document_links(tns, None)] == ["ipid", "regles_generales", "plaquette"]


# -- cache -----------------------------------------------------------------------------------

def test_a_document_is_rendered_once_then_served_from_memory(fresh_cache, tns):
    first = product_document(tns, "plaquette").content
    assert product_document(tns, "plaquette").content is first
    assert fresh_cache == ["plaquette.html"]


def test_the_disk_cache_serves_a_fresh_process(app, fresh_cache, tns):
    first = product_document(tns, "garanties", "300").content
    assert disk_files(app) == ["smat-active-tns-garanties-300.pdf"]
    product_documents.clear_memory()  # another process, or a restart: only the disk is shared
    assert product_document(tns, "garanties", "300").content == first
    assert fresh_cache == ["garanties.html"]
    assert not [name for name in disk_files(app) if name.startswith(".")]  # no temporary file left


def test_a_broken_cache_file_is_rendered_again(app, fresh_cache, tns):
    product_document(tns, "ipid")
    path = product_documents._disk_path((version(), tns.code, "ipid", None))
    path.write_bytes(b"%PDF-1.7 cut in the mid")
    product_documents.clear_memory()
    content = product_document(tns, "ipid").content
    assert fresh_cache == ["ipid.html", "ipid.html"] and path.read_bytes() == content and b"%%EOF" in content[-64:]


def test_a_cache_that_cannot_be_written_still_serves_the_document(app, fresh_cache, tns, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(product_documents, "_disk_path", lambda key: blocker / "cache" / "x.pdf")
    content = product_document(tns, "regles_generales").content
    assert content.startswith(b"%PDF-") and product_document(tns, "regles_generales").content is content
    assert fresh_cache == ["regles_generales.html"]


def test_without_an_application_context_only_memory_is_used(_app, tmp_path, monkeypatch):
    monkeypatch.setitem(_app.config, "INSTANCE_PATH", str(tmp_path))
    product_documents.clear_memory()
    monkeypatch.setattr(product_documents, "render_pdf", lambda template, context: FAKE_PDF)
    try:
        tns = get_catalog().product("smat-active-tns")
        assert product_document(tns, "ipid").content == FAKE_PDF
        assert not (tmp_path / "cache").exists()
    finally:
        product_documents.clear_memory()


def test_concurrent_callers_wait_for_a_single_render(app, fresh_cache, tns, monkeypatch):
    renders = []

    def slow(template, context):
        renders.append(template)
        time.sleep(0.2)
        return FAKE_PDF
    monkeypatch.setattr(product_documents, "render_pdf", slow)
    results, errors = [], []

    def call():
        try:
            with app.app_context():
                results.append(product_document(tns, "exemples", "200").content)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [FAKE_PDF] * 8
    assert renders == ["exemples.html"]


def test_warm_renders_every_document_of_every_product_once(app, fresh_cache, monkeypatch):
    renders = []
    monkeypatch.setattr(product_documents, "render_pdf", lambda template, context: renders.append(template) or FAKE_PDF)
    catalog = get_catalog()
    expected = sum(3 + 2 * len(product.formulas) for product in catalog.products)
    assert warm(catalog) == expected == len(renders) == len(disk_files(app))
    assert warm(catalog) == expected and len(renders) == expected  # all cached now


# -- pages -----------------------------------------------------------------------------------

def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/vente-directe/smat-active-tns/documents/ipid")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("path, filename", [
    ("ipid", "IPID SMAT ACTIVE TNS.pdf"), ("regles_generales", "Regles generales.pdf"),
    ("plaquette", "Plaquette SMAT ACTIVE TNS.pdf"), ("exemples/300", "Exemples de remboursements.pdf"),
    ("garanties/300", "Garanties SMAT ACTIVE TNS 300.pdf")])
def test_the_broker_opens_each_document_in_the_browser(client, broker, login, path, filename):
    login(broker.email)
    response = client.get(f"/vente-directe/smat-active-tns/documents/{path}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{filename}"'
    assert response.data.startswith(b"%PDF-")


def test_unknown_documents_are_not_found(client, broker, login):
    login(broker.email)
    for path in ("/vente-directe/smat-active-tns/documents/inconnu", "/vente-directe/smat-active-tns/documents/inconnu/300",
                 "/vente-directe/smat-active-tns/documents/garanties", "/vente-directe/smat-active-tns/documents/exemples",
                 "/vente-directe/smat-active-tns/documents/garanties/999", "/vente-directe/smat-active-tns/documents/ipid/999",
                 "/vente-directe/inconnu/documents/ipid"):
        assert client.get(path).status_code == 404, path


def test_new_templates_are_never_served_from_an_older_cache(app, fresh_cache, tns, monkeypatch):
    product_document(tns, "plaquette")
    product_documents.clear_memory()
    monkeypatch.setattr(product_documents, "templates_version", lambda: "modele-neuf")  # a release changed them
    product_document(tns, "plaquette")
    assert fresh_cache == ["plaquette.html", "plaquette.html"]
