"""The four screens of the quote wizard, as a broker walks them (SPEC §3)."""
import re

import pytest

from portal.journal.models import JournalEntry
from portal.extensions import db
from portal.quotes.models import Quote, QuoteStatus
from tests.conftest import csrf_token
from tests.integration.wizard import REFERENCE_NEEDS, text

SPEC_PRICES = {"100": "51,74", "150": "69,94", "200": "87,28", "300": "115,23", "375": "148,76", "450": "183,94"}


pytestmark = pytest.mark.usefixtures("quote_day")


def test_vente_directe_opens_the_first_screen_with_the_spec_labels(wizard, client):
    page = text(client.get("/vente-directe/smat-active-tns/devis"))
    for label in ("Vos besoins", "Vos solutions", "Vos coordonnées", "Récapitulatif du DEVIS", "(*) Champ obligatoire",
                  "Vos besoins santé", "Indiquez ci-dessous vos besoins de prises en charge en :",
                  "Optique (lunettes, lentilles...) (*)", "Minimal", "Médian", "Renforcé", "Supplément",
                  "Date d'effet souhaitée (*)", "Votre profil", "Votre régime de sécurité sociale (*)",
                  "Code postal (*)", "Ville (*)", "Date de naissance (*)", "Votre famille",
                  "Les personnes indiquées ci-dessous doivent être sur le même régime que l'assuré principal. Dans le "
                  "cas contraire, il convient de faire la demande d'adhésion par BIA papier",
                  "Souhaitez-vous couvrir votre conjoint(e) ? (*)", "Date de naissance de votre conjoint(e) (*)",
                  "Souhaitez-vous couvrir vos enfants ? (*)", "Combien avez-vous d'enfants ? (*)", "Suivant",
                  "Cliquez ici pour disposer de vos droits sur les informations vous concernant"):
        assert label in page, label


def test_an_unknown_product_is_a_404(wizard, client):
    assert client.get("/vente-directe/inconnu/devis").status_code == 404


def test_the_reference_profile_shows_the_six_spec_prices_and_the_advice(wizard):
    assert wizard.needs().status_code == 302
    quote = db.session.get(Quote, wizard.quote_id)
    assert quote.status is QuoteStatus.INCOMPLET
    page = text(wizard.solutions_page())
    for formula, amount in SPEC_PRICES.items():
        assert f"SMAT ACTIVE TNS {formula} {amount} € / mois" in page
    assert page.count("Formule conseillée") == 1
    assert "SMAT ACTIVE TNS 300 115,23 € / mois Formule conseillée" in page
    # The advice (300 + Surcomplémentaire) is preselected, with its price.
    assert ("Votre sélection Formule (*) SMAT ACTIVE TNS 300 + Surcomplémentaire Tarif annuel TTC 1 542,12 € "
            "Montant de la cotisation 128,51 € / mois") in page
    # The options table: "Option / Tarif annuel TTC / Montant de la cotisation", for the chosen formula.
    assert ("Option Tarif annuel TTC Montant de la cotisation Surcomplémentaire 159,36 € 13,28 € / mois") in page
    assert ("Pour en savoir plus sur le produit SMAT ACTIVE TNS, vous trouverez ci-dessous les documents "
            "explicatifs.") in page
    assert "Ce montant affiché comprend les frais d'adhésion à l'Association Nationale de Prévoyance" in page
    for title in ("Document d'information sur le Produit d'Assurance (IPID)", "Règles générales",
                  "Exemples de remboursements", "Découvrir le produit", "Niveau des garanties"):
        assert title in page
    html = wizard.solutions_page().get_data(as_text=True)
    assert "<svg" in html and "Vos besoins comparés aux garanties de chaque formule" in html
    assert re.search(r'value="300"[^>]*checked', html.replace("\n", " "))


def test_the_recap_states_the_chosen_formula_and_price(wizard):
    wizard.needs()
    assert wizard.choose("300").status_code == 302
    assert wizard.contact().status_code == 302
    page = text(wizard.recap())
    assert "Formule choisie : SMAT ACTIVE TNS 300 Cotisation : 115,23 € / mois" in page
    # Each answer under its screen's full label, in that screen's order.
    assert ("Vos Besoins Optique (lunettes, lentilles...) (*) Supplément Dentaire (prothèses, soins...) (*) Médian "
            "Audiologie (prothèses auditives) (*) Minimal En cas d'hospitalisation (confort) (*) Minimal "
            "Remboursement des dépassements d'honoraires (*) Supplément") in page
    assert ("Date d'effet souhaitée (*) 01/12/2026 Votre profil Votre régime de sécurité sociale (*) Régime Général "
            "Souhaitez-vous couvrir votre conjoint(e) ? (*) Pas de conjoint(e) "
            "Souhaitez-vous couvrir vos enfants ? (*) Pas d'enfant") in page
    assert ("Civilité (*) Monsieur Nom (*) Dupont Nom de naissance — Prénom (*) Jean "
            "Adresse e-mail client (*) jean.dupont@exemple.fr Date de naissance (*) 04/05/1978") in page
    assert "M. DUPONT Jean" not in page and "Monsieur DUPONT Jean" in page
    assert "Pensez à rappeler votre client qu'il prépare ses pièces justificatives afin de profiter au plus vite de ses garanties." in page
    assert "Valider et envoyer le devis au client" in page
    assert "Formule conseillée : SMAT ACTIVE TNS 300 + Surcomplémentaire" in page  # the broker chose otherwise


def test_an_option_is_priced_on_the_recap(wizard):
    wizard.needs()
    wizard.choose("300", ["surcomplementaire"])
    wizard.contact()
    page = text(wizard.recap())
    assert "Formule choisie : SMAT ACTIVE TNS 300 Cotisation : 128,51 € / mois" in page
    assert "Garanties optionnelles choisies : Surcomplémentaire" in page


def test_previous_keeps_the_answers_of_every_screen(wizard, client):
    wizard.needs(conjoint="oui", date_naissance_conjoint="1980-02-29", enfants="oui", nombre_enfants="3")
    page = client.get(f"/devis/{wizard.quote_id}/besoins").get_data(as_text=True)
    assert 'value="1980-02-29"' in page and 'value="3"' in page
    wizard.choose("200")
    # Half-typed contact details left with "Précédent" come back when the broker returns.
    page = client.get(f"/devis/{wizard.quote_id}/coordonnees")
    response = client.post(f"/devis/{wizard.quote_id}/coordonnees", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "nom": "Dupönt", "email": "pas-fini@", "action": "precedent"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/devis/{wizard.quote_id}/solutions")
    page = client.get(f"/devis/{wizard.quote_id}/coordonnees").get_data(as_text=True)
    assert 'value="Dupönt"' in page and 'value="pas-fini@"' in page


def test_previous_keeps_only_the_screen_s_own_fields_each_bounded(wizard, client):
    wizard.needs()
    wizard.choose("200")
    page = client.get(f"/devis/{wizard.quote_id}/coordonnees")
    forged = {f"champ_{n}": "x" * 300 for n in range(3000)}  # 3 000 fields of 300 characters: 0,9 MB
    response = client.post(f"/devis/{wizard.quote_id}/coordonnees", data={
        **forged, "csrf_token": csrf_token(page.get_data(as_text=True)), "nom": "D" * 10_000, "prenom": "Jean",
        "action": "precedent"})
    assert response.status_code == 302
    kept = db.session.get(Quote, wizard.quote_id).pending_inputs
    assert kept == {"coordonnees": {"nom": "D" * 254, "prenom": "Jean"}}
    # The solutions screen keeps its formula and at most 20 options, whatever is posted.
    page = client.get(f"/devis/{wizard.quote_id}/solutions")
    client.post(f"/devis/{wizard.quote_id}/solutions", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "formule": "300", "options": ["o"] * 500,
        "autre": "x", "action": "precedent"})
    db.session.expire_all()
    assert db.session.get(Quote, wizard.quote_id).pending_inputs["solutions"] == {"formule": "300", "options": ["o"] * 20}
    # The chosen formula is still the one selected.
    assert re.search(r'value="200"[^>]*checked', client.get(f"/devis/{wizard.quote_id}/solutions").get_data(as_text=True))


def test_an_unfinished_quote_is_saved_incomplet_and_resumed_from_accueil(wizard, client):
    wizard.needs()
    wizard.choose("150")
    home = text(client.get("/"))
    assert "Vos devis incomplets" in home and "Reprendre" in home
    resumed = client.get(f"/devis/{wizard.quote_id}")
    assert resumed.status_code == 302 and resumed.headers["Location"].endswith("/coordonnees")


def test_screens_cannot_be_skipped(wizard, client):
    wizard.needs()
    response = client.get(f"/devis/{wizard.quote_id}/recapitulatif")
    assert response.status_code == 302 and response.headers["Location"].endswith("/solutions")


def test_a_double_click_on_the_first_next_creates_one_draft(wizard, client):
    page = client.get("/vente-directe/smat-active-tns/devis").get_data(as_text=True)
    key = re.search(r'name="creation_key" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_token(page), "creation_key": key, **REFERENCE_NEEDS}
    first = client.post("/vente-directe/smat-active-tns/devis", data=data)
    second = client.post("/vente-directe/smat-active-tns/devis", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Quote)) == 1


def test_an_ineligible_profile_gets_the_reason_and_what_to_do(wizard):
    response = wizard.needs(date_naissance="1950-03-01")
    assert response.status_code == 422
    page = text(response)
    assert "L'assuré principal aura 76 ans à la date d'effet ; SMAT ACTIVE TNS est ouvert de 18 à 70 ans." in page
    assert "Proposez SMAT SERENITE" in page
    assert wizard.quote_id is None  # not priced, nothing saved


def test_an_effect_date_too_far_is_refused_with_the_window(wizard):
    page = text(wizard.needs(date_effet="2027-06-01"))
    assert "elle doit être au plus tard le 20/05/2027" in page
    assert "Choisissez une date d'effet entre le 20/11/2026 et le 20/05/2027." in page


def test_the_town_is_chosen_when_the_postcode_has_one_commune(wizard):
    assert wizard.needs(ville="").status_code == 302
    assert db.session.get(Quote, wizard.quote_id).city == "Angoulême"


def test_the_client_email_cannot_be_the_firm_s_or_the_broker_s(wizard, broker):
    wizard.needs()
    wizard.choose("300")
    page = text(wizard.contact(email="autre@cabinet-demo.fr"))
    assert "Une adresse de votre cabinet (@cabinet-demo.fr) ne peut pas être celle du client" in page
    page = text(wizard.contact(email="COURTIER@cabinet-demo.fr"))  # the broker's own, in capitals
    assert "Saisissez l'adresse e-mail du client, pas la vôtre." in page
    assert "Une adresse de votre cabinet" not in page
    # A broker whose address is outside the firm's domain: the own-address rule alone refuses it.
    broker.email = "claire.martin@exemple.org"
    db.session.commit()
    page = text(wizard.contact(email="Claire.Martin@exemple.org"))
    assert "Saisissez l'adresse e-mail du client, pas la vôtre." in page
    assert "Une adresse de votre cabinet" not in page
    assert wizard.contact(email="claire.martin@exemple.fr").status_code == 302  # someone else's is fine


def test_the_birth_date_of_screen_3_must_be_the_priced_one(wizard):
    wizard.needs()
    wizard.choose("300")
    page = text(wizard.contact(date_naissance="1979-05-04"))
    assert "La date de naissance diffère de celle qui a servi au tarif (04/05/1978)" in page


def test_an_address_in_another_tariff_zone_is_refused(wizard):
    wizard.needs()
    wizard.choose("300")
    page = text(wizard.contact(code_postal="75001", ville="75101"))
    assert "n'est pas dans la même zone de tarif" in page


def test_another_firm_cannot_open_the_draft(wizard, client, make_firm, make_user, login):
    wizard.needs()
    other = make_user(email="courtier@autre-cabinet.fr", firm=make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr"))
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login(other.email)
    for url in ("besoins", "solutions", "coordonnees", "recapitulatif"):
        assert client.get(f"/devis/{wizard.quote_id}/{url}").status_code == 404
    assert client.get(f"/devis/{wizard.quote_id}").status_code == 404


def test_the_wizard_is_for_brokers(client, make_user, login):
    make_user(email="gestion@mes-solutions-plus.fr", role="backoffice")
    login("gestion@mes-solutions-plus.fr")
    assert client.get("/vente-directe/smat-active-tns/devis").status_code == 403


def test_starting_and_issuing_are_in_the_audit_log(wizard):
    wizard.walk()
    actions = db.session.scalars(db.select(JournalEntry.action).order_by(JournalEntry.id)).all()
    assert actions[0] == "Devis commencé" and "Devis envoyé au client" in actions
    row = db.session.scalar(db.select(JournalEntry).where(JournalEntry.action == "Devis envoyé au client"))
    assert (row.from_status, row.to_status, row.object_type, row.object_id) == ("incomplet", "valide", "devis", wizard.quote_id)
    assert row.actor == "courtier@cabinet-demo.fr" and row.actor_user_id is not None
