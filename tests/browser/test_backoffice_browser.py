"""The whole back-office chain in Chromium: a dossier signed by hand and transmitted, the
manager refuses a piece with a reason (the client's e-mail checked), the client sends another
from its phone, the other pieces come from the broker and are validated, "Créer l'adhésion"; the broker sees "Adhésion créée"
and its events. The queue and the dossier pass the accessibility audit."""
from __future__ import annotations

from playwright.sync_api import expect

from portal.auth.models import Role
from portal.extensions import db
from portal.messaging.models import Message
from portal.signature.models import Contract, Progress
import re

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_accessibility import log_in, violations
from tests.integration.conftest import quote_day, signing_dossier, signing_instance, wizard  # noqa: F401  (fixtures)
from tests.integration.test_dossiers import a_jpeg, a_pdf, paper_contract

MANAGER = "gestion@mes-solutions-plus.fr"
CLIENT_PASSWORD = "Adhérent+2026!"


def piece_row(page, label: str):
    return page.locator('section[aria-labelledby="pieces"] tbody tr', has_text=label)


def send_file(page, row, name: str, content: bytes) -> None:
    mime = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    row.get_by_label("Sélectionner le fichier à importer").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])
    row.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()


def test_the_back_office_works_a_dossier_to_its_adhesion(live_server, browser, signing_dossier, make_user, outbox):
    contract = paper_contract(signing_dossier)
    make_user(email=MANAGER, role=Role.BACKOFFICE, first_name="Gaëlle", last_name="Gestion")
    broker = browser.new_context(locale="fr-FR", **DESKTOP).new_page()
    manager = browser.new_context(locale="fr-FR", **DESKTOP).new_page()
    for page in (broker, manager):
        page.set_default_timeout(20_000)
    log_in(broker, live_server, "courtier@cabinet-demo.fr")
    log_in(manager, live_server, MANAGER)

    # The broker sends the client's identity: the dossier is transmitted.
    broker.goto(f"{live_server}/contrats/{contract.id}")
    identity = piece_row(broker, "Copie de votre pièce d'identité")
    send_file(broker, identity, "identite.jpg", a_jpeg())
    expect(broker.get_by_text("Dossier transmis", exact=True)).to_be_visible()

    # The manager finds it in the queue and refuses the identity with a reason.
    manager.goto(live_server + "/")
    manager.get_by_role("link", name="Dossiers transmis").click()
    assert violations(manager) == []
    manager.get_by_role("link", name=contract.number).click()
    assert violations(manager) == []
    row = piece_row(manager, "Copie de votre pièce d'identité")
    row.get_by_label("Motif du refus").fill("La photo est floue : envoyez une copie lisible.")
    row.get_by_role("button", name="Refuser").click()
    expect(manager.get_by_text("le client est prévenu par e-mail")).to_be_visible()
    expect(piece_row(manager, "Copie de votre pièce d'identité")).to_contain_text(
        "En attente — refusée le 20/11/2026 : La photo est floue : envoyez une copie lisible.")
    [mail] = [m for m in outbox() if m.subject == "Mes Solutions Plus - Pièce justificative refusée"]
    assert mail.to == "jean.dupont@exemple.fr" and "La photo est floue" in mail.body_text
    # The client has no password yet: the e-mail carries a new link to create it (the adhesion's is replaced).
    password_path = re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", mail.body_text).group(1)

    # "Créer l'adhésion" waits, saying why.
    create = manager.get_by_role("button", name="Créer l'adhésion")
    expect(create).to_be_disabled()
    expect(manager.locator("#adhesion-blocked")).to_contain_text("À valider :")

    # The client creates its password from the refusal's e-mail, reads why on its phone and sends another.
    phone = browser.new_context(locale="fr-FR", **PHONE).new_page()
    phone.set_default_timeout(20_000)
    phone.goto(live_server + password_path)
    phone.get_by_label("Nouveau mot de passe").fill(CLIENT_PASSWORD)
    phone.get_by_label("Confirmation du mot de passe").fill(CLIENT_PASSWORD)
    phone.get_by_role("button", name="Enregistrer le mot de passe").click()
    phone.get_by_role("link", name="Se connecter à mon espace client").click()
    phone.get_by_label("Identifiant").fill("jean.dupont@exemple.fr")
    phone.get_by_label("Mot de passe", exact=True).fill(CLIENT_PASSWORD)
    phone.get_by_role("button", name="Connexion").click()
    refused = phone.locator(".client-piece", has_text="Copie de votre pièce d'identité")
    expect(refused.locator(".piece-status")).to_have_text(
        "En attente — refusée le 20/11/2026 : La photo est floue : envoyez une copie lisible.")
    refused.locator('input[type="file"]').set_input_files(
        {"name": "identite-2.pdf", "mimeType": "application/pdf", "buffer": a_pdf()})
    refused.get_by_role("button", name="Transmettre mon document").click()
    expect(phone.locator(".client-piece", has_text="Copie de votre pièce d'identité").locator(".piece-status")
           ).to_have_text("Reçue")

    # The broker sends the other mandatory pieces.
    broker.reload()
    for label, name, content in (("Bulletin individuel", "bia.pdf", a_pdf()), ("Mandat de prélèvement", "mandat.jpg", a_jpeg()),
                                 ("RIB", "rib.pdf", a_pdf()), ("attestation d'assuré", "attestation.pdf", a_pdf()),
                                 ("Kbis", "kbis.pdf", a_pdf())):
        send_file(broker, piece_row(broker, label), name, content)

    # The manager validates every piece received, then creates the adhesion.
    manager.reload()
    while manager.get_by_role("button", name="Valider").count():
        manager.get_by_role("button", name="Valider").first.click()
        expect(manager.get_by_text("validée.", exact=False).first).to_be_visible()
    expect(create).to_be_enabled()
    create.click()
    expect(manager.get_by_text("Adhésion créée : le client est prévenu par e-mail")).to_be_visible()

    # The broker sees it, with the events; the client has its e-mail, the broker in copy.
    broker.reload()
    expect(broker.get_by_text("Adhésion créée", exact=True)).to_be_visible()
    expect(broker.get_by_text("adhésion créée par le service de gestion", exact=False)).to_be_visible()
    broker.goto(live_server + "/")
    expect(broker.get_by_text("adhésion créée par le service de gestion", exact=False).first).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).progress is Progress.ADHESION_CREEE
    [created] = db.session.scalars(db.select(Message).where(Message.subject == "Mes Solutions Plus - Adhésion créée")).all()
    assert created.to == "jean.dupont@exemple.fr" and created.cc == "courtier@cabinet-demo.fr"
