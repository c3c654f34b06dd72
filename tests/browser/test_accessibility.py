"""axe-core audits every broker and customer page, on a phone and on a desktop: no serious or
critical violation. The wizard's error states and the customer's pages are audited too."""
import re
from pathlib import Path

import pytest

from bench.setup import ready_draft
from portal.extensions import db
from portal.messaging.models import Message
from portal.quotes.service import issue_quote
from tests.browser.subscription_steps import fill_payment, fill_personal, open_link
from tests.conftest import PASSWORD, run_jobs

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SERIOUS = ("serious", "critical")


def violations(page) -> list[str]:
    # Evaluated through the DevTools protocol, so the portal's CSP (no inline script) stays on.
    page.evaluate(AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in found if v["impact"] in SERIOUS]


@pytest.fixture
def dossier(app, broker):
    """An issued quote (with its client, event and customer link) and a draft at the last screen."""
    issued = ready_draft(broker)
    issue_quote(issued, broker)
    run_jobs(app)  # the worker's part: DEVIS.pdf, then the e-mail with the link
    draft = ready_draft(broker)
    body = db.session.scalar(db.select(Message.body_text))
    link = re.search(r"(/souscription/\S+)", body).group(1)
    return {"quote": issued.id, "person": issued.person_id, "draft": draft.id, "link": link}


def log_in(page, live_server, email):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(live_server + "/")


def test_public_and_customer_pages(live_server, page, dossier):
    problems = {}
    for path in ("/connexion", "/premiere-connexion", "/mot-de-passe", "/donnees-personnelles", dossier["link"],
                 "/souscription/lien-inconnu"):
        page.goto(live_server + path)
        problems[path] = violations(page)
    # The customer's quote, after the birth-date check, and the check's error state.
    page.goto(live_server + dossier["link"])
    page.get_by_label("Date de naissance (*)").fill("1900-01-01")
    page.get_by_role("button", name="Accéder à mon devis").click()
    problems["link: wrong birth date"] = violations(page)
    page.get_by_label("Date de naissance (*)").fill("1978-05-04")
    page.get_by_role("button", name="Accéder à mon devis").click()
    page.get_by_text("Votre conseiller").first.wait_for()
    problems["link: quote"] = violations(page)
    assert {path: found for path, found in problems.items() if found} == {}


def test_every_subscription_step_and_its_error_states(live_server, page, dossier):
    problems = {}
    open_link(page, live_server + dossier["link"])
    page.get_by_role("link", name="Souscrire").click()
    page.get_by_role("heading", name="Merci de compléter vos coordonnées").wait_for()
    problems["1"] = violations(page)
    page.locator("#nir").fill("178051601512354")
    page.locator("#mobile").fill("05 45 00 00 00")
    page.get_by_role("button", name="Suivant").click()
    page.locator("#nir-error").wait_for()
    problems["1: errors"] = violations(page)
    page.locator("#mobile").fill("06 12 34 56 78")
    fill_personal(page)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("heading", name="Informations contractuelles").wait_for()
    problems["2"] = violations(page)
    page.get_by_role("button", name="Suivant").click()
    page.locator("#connaissance-error").wait_for()
    problems["2: errors"] = violations(page)
    page.get_by_label("J'ai pris connaissance du Document d'Information").check()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("heading", name="Informations de paiement").wait_for()
    problems["3"] = violations(page)
    page.get_by_role("button", name="Signer le contrat").click()
    page.locator("#iban-error").wait_for()
    problems["3: errors"] = violations(page)
    fill_payment(page)
    page.get_by_role("button", name="Signer le contrat").click()
    page.get_by_role("heading", name="Confirmation").wait_for()
    problems["4"] = violations(page)
    page.get_by_role("button", name="Valider mon choix").click()
    page.locator("#signature-error").wait_for()
    problems["4: errors"] = violations(page)
    page.get_by_text("Signature manuscrite", exact=True).click()
    page.get_by_role("button", name="Valider mon choix").click()
    page.wait_for_load_state()
    problems["4: chosen"] = violations(page)
    assert {step: found for step, found in problems.items() if found} == {}


def test_broker_pages(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    problems = {}
    for path in ("/", "/?clotures=1&filtre=devis", "/portefeuille", "/portefeuille?nom=%25",
                 "/portefeuille?objet=devis&statut=valide&rechercher=1", f"/clients/{dossier['person']}",
                 f"/devis/{dossier['quote']}", f"/devis/{dossier['quote']}?onglet=gestion",
                 f"/clients/{dossier['person']}?onglet=gestion", "/portefeuille?objet=devis&statut=incomplet&rechercher=1",
                 "/portefeuille?objet=contrat", "/portefeuille?objet=contrat&avancement=en_attente_pieces&rechercher=1",
                 "/exports", "/vente-directe/smat-active-tns",
                 "/vente-directe/smat-active-tns/devis", f"/devis/{dossier['draft']}/besoins",
                 f"/devis/{dossier['draft']}/solutions", f"/devis/{dossier['draft']}/coordonnees",
                 f"/devis/{dossier['draft']}/recapitulatif", "/mot-de-passe", "/page-inexistante"):
        page.goto(live_server + path)
        problems[path] = violations(page)
    # The side panel opened, with "Vente directe" unfolded (both start folded on a phone).
    page.goto(live_server + "/")
    if page.get_by_role("button", name="Afficher ou masquer le menu").get_attribute("aria-expanded") == "false":
        page.get_by_role("button", name="Afficher ou masquer le menu").click()
        page.locator("summary", has_text="Vente directe").click()
    problems["menu opened"] = violations(page)
    # The wizard's error states: every field announced.
    page.goto(live_server + "/vente-directe/smat-active-tns/devis")
    # "Suivant" waits for the answers; the form is sent empty anyway, as a script-less browser would.
    page.evaluate("document.querySelector('form[data-wizard-form]').submit()")
    page.get_by_text("Le formulaire contient").wait_for()
    problems["besoins: errors"] = violations(page)
    page.goto(live_server + f"/devis/{dossier['draft']}/coordonnees")
    page.get_by_label("Nom (*)", exact=True).fill("<b>")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_text("Le formulaire contient").wait_for()
    problems["coordonnees: errors"] = violations(page)
    # A field with several errors at once (the password rules) keeps every id unique.
    page.goto(live_server + "/mot-de-passe")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe").fill("court")
    page.get_by_label("Confirmation du mot de passe").fill("autre")
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.locator("p.error").first.wait_for()
    assert page.locator("p.error").count() >= 3
    problems["mot de passe: errors"] = violations(page) + [
        "duplicate id" for _ in range(page.evaluate(
            "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.length - new Set(ids).size; })()"))]
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_wizard_works_with_the_keyboard_alone(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + f"/devis/{dossier['draft']}/solutions")
    # Tab to the formula cards, choose another one with the arrow keys, then reach "Suivant".
    page.locator('input[name="formule"]:checked').focus()
    page.keyboard.press("ArrowRight")
    assert page.locator('input[name="formule"]:checked').get_attribute("value") == "375"
    summary = page.locator("[data-summary=mensuel]").text_content()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.next !== undefined"):
            break
    else:
        pytest.fail("« Suivant » cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/coordonnees$"))
    assert "€ / mois" in summary


def test_the_first_screen_can_be_answered_with_the_keyboard_alone(live_server, page, broker, dossier):
    log_in(page, live_server, broker.email)
    page.goto(live_server + "/vente-directe/smat-active-tns/devis")
    # Each row of level buttons is one radio group: Tab enters it, the arrows choose.
    page.locator('input[name="besoin_optique"]').first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    assert page.locator('input[name="besoin_optique"]:checked').get_attribute("value") == "2"
    for group in ("besoin_dentaire", "besoin_audiologie", "besoin_hospitalisation", "besoin_depassements"):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        assert page.locator(f'input[name="{group}"]:checked').count() == 1, group
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "date_effet"
    # The focused button is visible: its label carries the focus ring.
    page.locator('input[name="regime"]').first.focus()
    page.keyboard.press("Space")
    outline = page.evaluate("getComputedStyle(document.activeElement.nextElementSibling).outlineStyle")
    assert outline != "none"


def test_back_office_pages(live_server, page, make_user, dossier):
    make_user(email="gestion@mes-solutions-plus.fr", role="backoffice")
    log_in(page, live_server, "gestion@mes-solutions-plus.fr")
    problems = {}
    for path in ("/", "/portefeuille?objet=devis&rechercher=1", "/portefeuille?objet=contrat&rechercher=1",
                 f"/clients/{dossier['person']}",
                 f"/devis/{dossier['quote']}", "/exports"):
        page.goto(live_server + path)
        problems[path] = violations(page)
    assert {path: found for path, found in problems.items() if found} == {}
