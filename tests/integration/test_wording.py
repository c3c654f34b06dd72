"""The broker screens and e-mails in the guide's words, where the browser tests do not already
read them: the first-connection e-mail, Portefeuille › Recherche, the agenda's "Exporter"."""
import re

import pytest

from portal.auth.links import request_password_init
from tests.integration.wizard import Wizard, text

pytestmark = pytest.mark.usefixtures("quote_day")


def squeezed(value: str) -> str:
    return " ".join(value.split())


def test_a_first_connection_has_its_own_words(make_firm, make_user, outbox):
    make_user(firm=make_firm(), password=None, first_name="Claire", last_name="Martin")
    request_password_init("courtier@cabinet-demo.fr")
    [message] = outbox()
    for body in (squeezed(message.body_text), squeezed(message.body_html)):
        assert ("Bienvenue sur Mes Solutions Plus. Votre compte (courtier@cabinet-demo.fr) a été ouvert pour le "
                "cabinet Cabinet Démo Courtage : pour votre première connexion, il ne reste qu'à créer votre mot de "
                "passe.") in body.replace("&#39;", "'")
        assert "Une demande de nouveau mot de passe" not in body
        assert "Si vous n'êtes pas à l'origine de cette demande" not in body.replace("&#39;", "'")
    assert "Créer mon mot de passe</a>" in message.body_html


def test_a_new_password_request_says_so(broker, outbox):
    request_password_init(broker.email)
    [message] = outbox()
    body = squeezed(message.body_text)
    assert ("Une demande de nouveau mot de passe a été faite pour votre compte Mes Solutions Plus "
            "(courtier@cabinet-demo.fr).") in body
    assert "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste " \
           "valable." in body
    assert "Bienvenue" not in body
    assert "Choisir mon nouveau mot de passe</a>" in message.body_html


def test_the_search_s_objet_list_and_every_quote_status(wizard, client):
    html = client.get("/portefeuille").get_data(as_text=True)
    assert re.search(r'<label for="objet">Objet</label>\s*<select id="objet" name="objet"', html)
    assert '<option value="personne" selected>Personne</option>' in html
    assert '<option value="devis" >Devis</option>' in html and '<option value="contrat" >Contrat</option>' in html
    page = text(client.get("/portefeuille?objet=devis"))
    # The guide's ten, in its order.
    assert ("Statut devis Accepté Décliné En attente de pièce(s) En attente de validation Expiré Incomplet Proposé "
            "Refusé Souscrit Validé Rechercher") in page


def test_incomplete_quotes_are_found_with_incomplet_only(wizard, client):
    wizard.walk()
    draft = Wizard(client)
    draft.needs()
    page = text(client.get("/portefeuille?objet=devis&statut=incomplet&rechercher=1"))
    assert "Nouveau devis en cours" in page and "Incomplet" in page and "RIS-0000000001" not in page
    everything = text(client.get("/portefeuille?objet=devis&rechercher=1"))
    assert "Nouveau devis en cours" not in everything and "RIS-0000000001 / 1" in everything
    both = text(client.get("/portefeuille?objet=devis&statut=incomplet&statut=valide&rechercher=1"))
    assert "Nouveau devis en cours" in both and "RIS-0000000001 / 1" in both


def test_each_result_row_opens_with_its_arrow(wizard, client):
    wizard.walk()
    html = client.get("/portefeuille?objet=devis&rechercher=1").get_data(as_text=True)
    arrow = re.search(r'<a class="row-arrow" href="(/devis/\d+)"><span aria-hidden="true">➜</span>'
                      r'<span class="visually-hidden">Ouvrir le devis RIS-0000000001 / 1</span></a>', html)
    assert arrow and client.get(arrow.group(1)).status_code == 200
    html = client.get("/portefeuille?nom=dupont").get_data(as_text=True)
    arrow = re.search(r'<a class="row-arrow" href="(/clients/\d+)"><span aria-hidden="true">➜</span>'
                      r'<span class="visually-hidden">Ouvrir la synthèse de DUPONT Jean</span></a>', html)
    assert arrow and client.get(arrow.group(1)).status_code == 200


def test_the_agenda_s_exporter_downloads_the_list_in_one_click(wizard, client):
    wizard.walk()
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)" download>Exporter</a>', html).group(1)
    assert href == "/exports/devis-non-transformes.csv"
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "RIS-0000000001" in response.get_data(as_text=True)
    assert "Autres formats d'export" in text(client.get("/"))
