"""The customer subscribes on its phone (Chromium, 390 × 844): from the quote e-mail's link to
step 4, back to step 3 where it changes an answer and leaves; a new browser (another device)
opens the link again and finds every answer, the NIR and the IBAN masked."""
import re

import pytest

from bench.setup import ready_draft
from portal.extensions import db
from portal.messaging.models import Message
from portal.quotes.service import issue_quote
from portal.subscription.models import Subscription
from tests.browser.conftest import PHONE
from tests.browser.subscription_steps import NIR, SPOUSE_NIR, choose, fill_payment, fill_personal, open_link, saved
from tests.conftest import run_jobs


@pytest.fixture
def link(app, broker):
    """The link of the quote e-mail: Madame Élodie Lefèvre, born 04/05/1978, a spouse, two children."""
    issue_quote(ready_draft(broker), broker)
    run_jobs(app)  # the worker lays out DEVIS.pdf and queues the e-mail
    body = db.session.scalar(db.select(Message.body_text))
    return re.search(r"(/souscription/\S+)", body).group(1)


def test_from_the_link_to_step_4_then_back_on_another_device(live_server, browser, link):
    phone = browser.new_context(locale="fr-FR", **PHONE)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    open_link(page, live_server + link)
    page.get_by_role("link", name="Souscrire").click()

    # 1. Données personnelles: the quote's details are there; NIR, family.
    assert page.locator("#nom").input_value() == "Lefèvre"
    fill_personal(page)
    saved(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Suivant").click()

    # 2. Informations contractuelles: the documents in the page, the acknowledgement.
    page.get_by_role("heading", name="Informations contractuelles").wait_for()
    assert page.locator("iframe.document-frame").count() == 2
    page.get_by_role("button", name="Suivant").click()
    assert "Cochez la case pour confirmer" in page.locator("#connaissance-error").inner_text()
    page.get_by_label("J'ai pris connaissance du Document d'Information").check()
    page.get_by_role("button", name="Suivant").click()

    # 3. Informations de paiement: BIC found from the IBAN.
    fill_payment(page)
    # The family's 314,16 € a month, taken every three months.
    assert "Trimestriel : 942,48 €" in page.locator("#periodicite").inner_text()
    page.get_by_role("button", name="Signer le contrat").click()

    # 4. Confirmation: the three documents, then back to step 3 where an answer changes.
    page.get_by_role("heading", name="Confirmation").wait_for()
    for title in ("Fiche d'information précontractuelle", "Bulletin individuel d'adhésion", "Mandat SEPA"):
        assert page.get_by_role("link", name=title).count() == 1
    page.get_by_role("link", name="Précédent").click()
    page.get_by_role("heading", name="Informations de paiement").wait_for()
    choose(page, "periodicite", "mensuel")
    saved(page)
    phone.close()  # the phone is closed at step 3 without "Suivant"

    computer = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    page = computer.new_page()
    page.set_default_timeout(15_000)
    open_link(page, live_server + link)
    page.get_by_role("link", name="Reprendre mon adhésion").click()
    page.get_by_role("heading", name="Confirmation").wait_for()  # the furthest step reached
    page.get_by_role("link", name="Informations de paiement").click()
    page.get_by_role("heading", name="Informations de paiement").wait_for()
    assert page.locator('input[name="periodicite"][value="mensuel"]').is_checked()
    assert page.locator('input[name="jour_prelevement"][value="10"]').is_checked()
    assert page.get_by_label("Titulaire du compte (*)").input_value() == "Élodie Lefèvre"
    assert page.get_by_label("IBAN (*)").input_value() == ""
    assert "•••• •••• •••• •••• •••• •••0 189" in page.locator("#iban-kept").inner_text()
    html = page.content()
    assert "30006000011234567890" not in html.replace(" ", "")

    page.get_by_role("link", name="Données personnelles").click()
    assert page.locator("#nom").input_value() == "Lefèvre"
    assert page.locator("#conjoint_prenom").input_value() == "Marc"
    assert page.locator("#enfant2_date_naissance").input_value() == "03/09/2015"
    assert page.get_by_label("Je déclare que j'ai le statut TNS.").is_checked()
    assert "•••• •••• •••2 303" in page.locator("#nir-kept").inner_text()
    assert NIR not in page.content() and SPOUSE_NIR not in page.content()
    computer.close()

    db.session.expire_all()
    stored = db.session.scalars(db.select(Subscription)).one()
    assert (stored.periodicity, stored.debit_day, stored.nir, stored.bic) == ("mensuel", 10, NIR, "AGRIFRPPXXX")
