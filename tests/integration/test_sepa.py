"""The back-office's SEPA direct-debit file (pain.008.001.02): the contracts "Adhésion créée" due
on the date asked, with their mandate, account and instalment; the date checked next to its
field; the download journaled; nobody else may have it."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.catalog.loader import get_catalog
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.signature.models import Progress
from portal.subscription.models import Subscription

from tests.conftest import csrf_token

from .signing import IBAN
from .test_exports_and_daily import logged_in
from .test_reminders import e_signed_contract
from .wizard import text

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
INSURER_IBAN, INSURER_BIC = "FR1420041010050500013M02606", "PSSTFRPPLIL"


@pytest.fixture
def created(app, signing_dossier, outbox, quote_day, make_user):
    """Jean Dupont's contract (effect 01/12/2026, monthly, debited on the 5th), its adhesion
    created; the insurer's account configured; a back-office user logged in."""
    contract = e_signed_contract(signing_dossier, outbox)
    contract.progress = Progress.ADHESION_CREEE  # what the back-office's "Créer l'adhésion" leaves
    db.session.commit()
    app.config.update(SEPA_CREDITOR_IBAN=INSURER_IBAN, SEPA_CREDITOR_BIC=INSURER_BIC)
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    yield contract, logged_in(app, "gestion@mes-solutions-plus.fr")
    app.config.update(SEPA_CREDITOR_IBAN="", SEPA_CREDITOR_BIC="")


def sepa_file(browser, date: str):
    """"Télécharger le fichier SEPA" on the exports page: a POST with the page's token."""
    token = csrf_token(browser.get("/exports").get_data(as_text=True))
    return browser.post("/exports/prelevements-sepa", data={"csrf_token": token, "date": date})


def transactions(response) -> list[ET.Element]:
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ET.fromstring(response.data).findall(".//p:DrctDbtTxInf", NS)


def test_the_file_of_a_date_holds_each_contract_due_with_its_mandate_and_account(created):
    contract, backoffice = created
    response = sepa_file(backoffice, "2026-12-05")
    assert 'filename="prelevements-sepa-2026-12-05.xml"' in response.headers["Content-Disposition"]
    [payment] = transactions(response)
    subscription = db.session.get(Subscription, contract.subscription_id)
    root = ET.fromstring(response.data)
    assert root.findtext(".//p:PmtInf/p:ReqdColltnDt", namespaces=NS) == "2026-12-05"
    assert root.findtext(".//p:PmtInf/p:PmtTpInf/p:SeqTp", namespaces=NS) == "RCUR"
    assert root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == INSURER_IBAN
    assert root.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=NS) == get_catalog().insurer.sepa_creditor_id
    assert Decimal(payment.findtext("p:InstdAmt", namespaces=NS)) == contract.quote.monthly
    assert payment.findtext(".//p:MndtId", namespaces=NS) == subscription.mandate_reference
    assert payment.findtext(".//p:DtOfSgntr", namespaces=NS) == "2026-11-20"
    assert payment.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
    assert payment.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Jean Dupont"
    assert payment.findtext(".//p:EndToEndId", namespaces=NS) == f"{contract.number}-20261205"
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.action == "Fichier de prélèvement SEPA"))
    assert entry.actor == "gestion@mes-solutions-plus.fr" and entry.detail.startswith("05/12/2026 : 1 prélèvement(s)")


def test_a_quarterly_contract_is_due_every_three_months_for_three_months(created):
    contract, backoffice = created
    contract.periodicity = "trimestriel"
    db.session.commit()
    assert len(transactions(sepa_file(backoffice, "2026-12-05"))) == 1
    assert "Aucun prélèvement le 05/01/2027" in text(sepa_file(backoffice, "2027-01-05"))
    [payment] = transactions(sepa_file(backoffice, "2027-03-05"))
    assert Decimal(payment.findtext("p:InstdAmt", namespaces=NS)) == contract.quote.monthly * 3


@pytest.mark.parametrize("typed, message", [
    ("2026-11-05", "Aucun prélèvement le 05/11/2026"),  # before the effect date
    ("2026-12-10", "Aucun prélèvement le 10/12/2026"),  # the client chose the 5th
    ("2026-12-06", "Les prélèvements ont lieu le 5, le 10, le 15 du mois."),
    ("2027-02-31", "Cette date n'existe pas dans le calendrier."),
    ("", "Date invalide : saisissez-la au format jj/mm/aaaa."),
    ("<script>", "Date invalide : saisissez-la au format jj/mm/aaaa.")])
def test_a_date_without_debits_is_told_next_to_the_field_and_kept(created, typed, message):
    _, backoffice = created
    response = sepa_file(backoffice, typed)
    assert response.status_code == 422 and message in text(response)
    page = response.get_data(as_text=True)
    assert 'aria-describedby="date-prelevement-erreur"' in page
    assert f'value="{typed}"' in page if typed != "<script>" else 'value="&lt;script&gt;"' in page


def test_only_created_adhesions_are_debited_and_the_insurer_s_account_is_required(app, created):
    contract, backoffice = created
    contract.progress = Progress.DOSSIER_TRANSMIS
    db.session.commit()
    assert "Aucun prélèvement le 05/12/2026" in text(sepa_file(backoffice, "2026-12-05"))
    contract.progress = Progress.ADHESION_CREEE
    db.session.commit()
    app.config.update(SEPA_CREDITOR_IBAN="")
    response = sepa_file(backoffice, "2026-12-05")
    assert response.status_code == 422 and "n'est pas configuré (SEPA_CREDITOR_IBAN et SEPA_CREDITOR_BIC)" in text(response)


def test_a_broker_or_the_administrator_may_not_have_the_file(app, client, created, make_user):
    make_user(email="admin@mes-solutions-plus.fr", role=Role.ADMIN)
    admin = logged_in(app, "admin@mes-solutions-plus.fr")
    for browser in (client, admin):
        assert sepa_file(browser, "2026-12-05").status_code == 403
        assert "Fichier de prélèvement SEPA" not in text(browser.get("/exports"))
    assert "Fichier de prélèvement SEPA" in text(created[1].get("/exports"))


def test_the_file_is_had_by_a_form_with_its_token_never_by_a_link(created):
    """Its download writes a journal row: never on a GET, never without the page's token."""
    _, backoffice = created
    form = text(backoffice.get("/exports"))
    assert "Date de prélèvement" in form and "Télécharger le fichier SEPA" in form
    assert backoffice.get("/exports/prelevements-sepa?date=2026-12-05").status_code == 405
    assert backoffice.post("/exports/prelevements-sepa", data={"date": "2026-12-05"}).status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(JournalEntry)
                             .where(JournalEntry.action == "Fichier de prélèvement SEPA")) == 0
    assert sepa_file(backoffice, "2026-12-05").status_code == 200
    assert db.session.scalar(select(db.func.count()).select_from(JournalEntry)
                             .where(JournalEntry.action == "Fichier de prélèvement SEPA")) == 1
