"""A broker opens the portal in a browser, logs in and reaches the home page."""
from tests.conftest import PASSWORD


def test_demo_broker_logs_in_and_reaches_home(live_server, page, broker):
    page.goto(live_server + "/")
    assert page.get_by_role("heading", name="Bienvenue").is_visible()
    page.get_by_label("Identifiant", exact=True).fill(broker.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", name="Accueil").is_visible()
    assert page.get_by_text(broker.firm.name).first.is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()


def test_wrong_password_keeps_the_identifiant(live_server, page, broker):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant", exact=True).fill(broker.email)
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe")
    page.get_by_role("button", name="Connexion").click()
    assert page.get_by_text("Identifiant ou mot de passe incorrect.").is_visible()
    assert page.get_by_label("Identifiant", exact=True).input_value() == broker.email


def test_the_phone_menu_button_appears_only_once_it_answers(live_server, browser, broker):
    """On a slow network the menu script arrives late: the button must not be there to tap before
    it (a tap then did nothing, and the panel folded under the finger)."""
    from playwright.sync_api import expect

    from tests.browser.conftest import PHONE

    context = browser.new_context(locale="fr-FR", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    held = []  # the script's request, answered when the test says so
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant", exact=True).fill(broker.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.route("**/js/panel.js", lambda route: held.append(route))
    page.get_by_role("button", name="Connexion").click(no_wait_after=True)
    page.wait_for_selector("[data-panel-toggle]", state="attached")
    assert page.locator("[data-panel-toggle]").is_hidden()  # the script is held back: nothing to tap yet
    held[0].continue_()
    page.get_by_role("button", name="Afficher ou masquer le menu").click()
    page.locator("summary", has_text="Vente directe").click()
    expect(page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="SMAT ACTIVE TNS")).to_be_visible()
    context.close()
