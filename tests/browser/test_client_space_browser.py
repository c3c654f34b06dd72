"""The client on its phone (Chromium, 390 × 844): the adhesion e-mail's link, its password, the
client login, its space, a photo and a PDF sent as pieces → "Reçue"; then the broker's contract
page shows "Dossier transmis" and the files. axe-core audits every client page on the way."""
import io
import re

import pikepdf
from PIL import Image
from playwright.sync_api import expect

from portal.extensions import db
from portal.messaging.models import Channel, Message
from portal.quotes.models import Quote
from portal.signature.models import Contract
from portal.subscription import service as subscriptions
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.subscription_steps import IBAN, NIR, SPOUSE_NIR
from tests.browser.test_accessibility import log_in, violations
from tests.browser.test_signature_browser import link  # noqa: F401  fixture: the quote e-mail's link
from tests.conftest import run_jobs
from tests.integration.signing import Prospect, last_code

CLIENT_PASSWORD = "Adhérente+2026!"
ANSWERS = ((1, {"civilite": "Madame", "nom": "Lefèvre", "prenom": "Élodie", "nir": NIR, "mobile": "06 12 34 56 78",
                "tns": "on", "conjoint_prenom": "Marc", "conjoint_nom": "Lefèvre", "conjoint_nir": SPOUSE_NIR,
                "enfant1_prenom": "Zoé", "enfant1_nom": "Lefèvre", "enfant1_date_naissance": "01/07/2012",
                "enfant2_prenom": "Hugo", "enfant2_nom": "Lefèvre", "enfant2_date_naissance": "03/09/2015"}),
           (2, {"connaissance": "on"}),
           (3, {"titulaire": "Élodie Lefèvre", "iban": IBAN, "periodicite": "mensuel", "jour_prelevement": "5"}))


def outbox(app):
    run_jobs(app)
    return db.session.scalars(db.select(Message).order_by(Message.id)).all()


def e_signed(app, link) -> str:
    """Élodie Lefèvre's subscription filled and signed electronically (as test_signature_browser
    does in the browser, here through the same pages without one); the adhesion e-mail's path."""
    quote = db.session.scalars(db.select(Quote)).one()
    subscription = subscriptions.subscription_for(quote, "client")
    for step, answers in ANSWERS:
        assert subscriptions.save_step(subscription, step, answers, "client", final=True) == {}
    subscriptions.choose_signature(subscription, "electronique", "client")
    db.session.commit()
    prospect = Prospect(app, link).confirm_birth_date()
    prospect.begin()
    prospect.accept_all()
    assert prospect.sign(last_code(lambda: outbox(app))).status_code == 302
    adhesion = next(m for m in outbox(app) if m.channel == Channel.EMAIL and m.subject.startswith("Votre adhésion"))
    return re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", adhesion.body_text).group(1)


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "navy").save(out, "JPEG", quality=85)
    return out.getvalue()


def a_pdf() -> bytes:
    out = io.BytesIO()
    document = pikepdf.new()
    document.add_blank_page()
    document.save(out)
    return out.getvalue()


def test_the_client_sends_a_photo_and_a_pdf_from_its_phone(app, live_server, browser, broker, link):
    password_path = e_signed(app, link)
    context = browser.new_context(locale="fr-FR", **PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = {}

    page.goto(live_server + password_path)
    expect(page.get_by_role("heading", name="Créer votre mot de passe")).to_be_visible()
    page.get_by_label("Nouveau mot de passe").fill(CLIENT_PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("heading", name="Mot de passe enregistré")).to_be_visible()
    problems["password set"] = violations(page)
    page.get_by_role("link", name="Se connecter à mon espace client").click()

    expect(page.get_by_role("heading", name="Espace client")).to_be_visible()
    problems["login"] = violations(page)
    page.get_by_label("Identifiant").fill("elodie.lefevre@exemple.fr")
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    problems["login: refused"] = violations(page)
    page.get_by_label("Mot de passe", exact=True).fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    expect(page.get_by_role("heading", name="Bienvenue Élodie Lefèvre")).to_be_visible()
    expect(page.get_by_role("heading", name="Vos pièces justificatives en attente")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    problems["home"] = violations(page)
    identity, bank = page.locator(".client-piece").nth(0), page.locator(".client-piece").nth(1)
    expect(identity).to_contain_text("pièce d'identité")
    expect(bank).to_contain_text("RIB")
    accepted = identity.locator('input[type="file"]').get_attribute("accept")
    assert "image/jpeg" in accepted and "image/heic" in accepted and "application/pdf" in accepted

    # A file that only says it is a PDF is refused next to its piece, then the real ones pass.
    identity.locator('input[type="file"]').set_input_files(
        {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"juste du texte"})
    identity.get_by_role("button", name="Transmettre mon document").click()
    expect(page.get_by_role("alert").filter(has_text="annonce le type PDF")).to_be_visible()
    problems["home: refused file"] = violations(page)
    identity = page.locator(".client-piece").nth(0)
    identity.locator('input[type="file"]').set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": a_photo()})
    identity.get_by_role("button", name="Transmettre mon document").click()
    expect(page.get_by_text("Votre document est bien reçu")).to_be_visible()
    bank = page.locator(".client-piece").nth(1)
    bank.locator('input[type="file"]').set_input_files({"name": "rib.pdf", "mimeType": "application/pdf",
                                                        "buffer": a_pdf()})
    bank.get_by_role("button", name="Transmettre mon document").click()
    expect(page.locator(".client-piece").nth(0).locator(".piece-status")).to_have_text("Reçue")
    expect(page.locator(".client-piece").nth(1).locator(".piece-status")).to_have_text("Reçue")
    expect(page.get_by_role("link", name="IMG_2041.jpg")).to_be_visible()
    problems["home: received"] = violations(page)

    page.get_by_role("link", name="Mes infos").click()
    expect(page.get_by_role("heading", name="Mes informations personnelles")).to_be_visible()
    problems["mes infos"] = violations(page)
    page.get_by_label("Code postal").fill("1600")
    page.get_by_role("button", name="Enregistrer mon adresse").click()
    expect(page.get_by_text("Code postal invalide : 5 chiffres attendus.").first).to_be_visible()
    problems["mes infos: error"] = violations(page)
    page.get_by_role("link", name="Mes devis").click()
    expect(page.get_by_role("link", name=re.compile("Visualiser les documents"))).to_be_visible()
    problems["mes devis"] = violations(page)
    page.get_by_role("link", name="Mes contrats").click()
    expect(page.get_by_text("Dossier transmis")).to_be_visible()
    page.get_by_text("Visualiser les documents").click()
    expect(page.get_by_role("link", name="Fichier de preuve.pdf")).to_be_visible()
    problems["mes contrats"] = violations(page)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Espace client")).to_be_visible()
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    problems["mot de passe oublié"] = violations(page)
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}

    # The broker's dossier: "Dossier transmis" and the two files.
    contract = db.session.scalars(db.select(Contract)).one()
    desk = browser.new_context(locale="fr-FR", **DESKTOP)
    broker_page = desk.new_page()
    broker_page.set_default_timeout(20_000)
    log_in(broker_page, live_server, broker.email)
    broker_page.goto(f"{live_server}/contrats/{contract.id}")
    expect(broker_page.get_by_text("Dossier transmis").first).to_be_visible()
    expect(broker_page.get_by_role("link", name="IMG_2041.jpg")).to_be_visible()
    expect(broker_page.get_by_role("link", name="rib.pdf")).to_be_visible()
    desk.close()
