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
