"""The broker screens read like the guide, on a phone and on a desktop: each wording on its
screen, the side panel folded on a phone until opened, the dossier's breadcrumb and tabs, the
search's "Objet" list, and exports that a first click does not hold back."""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.messaging.models import Message
from tests.browser.test_accessibility import dossier, log_in  # noqa: F401  (the fixture is used by name)


def on_phone(page) -> bool:
    return page.viewport_size["width"] < 768


def open_menu(page):
    """The side panel, opened as a broker does on a phone (on a desktop it is already open)."""
    menu = page.get_by_role("navigation", name="Menu principal")
    if on_phone(page):
        page.get_by_role("button", name="Afficher ou masquer le menu").click()
        page.locator("summary", has_text="Vente directe").click()
    expect(menu).to_be_visible()
    return menu


def test_the_side_panel_is_folded_on_a_phone_until_opened(live_server, page, broker):
    log_in(page, live_server, broker.email)
    menu = page.get_by_role("navigation", name="Menu principal")
    toggle = page.get_by_role("button", name="Afficher ou masquer le menu")
    product = menu.get_by_role("link", name="SMAT ACTIVE TNS")
    if on_phone(page):
        expect(menu).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(menu).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(product).to_be_hidden()  # "Vente directe" folded, as in the guide
        menu.locator("summary", has_text="Vente directe").click()
        # Another page starts folded again.
        page.goto(live_server + "/portefeuille")
        expect(menu).to_be_hidden()
    else:
        expect(menu).to_be_visible()
        expect(product).to_be_visible()  # "Vente directe" open by default on a desktop
        menu.locator("summary", has_text="Vente directe").click()
        expect(product).to_be_hidden()
        page.goto(live_server + "/portefeuille")
    # The logo leads back to Accueil.
    page.get_by_role("link", name="Mes Solutions Plus — Accueil").click()
    page.wait_for_url(live_server + "/")
    expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()
    product = open_menu(page).get_by_role("link", name="SMAT ACTIVE TNS")
    product.click()
    expect(page.get_by_role("heading", name="Vos besoins santé")).to_be_visible()


def test_the_recap_shows_each_answer_under_its_screen_1_label(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + f"/devis/{dossier['draft']}/recapitulatif")
    expect(page.get_by_role("heading", name="Récapitulatif de votre devis")).to_be_visible()
    profile = [text.strip() for text in page.locator("dl.pairs").nth(1).locator("dt").all_text_contents()]
    assert profile == ["Votre régime de sécurité sociale (*)", "Souhaitez-vous couvrir votre conjoint(e) ? (*)",
                       "Souhaitez-vous couvrir vos enfants ? (*)"]
    needs = [text.strip() for text in page.locator("dl.pairs").nth(0).locator("dt").all_text_contents()]
    assert needs == ["Optique (lunettes, lentilles...) (*)", "Dentaire (prothèses, soins...) (*)",
                     "Audiologie (prothèses auditives) (*)", "En cas d'hospitalisation (confort) (*)",
                     "Remboursement des dépassements d'honoraires (*)", "Date d'effet souhaitée (*)"]
    contact = [text.strip() for text in page.locator("dl.pairs").nth(2).locator("dt").all_text_contents()]
    assert contact[:6] == ["Civilité (*)", "Nom (*)", "Nom de naissance", "Prénom (*)", "Adresse e-mail client (*)",
                           "Date de naissance (*)"]
    expect(page.locator("dl.pairs").nth(1)).to_contain_text("Oui, né(e) le 29/02/1980")
    expect(page.locator("dl.pairs").nth(1)).to_contain_text("Oui, 2 enfants")


def test_vos_solutions_shows_the_guide_s_selection_options_and_documents(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + f"/devis/{dossier['draft']}/solutions")
    expect(page.get_by_role("group", name="Formule (*)")).to_be_visible()
    summary = page.locator("section.summary")
    expect(summary.get_by_role("heading", name="Votre sélection")).to_be_visible()
    expect(summary.locator("dt").first).to_have_text("Formule (*)")
    options = page.locator("table.options")
    expect(options.locator("thead th")).to_have_text(["Option", "Tarif annuel TTC", "Montant de la cotisation"])
    row = options.locator("tbody tr", has_text="Surcomplémentaire")
    monthly, annual = row.locator("[data-option-amount]"), row.locator("[data-option-annual]")
    expect(monthly).to_have_text(re.compile(r"^\d+,\d\d € / mois$"))
    expect(annual).to_have_text(re.compile(r"^\d[\d ]*,\d\d €$"))
    # The script gives the amounts of the formula chosen, in the server's format.
    shown = (monthly.text_content(), annual.text_content())
    page.locator("label.formula-card", has_text="SMAT ACTIVE TNS 450").click()
    expect(monthly).not_to_have_text(shown[0])
    expect(annual).not_to_have_text(shown[1])
    expect(monthly).to_have_text(re.compile(r"^\d+,\d\d € / mois$"))
    page.locator("label.formula-card", has_text="SMAT ACTIVE TNS 300").click()
    expect(monthly).to_have_text(shown[0])
    expect(annual).to_have_text(shown[1])
    sentence = page.get_by_text("Pour en savoir plus sur le produit SMAT ACTIVE TNS, vous trouverez ci-dessous les "
                                "documents explicatifs.")
    expect(sentence).to_be_visible()
    # The sentence comes before the documents.
    assert sentence.bounding_box()["y"] < page.locator("ul.documents").bounding_box()["y"]


def test_the_quote_and_client_pages_have_the_breadcrumb_and_tabs(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + f"/devis/{dossier['quote']}")
    crumbs = page.get_by_role("navigation", name="Fil d'Ariane")
    expect(crumbs.locator("li")).to_have_text(["Recherche", "Synthèse", "Devis n° RIS-0000000001 / 1"])
    tabs = page.get_by_role("navigation", name="Onglets du devis")
    expect(tabs.get_by_role("link", name="Consultation")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Formule choisie : SMAT ACTIVE TNS 300")).to_be_visible()
    tabs.get_by_role("link", name="Acte de gestion").click()
    for action in ("Modifier", "Dupliquer", "Classer sans suite", "Renvoyer le devis au client"):
        expect(page.locator("ul.acts").get_by_role("button", name=action)).to_be_visible()
    crumbs.get_by_role("link", name="Synthèse").click()
    expect(page.get_by_role("heading", name=re.compile("^Synthèse du compte client"))).to_be_visible()
    expect(page.get_by_role("navigation", name="Fil d'Ariane").locator("li")).to_have_text(["Recherche", "Synthèse"])
    claims = page.locator("section.card", has=page.get_by_role("heading", name="INDEMNISATIONS"))
    expect(claims.locator("th")).to_have_text(["N°", "Produit", "Contrat", "Cause", "Etat", "Date"])
    expect(claims.locator("td")).to_have_text("Pas de résultat")
    expect(page.get_by_role("link", name="RIS-0000000001 / 1", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Onglets du compte client").get_by_role("link", name="Acte de gestion").click()
    expect(page.get_by_role("button", name="Nouveau devis")).to_be_visible()
    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role("link", name="Recherche").click()
    expect(page.get_by_label("Nom / raison sociale")).to_be_visible()


def test_the_search_s_objet_list_statuses_and_row_arrows(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + "/portefeuille")
    page.get_by_label("Objet").select_option(label="Devis")
    page.wait_for_url(re.compile(r".*objet=devis.*"))
    statuses = page.get_by_role("group", name="Statut devis")
    expect(statuses.locator("label")).to_have_text(["Accepté", "Décliné", "En attente de pièce(s)",
                                                    "En attente de validation", "Expiré", "Incomplet", "Proposé",
                                                    "Refusé", "Souscrit", "Validé"])
    statuses.get_by_label("Incomplet").check()
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Incomplet")
    statuses = page.get_by_role("group", name="Statut devis")
    statuses.get_by_label("Incomplet").uncheck()
    statuses.get_by_label("Validé").check()
    page.get_by_role("button", name="Rechercher").click()
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="RIS-0000000001 / 1", exact=True)).to_be_visible()
    row.get_by_role("link", name="Ouvrir le devis RIS-0000000001 / 1").click()
    expect(page.get_by_role("heading", name=re.compile("^Devis n° RIS-0000000001"))).to_be_visible()
    page.goto(live_server + "/portefeuille?nom=%25")
    page.get_by_role("link", name="Ouvrir la synthèse de LEFÈVRE Élodie").click()
    expect(page.get_by_role("heading", name=re.compile("^Synthèse du compte client"))).to_be_visible()
    page.goto(live_server + "/portefeuille")
    page.get_by_label("Objet").select_option(label="Contrat")
    page.wait_for_url(re.compile(r".*objet=contrat.*"))
    expect(page.get_by_role("group", name="Avancement").locator("label")).to_have_text(
        ["En attente de pièces", "Dossier transmis", "Adhésion créée"])
    expect(page.get_by_role("group", name="Signature électronique").locator("label")).to_have_text(
        ["Signé", "En cours", "Manuscrite", "Échec"])
    page.get_by_role("group", name="Avancement").get_by_label("En attente de pièces").check()
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("tbody tr")).to_have_text("Pas de résultat")  # quotes issued, none signed yet


def test_exporter_downloads_at_once_and_a_first_export_does_not_hold_the_other(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.locator("summary", has_text="Menu").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter", exact=True).click()
    assert re.fullmatch(r"devis-non-transformes-\d{4}-\d\d-\d\d\.csv", download.value.suggested_filename)
    page.goto(live_server + "/exports")
    with page.expect_download() as csv:
        page.get_by_role("button", name="Exporter en CSV").click()
    with page.expect_download(timeout=3000) as xlsx:  # well within the 5 seconds of the double-click guard
        page.get_by_role("button", name="Exporter en XLSX").click()
    assert csv.value.suggested_filename.endswith(".csv") and xlsx.value.suggested_filename.endswith(".xlsx")


@pytest.mark.parametrize("page", [{"viewport": {"width": 1366, "height": 900}}], indirect=True, ids=["bureau"])
def test_the_quote_e_mail_reads_like_the_guide(page, broker, dossier):
    message = db.session.scalar(db.select(Message).where(Message.subject.like("Votre devis%")))
    page.set_content(message.body_html)
    expect(page.get_by_role("heading", name="Votre recherche de complémentaire santé")).to_be_visible()
    body = page.locator("body")
    for words in ("En cas de problème lié à l'affichage de ce message",
                  "Nous vous remercions pour votre demande et pour l'intérêt que vous avez témoigné à notre offre.",
                  "Vous trouverez également attachés à ce message les règles générales et le document d'information "
                  "sur le produit d'assurance (IPID)",
                  "Vous pouvez dès maintenant finaliser votre adhésion en suivant ce lien.",
                  "Cette proposition est valable 30 jours à compter d'aujourd'hui",
                  "Devis n° RIS-0000000001, version 1",
                  "Votre conseiller Cabinet Démo Courtage — 05 45 00 00 00"):
        expect(body).to_contain_text(words)
    title_y = page.get_by_role("heading", name="Votre recherche de complémentaire santé").bounding_box()["y"]
    assert title_y < page.get_by_text("Bonjour Madame LEFÈVRE,").bounding_box()["y"]


@pytest.mark.parametrize("page", [{"viewport": {"width": 1366, "height": 900}}], indirect=True, ids=["bureau"])
def test_the_first_connection_e_mail_has_its_own_words(page, make_firm, make_user, outbox):
    from portal.auth.links import request_password_init

    make_user(email="nouveau@cabinet-demo.fr", firm=make_firm(), password=None)
    request_password_init("nouveau@cabinet-demo.fr")
    [message] = outbox()
    page.set_content(message.body_html)
    body = page.locator("body")
    expect(body).to_contain_text("Bienvenue sur Mes Solutions Plus.")
    expect(body).to_contain_text("pour votre première connexion, il ne reste qu'à créer votre mot de passe.")
    expect(body).not_to_contain_text("Une demande de nouveau mot de passe")
    expect(page.get_by_role("link", name="Créer mon mot de passe")).to_be_visible()
