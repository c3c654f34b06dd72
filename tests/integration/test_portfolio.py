"""Accueil's AGENDA, Portefeuille's searches, a client's synthesis and the quote's "Acte de gestion"."""
import re
from datetime import date

import pytest

from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Person, Quote
from portal.quotes.service import search_name
from tests.conftest import csrf_token
from tests.integration.wizard import text

pytestmark = pytest.mark.usefixtures("quote_day")


def post(client, page_url: str, url: str, **data):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def issued_quote() -> Quote:
    return db.session.scalar(db.select(Quote).where(Quote.number.is_not(None)).order_by(Quote.id.desc()))


def test_an_issued_quote_is_on_the_agenda_with_the_spec_columns(wizard, client):
    wizard.walk()
    page = text(client.get("/"))
    assert "AGENDA" in page and "Nombre d'événements chargés : 1" in page
    for column in ("Effet le", "Description", "Domaine d'application", "Créé le", "Ouvrir", "Clôturer",
                   "Filtrer", "Événements clôturés", "Réinitialiser les filtres", "Exporter"):
        assert column in page
    assert ("01/12/2026 Pour le client : M. DUPONT Jean, dossier SMAT ACTIVE TNS, SMAT ACTIVE TNS 300, devis envoyé "
            "au client par e-mail. Devis n° RIS-0000000001/1 20/11/2026 11:00") in page


def test_filter_close_switch_and_open(wizard, client):
    wizard.walk()
    assert "Nombre d'événements chargés : 1" in text(client.get("/?filtre=DÉVIS"))
    assert "Nombre d'événements chargés : 0" in text(client.get("/?filtre=contrat"))
    event = db.session.scalar(db.select(JournalEntry).where(JournalEntry.agenda_kind.is_not(None)))
    opened = client.get(f"/agenda/{event.id}/ouvrir")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/devis/{event.quote_id}")
    response = post(client, "/", f"/agenda/{event.id}/cloturer")
    assert response.status_code == 302
    assert "Nombre d'événements chargés : 0" in text(client.get("/"))
    page = text(client.get("/?clotures=1"))
    assert "Nombre d'événements chargés : 1" in page and "Clôturé" in page
    # The dossier keeps the event.
    db.session.expire_all()
    assert db.session.get(JournalEntry, event.id).closed_at is not None


def make_people(firm, names):
    for index, (last, first) in enumerate(names):
        db.session.add(Person(firm_id=firm.id, civility="Monsieur", last_name=last, first_name=first,
                              search_name=search_name(last, first), birth_date=date(1970, 1, 1 + index % 28),
                              address="1 rue de la Paix", postcode="16000", city="Angoulême", country="France"))
    db.session.commit()


@pytest.mark.parametrize("typed", ["dupont", "DUPONT", "Dupönt", "dup", "Dupont Jean", "  dupont  "])
def test_people_are_found_by_prefix_whatever_the_case_and_accents(wizard, client, broker, typed):
    make_people(broker.firm, [("Dupont", "Jean"), ("Durand", "Éloïse"), ("Martin", "Paul")])
    page = text(client.get("/portefeuille", query_string={"nom": typed}))
    assert "DUPONT Jean" in page and "DURAND" not in page and "MARTIN" not in page
    assert "Naissance ou Siren" in page and "Prospect" in page


def test_accented_names_are_found_without_accents(wizard, client, broker):
    make_people(broker.firm, [("Lefèvre", "Élodie"), ("Œuvray", "Zoé")])
    assert "LEFÈVRE Élodie" in text(client.get("/portefeuille?nom=lefevre"))
    assert "Pas de résultat" in text(client.get("/portefeuille?nom=zz"))


def test_percent_lists_the_whole_portfolio_page_by_page(wizard, client, broker, make_firm):
    make_people(broker.firm, [(f"Nom{index:02d}", "Prénom") for index in range(30)])
    other = make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr")
    make_people(other, [("Nom99", "Étranger")])
    first = text(client.get("/portefeuille?nom=%25"))
    assert "NOM00" in first and "NOM24" in first and "NOM25" not in first and "Page suivante" in first
    second = text(client.get("/portefeuille?nom=%25&page=2"))
    assert "NOM25" in second and "NOM29" in second and "Page précédente" in second and "Page suivante" not in second
    assert "NOM99" not in first + second  # another firm's client


def test_quotes_are_found_by_identifier_and_by_status(wizard, client):
    wizard.walk()
    page = text(client.get("/portefeuille?objet=devis&identifiant=ris-00000000&rechercher=1"))
    assert "RIS-0000000001" in page and "SMAT ACTIVE TNS 300" in page and "20/12/2026" in page
    assert "RIS-0000000001" in text(client.get("/portefeuille?objet=devis&identifiant=RIS-0000000001/1&rechercher=1"))
    assert "Pas de résultat" in text(client.get("/portefeuille?objet=devis&identifiant=RIS-0000000001/2&rechercher=1"))
    assert "RIS-0000000001" in text(client.get("/portefeuille?objet=devis&statut=valide&rechercher=1"))
    assert "Pas de résultat" in text(client.get("/portefeuille?objet=devis&statut=decline&statut=souscrit&rechercher=1"))
    page = text(client.get("/portefeuille?objet=devis"))
    for label in ("Proposé", "Validé", "En attente de validation", "Accepté", "Souscrit", "Refusé", "Décliné", "Expiré"):
        assert label in page


def test_the_synthesis_lists_the_client_s_quotes_and_starts_a_new_one(wizard, client):
    wizard.walk()
    quote = issued_quote()
    page = text(client.get(f"/clients/{quote.person_id}"))
    for expected in ("Né(e) le 04/05/1978", "Adresse 3 rue de Montmoreau, 16000 Angoulême", "E-mail jean.dupont@exemple.fr",
                     "Retard de paiement 0,00 €", "Mouvements financiers non affectés 0,00 €", "Solde 0,00 €",
                     "N° / Version", "RIS-0000000001 / 1", "Validé", "20/12/2026", "CONTRATS", "INDEMNISATIONS",
                     "Pas de résultat", "Nouveau devis"):
        assert expected in page, expected
    assert "Recherche Synthèse Synthèse du compte client Monsieur DUPONT Jean Consultation Acte de gestion" in page
    assert "INDEMNISATIONS N° Produit Contrat Cause Etat Date Pas de résultat" in page
    html = client.get(f"/clients/{quote.person_id}?onglet=gestion").get_data(as_text=True)
    key = re.search(r'name="creation_key" value="([^"]+)"', html).group(1)
    response = client.post(f"/clients/{quote.person_id}/nouveau-devis",
                           data={"csrf_token": csrf_token(html), "creation_key": key, "produit": "smat-serenite"})
    draft_id = int(re.search(r"/devis/(\d+)/besoins", response.headers["Location"]).group(1))
    needs_page = client.get(f"/devis/{draft_id}/besoins").get_data(as_text=True)
    assert 'value="1978-05-04"' in needs_page and 'value="16000"' in needs_page
    wizard.quote_id = draft_id
    wizard.needs()
    wizard.choose("300")
    assert 'value="Dupont"' in client.get(f"/devis/{draft_id}/coordonnees").get_data(as_text=True)
    wizard.contact()
    wizard.validate()
    assert db.session.get(Quote, draft_id).number == "TIS-0000000001"  # a new number for the same client
    assert db.session.get(Quote, draft_id).person_id == quote.person_id


def test_classer_sans_suite_declines_the_quote(wizard, client):
    wizard.walk()
    quote = issued_quote()
    response = post(client, f"/devis/{quote.id}", f"/devis/{quote.id}/classer-sans-suite")
    assert response.status_code == 302
    page = text(client.get(f"/devis/{quote.id}"))
    assert "Le devis est classé sans suite." in page and "Etat Décliné" in page
    assert db.session.scalar(db.select(JournalEntry).where(JournalEntry.agenda_kind == "devis_decline")) is not None


def test_renvoyer_sends_the_quote_again_once_per_minute(wizard, client, outbox, quote_day):
    wizard.walk()
    quote = issued_quote()
    # Just after the first e-mail: a click (or a double click) sends nothing more.
    response = post(client, f"/devis/{quote.id}", f"/devis/{quote.id}/renvoyer")
    assert "Le devis vient d'être envoyé au client" in text(client.get(response.headers["Location"]))
    assert len(outbox()) == 1
    quote_day.tick(61)
    post(client, f"/devis/{quote.id}", f"/devis/{quote.id}/renvoyer")
    messages = outbox()
    assert len(messages) == 2 and messages[1].subject == messages[0].subject
    assert [a.filename for a in messages[1].attachments] == [a.filename for a in messages[0].attachments]
    assert re.search(r"/souscription/(\S+)", messages[0].body_text).group(1) != re.search(
        r"/souscription/(\S+)", messages[1].body_text).group(1)
