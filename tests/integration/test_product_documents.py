"""The five product documents: their content read back, the cache, the broker's links."""
import io

import pytest
from pypdf import PdfReader

from portal.catalog.loader import get_catalog
from portal.documents import product_documents
from portal.documents.product_documents import document_links, product_document, quote_attachments


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def tns():
    return get_catalog().product("smat-active-tns")


@pytest.mark.parametrize("kind, title", [
    ("ipid", "Document d'information sur le Produit d'Assurance (IPID)"), ("regles_generales", "Règles générales"),
    ("plaquette", "Découvrir le produit"), ("exemples", "Exemples de remboursements"), ("garanties", "Niveau des garanties")])
def test_each_document_has_its_title_and_the_product(app, tns, kind, title):
    content = pdf_text(product_document(tns, kind, "300").content)
    assert title in content and "SMAT ACTIVE TNS" in content and "SMATIS FRANCE" in content


def test_the_guarantee_table_is_the_chosen_formula_s(app, tns):
    file = product_document(tns, "garanties", "300")
    assert file.filename == "Garanties SMAT ACTIVE TNS 300.pdf"
    content = pdf_text(file.content)
    assert "Niveau des garanties — SMAT ACTIVE TNS 300" in content
    assert "300 % BR" in content and "60,00 €" in content and "400,00 €" in content
    assert "SMAT ACTIVE TNS 375" not in content and "SMAT ACTIVE TNS 450" not in content


def test_the_examples_are_computed_for_the_formula(app, tns):
    content = pdf_text(product_document(tns, "exemples", "300").content)
    assert "Exemples de remboursements — SMAT ACTIVE TNS 300" in content
    for amount in ("42,95 €", "276,00 €", "1 500,00 €", "860,00 €"):
        assert amount in content
    assert "42,95 €" not in pdf_text(product_document(tns, "exemples", "100").content)


def test_the_ipid_states_the_age_limits_and_the_association(app, tns):
    content = pdf_text(product_document(tns, "ipid").content)
    assert "de 18 à 70 ans" in content and "ANPPI" in content and "01/01" in content


def test_the_quote_attachments_are_named_as_the_spec_says(app, tns):
    assert [f.filename for f in quote_attachments(tns, "300")] == [
        "IPID SMAT ACTIVE TNS.pdf", "Plaquette SMAT ACTIVE TNS.pdf", "Garanties SMAT ACTIVE TNS 300.pdf",
        "Exemples de remboursements.pdf", "Regles generales.pdf"]


def test_per_formula_documents_need_a_known_formula(app, tns):
    with pytest.raises(ValueError):
        product_document(tns, "garanties")
    with pytest.raises(KeyError):
        product_document(tns, "garanties", "999")
    with pytest.raises(KeyError):
        product_document(tns, "inconnu")


def test_a_document_is_rendered_once_then_served_from_memory_and_disk(app, tns, monkeypatch):
    calls = []
    real = product_documents.render_pdf
    monkeypatch.setattr(product_documents, "render_pdf", lambda *a: calls.append(a[0]) or real(*a))
    disk = product_documents._disk_path((get_catalog().version, tns.code, "plaquette", None))
    disk.unlink(missing_ok=True)
    product_documents.clear_memory()
    first = product_document(tns, "plaquette").content
    assert product_document(tns, "plaquette").content == first
    assert calls == ["plaquette.html"]
    product_documents.clear_memory()  # another process: only the disk cache is shared
    assert product_document(tns, "plaquette").content == first
    assert calls == ["plaquette.html"]
    assert disk.read_bytes() == first


def test_links_point_each_document_to_the_formula_when_it_depends_on_it(tns):
    assert document_links(tns, "200") == [
        ("Document d'information sur le Produit d'Assurance (IPID)", "ipid", None), ("Règles générales", "regles_generales", None),
        ("Exemples de remboursements", "exemples", "200"), ("Découvrir le produit", "plaquette", None),
        ("Niveau des garanties", "garanties", "200")]


def test_the_broker_opens_the_documents_from_the_pages(client, broker, login):
    assert client.get("/vente-directe/smat-active-tns/documents/ipid").status_code == 302  # login first
    login(broker.email)
    response = client.get("/vente-directe/smat-active-tns/documents/garanties/300")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="Garanties SMAT ACTIVE TNS 300.pdf"' in response.headers["Content-Disposition"]
    for path in ("/vente-directe/smat-active-tns/documents/inconnu", "/vente-directe/smat-active-tns/documents/garanties",
                 "/vente-directe/smat-active-tns/documents/garanties/999", "/vente-directe/inconnu/documents/ipid"):
        assert client.get(path).status_code == 404, path
