"""Parallel clicks on the signature pages, from as many connections sharing the prospect's
session, on PostgreSQL: one contract, one signature, one set of e-mails, one failure."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Channel
from portal.signature.models import Contract, SignatureCode, SignatureState
from tests.conftest import IsolatedClient, csrf_token

from .signing import fill_subscription, last_code, wrong
from .test_reliability import postgresql_only, run_in_threads
from .test_signature_flow import contract_row, emails


def parallel(app, prospect, path: str, form: dict, count: int) -> list[tuple[int, str | None]]:
    cookie = prospect.client.get_cookie("session").value
    results = []

    def click():
        other = IsolatedClient(app, app.response_class, use_cookies=True)
        other.set_cookie("session", cookie)
        response = other.post(prospect.base + path, data=form)
        results.append((response.status_code, response.headers.get("Location")))

    assert run_in_threads(app, [click] * count) == []
    return results


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_parallel_starts_make_one_contract(app, signing_dossier, outbox, quote_day):
    postgresql_only()
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    token = csrf_token(prospect.get().get_data(as_text=True))
    results = parallel(app, prospect, "", {"csrf_token": token, "tentative": "0"}, 4)
    assert [status for status, _ in results] == [302] * 4
    assert count(Contract) == 1
    contract = contract_row()
    assert contract.number == "RIS-0000000001" and contract.attempt == 1 and len(contract.documents) == 3
    assert count(JournalEntry, JournalEntry.action == "Demande d'adhésion créée") == 1


def test_parallel_signer_clicks_sign_once(app, signing_dossier, outbox, quote_day):
    postgresql_only()
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    token = csrf_token(prospect.get("/signer").get_data(as_text=True))
    form = {"csrf_token": token, "code": last_code(outbox), "condition_1": "oui", "condition_2": "oui"}
    results = parallel(app, prospect, "/signer", form, 6)
    assert all(status in (302, 202) for status, _ in results), results  # signed, or "being signed"
    assert any(location and location.endswith("/signee") for _, location in results)
    assert contract_row().signature_state is SignatureState.SIGNE
    assert count(Contract) == 1
    assert len(emails(outbox, "Vos documents signés")) == 1 and len(emails(outbox, "Votre adhésion")) == 1
    assert count(JournalEntry, JournalEntry.agenda_kind == "contrat_signe") == 1
    assert count(JournalEntry, JournalEntry.to_status == "souscrit") == 1


def test_parallel_wrong_codes_fail_the_signature_once(app, signing_dossier, outbox, quote_day):
    postgresql_only()
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    token = csrf_token(prospect.get("/signer").get_data(as_text=True))
    form = {"csrf_token": token, "code": wrong(last_code(outbox)), "condition_1": "oui", "condition_2": "oui"}
    results = parallel(app, prospect, "/signer", form, 10)
    assert all(status in (302, 422) for status, _ in results), results
    assert db.session.scalar(select(SignatureCode.attempts)) == 5
    assert contract_row().signature_state is SignatureState.ECHEC
    assert len(emails(outbox, "Echec de signature électronique")) == 1
    assert count(JournalEntry, JournalEntry.agenda_kind == "signature_echec") == 1
    assert len([m for m in outbox() if m.channel == Channel.SMS]) == 1
