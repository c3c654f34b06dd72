"""A broker clicks the whole quote wizard, on a phone and on a desktop, and sends the quote."""
from datetime import timedelta

from playwright.sync_api import expect

from portal.clock import today
from tests.conftest import PASSWORD


def first_of_next_month() -> str:
    return (today().replace(day=1) + timedelta(days=32)).replace(day=1).isoformat()


def choose(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_text(answer, exact=True).click()


def test_a_broker_walks_the_wizard_and_sends_the_quote(live_server, page, broker):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant", exact=True).fill(broker.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    if page.viewport_size["width"] < 768:  # on a phone the side panel and "Vente directe" start folded
        page.get_by_role("button", name="Afficher ou masquer le menu").click()
        page.locator("summary", has_text="Vente directe").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="SMAT ACTIVE TNS").click()

    # Vos besoins: "Suivant" waits for every mandatory answer.
    expect(page.get_by_role("heading", name="Vos besoins santé")).to_be_visible()
    next_button = page.get_by_role("button", name="Suivant")
    expect(next_button).to_be_disabled()
    for need, level in (("Optique", "Supplément"), ("Dentaire", "Médian"), ("Audiologie", "Minimal"),
                        ("En cas d'hospitalisation", "Minimal"), ("Remboursement des dépassements", "Supplément")):
        page.get_by_role("group", name=need).get_by_text(level, exact=True).click()
    page.get_by_label("Date d'effet souhaitée (*)").fill(first_of_next_month())
    choose(page, "Votre régime de sécurité sociale (*)", "Régime Général")
    page.get_by_label("Code postal (*)").fill("16000")
    expect(page.get_by_label("Ville (*)")).to_have_value("16015")  # the only commune, chosen for the broker
    page.get_by_label("Date de naissance (*)", exact=True).fill("1978-05-04")
    choose(page, "Souhaitez-vous couvrir votre conjoint(e) ? (*)", "Oui")
    expect(page.get_by_label("Date de naissance de votre conjoint(e) (*)")).to_be_visible()
    expect(next_button).to_be_disabled()
    choose(page, "Souhaitez-vous couvrir votre conjoint(e) ? (*)", "Non")
    expect(page.get_by_label("Date de naissance de votre conjoint(e) (*)")).to_be_hidden()
    choose(page, "Souhaitez-vous couvrir vos enfants ? (*)", "Non")
    expect(next_button).to_be_enabled()
    next_button.click()

    # Vos solutions: the advice is preselected; the option changes the price at once.
    expect(page.get_by_role("heading", name="Choisissez votre formule")).to_be_visible()
    card = page.locator("label.formula-card", has_text="SMAT ACTIVE TNS 300")
    expect(card).to_contain_text("115,23 € / mois")
    expect(card).to_contain_text("Formule conseillée")
    summary = page.locator("[data-summary=mensuel]")
    expect(summary).to_have_text("128,51 € / mois")
    page.get_by_label("Surcomplémentaire").uncheck()
    expect(summary).to_have_text("115,23 € / mois")
    expect(page.locator("[data-summary=annuel]")).to_have_text("1 382,76 €")
    page.locator("label.formula-card", has_text="SMAT ACTIVE TNS 450").click()
    expect(summary).to_have_text("183,94 € / mois")
    card.click()
    expect(summary).to_have_text("115,23 € / mois")
    expect(page.get_by_role("img", name="Vos besoins comparés aux garanties de chaque formule")).to_be_visible()
    page.get_by_role("button", name="Suivant").click()

    # Vos coordonnées: the birth date and the commune come from the first screen.
    expect(page.get_by_role("heading", name="Vos coordonnées", exact=True, level=1)).to_be_visible()
    expect(page.get_by_label("Date de naissance (*)", exact=True)).to_have_value("1978-05-04")
    choose(page, "Civilité (*)", "Monsieur")
    page.get_by_label("Nom (*)", exact=True).fill("Dupont")
    page.get_by_label("Prénom (*)").fill("Jean")
    page.get_by_label("Adresse (*)", exact=True).fill("3 rue de Montmoreau")
    expect(page.get_by_label("Ville (*)")).to_have_value("16015")
    expect(page.get_by_label("Pays (*)")).to_have_value("France")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Adresse e-mail client (*)").fill("jean.dupont@exemple.fr")
    page.get_by_role("button", name="Suivant").click()

    # Récapitulatif, then the quote is sent.
    expect(page.get_by_text("Formule choisie : SMAT ACTIVE TNS 300 Cotisation : 115,23 € / mois")).to_be_visible()
    page.get_by_role("button", name="Valider et envoyer le devis au client").click()
    expect(page.get_by_role("heading", name="Devis n° RIS-0000000001")).to_be_visible()
    expect(page.get_by_text("Le devis a été envoyé au client.")).to_be_visible()
    expect(page.get_by_text("Validé", exact=True)).to_be_visible()


def test_going_back_keeps_the_answers(live_server, page, broker):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant", exact=True).fill(broker.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(live_server + "/vente-directe/smat-serenite/devis")
    for need in ("Optique", "Dentaire", "Audiologie", "En cas d'hospitalisation", "Remboursement des dépassements"):
        page.get_by_role("group", name=need).get_by_text("Médian", exact=True).click()
    page.get_by_label("Date d'effet souhaitée (*)").fill(first_of_next_month())
    choose(page, "Votre régime de sécurité sociale (*)", "Régime Alsace-Moselle")
    page.get_by_label("Code postal (*)").fill("20000")
    page.get_by_label("Ville (*)").select_option(label="Lecci")
    page.get_by_label("Date de naissance (*)", exact=True).fill("1960-01-15")
    choose(page, "Souhaitez-vous couvrir votre conjoint(e) ? (*)", "Non")
    choose(page, "Souhaitez-vous couvrir vos enfants ? (*)", "Oui")
    page.get_by_label("Combien avez-vous d'enfants ? (*)").fill("3")
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_role("heading", name="Choisissez votre formule")).to_be_visible()
    page.get_by_role("button", name="Précédent").click()
    expect(page.get_by_label("Ville (*)")).to_have_value("2A139")
    expect(page.get_by_label("Combien avez-vous d'enfants ? (*)")).to_have_value("3")
    expect(page.get_by_role("group", name="Votre régime de sécurité sociale (*)").get_by_label("Régime Alsace-Moselle")).to_be_checked()
