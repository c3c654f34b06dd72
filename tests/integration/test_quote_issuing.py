""""Valider et envoyer le devis au client" (SPEC §4, §9): number, version, PDFs, e-mail, event."""
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time
from pypdf import PdfReader

from portal import storage
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.links import CustomerLink
from tests.conftest import csrf_token
from tests.integration.wizard import Wizard, text

ATTACHMENTS = ["DEVIS.pdf", "IPID SMAT ACTIVE TNS.pdf", "Plaquette SMAT ACTIVE TNS.pdf", "Garanties SMAT ACTIVE TNS 300.pdf",
               "Exemples de remboursements.pdf", "Regles generales.pdf"]


pytestmark = pytest.mark.usefixtures("quote_day")


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def issued(number: str) -> list[Quote]:
    return db.session.scalars(db.select(Quote).where(Quote.number == number).order_by(Quote.version)).all()


def test_issuing_numbers_the_quote_version_1_valid_30_days(wizard, client):
    response = wizard.walk()
    assert response.status_code == 302
    quote = db.session.get(Quote, wizard.quote_id)
    assert (quote.number, quote.version, quote.status) == ("RIS-0000000001", 1, QuoteStatus.VALIDE)
    assert quote.issued_on == date(2026, 11, 20) and quote.expires_on == date(2026, 12, 20)
    page = text(client.get(response.headers["Location"]))
    assert "Devis n° RIS-0000000001 Version 1" in page
    assert "Etat Validé" in page and "Expire le 20/12/2026" in page and "Dupliquer" in page
    assert "Le devis a été envoyé au client." in page


def test_the_quote_email_has_the_spec_subject_recipients_and_six_attachments(wizard, outbox, broker):
    wizard.walk()
    [message] = outbox()
    assert message.subject == "Votre devis SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"
    assert message.to == "jean.dupont@exemple.fr" and message.cc == broker.email
    assert [a.filename for a in message.attachments] == ATTACHMENTS
    assert all(a.content.startswith(b"%PDF") for a in message.attachments)
    body = " ".join(message.body_text.split())
    # The guide's opening, then its words; the portal adds the number, price, expiry date and phone.
    assert body.startswith("Votre recherche de complémentaire santé En cas de problème lié à l'affichage de ce message, ")
    assert "Bonjour Monsieur DUPONT, Nous vous remercions pour votre demande et pour l'intérêt que vous avez témoigné " \
           "à notre offre." in body
    assert ("Vous trouverez également attachés à ce message les règles générales et le document d'information sur "
            "le produit d'assurance (IPID)") in body
    assert "(jusqu'au 20/12/2026)" in body and "Devis n° RIS-0000000001, version 1 — cotisation : 115,23 € / mois" in body
    assert "Votre conseiller Cabinet Démo Courtage — 05 45 00 00 00" in body
    html_body = " ".join(message.body_html.split())
    assert "Votre recherche de complémentaire santé</h1>" in html_body
    assert "pour l'intérêt que vous avez témoigné à notre offre" in html_body.replace("&#39;", "'")
    assert ("Nous avons le plaisir de vous adresser en pièce jointe notre proposition de devis pour le produit "
            "SMAT ACTIVE TNS formule SMAT ACTIVE TNS 300.") in body
    assert "Vous pouvez dès maintenant finaliser votre adhésion en suivant ce lien." in body
    assert "Cette proposition est valable 30 jours à compter d'aujourd'hui" in body
    assert "Ce message est envoyé automatiquement, merci de ne pas y répondre directement." in body
    assert "Votre conseiller Cabinet Démo Courtage" in body and "SMATIS FRANCE" in body
    link = re.search(r"https?://\S+/souscription/(\S+)", message.body_text)
    assert link and len(link.group(1)) >= 22  # at least 128 random bits
    assert "/souscription/" in message.body_html


def test_devis_pdf_reads_back_with_number_version_client_and_price(wizard, outbox):
    wizard.walk()
    attachments = {a.filename: a.content for a in outbox()[0].attachments}
    devis = pdf_text(attachments["DEVIS.pdf"])
    for expected in ("RIS-0000000001", "version 1", "DUPONT Jean", "115,23 € / mois", "1 382,76 €",
                     "Cabinet Démo Courtage", "SMATIS FRANCE", "20/12/2026", "SMAT ACTIVE TNS 300", "Régime Général"):
        assert expected in devis, expected
    # The broker chose 300 alone where the advice was 300 + Surcomplémentaire: the PDF says so.
    assert "Formule conseillée au regard de vos besoins : SMAT ACTIVE TNS 300 + Surcomplémentaire" in devis
    assert "Vous avez choisi une formule différente de celle que nous vous conseillons" in devis
    garanties = pdf_text(attachments["Garanties SMAT ACTIVE TNS 300.pdf"])
    assert "SMAT ACTIVE TNS 300" in garanties and "SMAT ACTIVE TNS 375" not in garanties


def test_devis_pdf_without_difference_when_the_advice_is_followed(wizard, outbox):
    wizard.walk(options=["surcomplementaire"])
    devis = pdf_text({a.filename: a.content for a in outbox()[0].attachments}["DEVIS.pdf"])
    assert "128,51 € / mois" in devis and "Surcomplémentaire" in devis
    assert "Vous avez choisi une formule différente" not in devis


def test_the_pdf_is_stored_and_downloadable_by_the_broker(wizard, client, outbox):
    wizard.walk()
    outbox()  # the worker has laid it out
    quote = db.session.get(Quote, wizard.quote_id)
    assert storage.get(quote.pdf_key).startswith(b"%PDF")
    response = client.get(f"/devis/{quote.id}/document")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "RIS-0000000001" in pdf_text(response.data)


def test_issuing_writes_the_agenda_event(wizard):
    wizard.walk()
    [event] = db.session.scalars(db.select(JournalEntry).where(JournalEntry.agenda_kind.is_not(None))).all()
    assert event.domain == "Devis n° RIS-0000000001/1"
    assert event.description == ("Pour le client : M. DUPONT Jean, dossier SMAT ACTIVE TNS, SMAT ACTIVE TNS 300, "
                                 "devis envoyé au client par e-mail.")
    assert event.effect_date == date(2026, 12, 1) and event.closed_at is None


def test_the_client_becomes_a_person_of_the_firm(wizard, broker):
    wizard.walk()
    quote = db.session.get(Quote, wizard.quote_id)
    person = quote.person
    assert (person.firm_id, person.last_name, person.search_name, person.email) == (
        broker.firm_id, "Dupont", "DUPONT JEAN", "jean.dupont@exemple.fr")


def test_a_double_post_issues_one_version_and_one_email(wizard, client, outbox):
    wizard.needs()
    wizard.choose("300")
    wizard.contact()
    page = client.get(f"/devis/{wizard.quote_id}/recapitulatif").get_data(as_text=True)
    token = csrf_token(page)
    first = client.post(f"/devis/{wizard.quote_id}/valider", data={"csrf_token": token})
    second = client.post(f"/devis/{wizard.quote_id}/valider", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith(f"/devis/{wizard.quote_id}")
    assert len(issued("RIS-0000000001")) == 1
    assert len(outbox()) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(CustomerLink)) == 1


def test_dupliquer_issues_the_same_number_version_2_and_keeps_version_1(wizard, client, outbox):
    wizard.walk()
    outbox()  # the worker has laid out version 1's DEVIS.pdf
    first = db.session.get(Quote, wizard.quote_id)
    first_pdf = first.pdf_key
    assert first_pdf is not None
    page = client.get(f"/devis/{first.id}").get_data(as_text=True)
    key = re.search(r'name="creation_key" value="([^"]+)"', page).group(1)
    response = client.post(f"/devis/{first.id}/dupliquer", data={"csrf_token": csrf_token(page), "creation_key": key})
    again = client.post(f"/devis/{first.id}/dupliquer", data={"csrf_token": csrf_token(page), "creation_key": key})
    assert response.headers["Location"] == again.headers["Location"]  # a double click opens one draft
    draft_id = int(re.search(r"/devis/(\d+)/besoins", response.headers["Location"]).group(1))
    # The wizard reopens prefilled with version 1.
    needs_page = client.get(f"/devis/{draft_id}/besoins").get_data(as_text=True)
    assert 'value="1978-05-04"' in needs_page and "RIS-0000000001" in needs_page
    wizard.quote_id = draft_id
    wizard.needs(besoin_dentaire="3")
    wizard.choose("375")
    assert 'value="Dupont"' in client.get(f"/devis/{draft_id}/coordonnees").get_data(as_text=True)
    wizard.contact()
    wizard.validate()
    versions = issued("RIS-0000000001")
    assert [(q.version, q.formula_code, q.status) for q in versions] == [
        (1, "300", QuoteStatus.VALIDE), (2, "375", QuoteStatus.VALIDE)]
    assert versions[0].pdf_key == first_pdf and versions[1].pdf_key != first_pdf
    assert versions[0].person_id == versions[1].person_id
    assert [m.subject for m in outbox()] == ["Votre devis SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"] * 2
    devis_2 = pdf_text({a.filename: a.content for a in outbox()[1].attachments}["DEVIS.pdf"])
    assert "RIS-0000000001" in devis_2 and "version 2" in devis_2 and "148,76 € / mois" in devis_2


def test_modifier_from_the_acte_de_gestion_menu_also_gives_version_2(wizard, client):
    wizard.walk()
    assert "Acte de gestion" in client.get(f"/devis/{wizard.quote_id}").get_data(as_text=True)
    page = client.get(f"/devis/{wizard.quote_id}?onglet=gestion").get_data(as_text=True)
    assert "Modifier" in page and "Classer sans suite" in page and "Renvoyer le devis au client" in page
    response = client.post(f"/devis/{wizard.quote_id}/modifier", data={"csrf_token": csrf_token(page)})
    wizard.quote_id = int(re.search(r"/devis/(\d+)/besoins", response.headers["Location"]).group(1))
    wizard.needs()
    wizard.choose("300")
    wizard.contact()
    wizard.validate()
    assert [q.version for q in issued("RIS-0000000001")] == [1, 2]


def test_two_quotes_get_consecutive_numbers_and_each_product_its_prefix(wizard, client):
    wizard.walk()
    second = Wizard(client)
    second.walk()
    serenite = Wizard(client, "smat-serenite")
    serenite.walk()
    numbers = db.session.scalars(db.select(Quote.number).order_by(Quote.id)).all()
    assert numbers == ["RIS-0000000001", "RIS-0000000002", "TIS-0000000001"]


def test_an_issued_quote_cannot_be_edited_through_the_wizard(wizard, client):
    wizard.walk()
    for screen in ("besoins", "solutions", "coordonnees", "recapitulatif"):
        response = client.get(f"/devis/{wizard.quote_id}/{screen}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/devis/{wizard.quote_id}")


def test_issuing_re_checks_eligibility_on_the_day_it_happens(wizard, client, login, broker):
    wizard.needs()
    wizard.choose("300")
    wizard.contact()
    with freeze_time("2026-12-02 10:00:00"):  # the effect date (01/12/2026) has passed meanwhile
        login(broker.email)
        response = wizard.validate()
    assert response.status_code == 422
    assert "La date d'effet du 01/12/2026 est déjà passée." in text(response)
    assert db.session.get(Quote, wizard.quote_id).status is QuoteStatus.INCOMPLET


def test_a_client_without_email_gets_a_paper_bulletin_and_the_quote_is_propose(wizard, client, outbox):
    wizard.needs()
    wizard.choose("300")
    assert wizard.contact(email="", sans_email="oui").status_code == 302
    recap = client.get(f"/devis/{wizard.quote_id}/recapitulatif")
    assert "Imprimer le Bulletin individuel d'adhésion" in text(recap)
    response = client.post(f"/devis/{wizard.quote_id}/bulletin", data={"csrf_token": csrf_token(recap.get_data(as_text=True))})
    assert response.status_code == 302
    quote = db.session.get(Quote, wizard.quote_id)
    assert (quote.status, quote.number, quote.version) == (QuoteStatus.PROPOSE, "RIS-0000000001", 1)
    assert outbox() == []
    bia = client.get(f"/devis/{quote.id}/document")
    # Opened in the browser's PDF viewer, to print; saved under the bulletin's name.
    assert bia.headers["Content-Disposition"] == (
        "inline; filename=\"Bulletin individuel d'adhesion.pdf\"; "
        "filename*=UTF-8''Bulletin%20individuel%20d%27adh%C3%A9sion.pdf")
    content = pdf_text(bia.data)
    for expected in ("Bulletin individuel d'adhésion", "DUPONT Jean", "115,23 € / mois", "Copie de votre pièce d'identité",
                     "Le cas échéant : extrait Kbis", "Signature de l'adhérent"):
        assert expected in content, expected
    assert "Etat Proposé" in text(client.get(f"/devis/{quote.id}"))


def test_valider_is_refused_for_a_client_without_email(wizard, client):
    wizard.needs()
    wizard.choose("300")
    wizard.contact(email="", sans_email="oui")
    page = client.get(f"/devis/{wizard.quote_id}/recapitulatif").get_data(as_text=True)
    response = client.post(f"/devis/{wizard.quote_id}/valider", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Le client n'a pas d'adresse e-mail : imprimez le bulletin d'adhésion." in text(response)


def test_a_post_without_csrf_token_issues_nothing(wizard, client, outbox):
    wizard.needs()
    wizard.choose("300")
    wizard.contact()
    response = client.post(f"/devis/{wizard.quote_id}/valider", data={})
    assert response.status_code == 400
    assert db.session.get(Quote, wizard.quote_id).status is QuoteStatus.INCOMPLET and outbox() == []
