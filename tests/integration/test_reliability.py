"""What a real deployment does to the broker's half: concurrent issuing, double POSTs from two
connections, SMTP down while issuing, a file that cannot be written (on the click for the paper
bulletin, in the worker for DEVIS.pdf)."""
import re
import threading
from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from bench.setup import ready_draft
from portal import storage
from portal.auth.models import User
from portal.clock import now
from portal.extensions import db
from portal.messaging.models import Delivery, Job, JobStatus, Message
from portal.messaging.worker import backoff, deliver_due
from portal.storage import StoredFile
from portal.numbering import NumberSequence
from portal.quotes.links import CustomerLink
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.service import issue_quote, new_version_draft
from tests.conftest import IsolatedClient, csrf_token, run_jobs
from tests.integration.wizard import text

REAL_TIME_FOR = ["asyncio", "aiosmtpd"]


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL (set TEST_DATABASE_URL); SQLite serialises every writer")


def run_in_threads(app, targets: list) -> list:
    """Runs each callable in its own thread and application context, all released at once."""
    start = threading.Barrier(len(targets))
    errors = []

    def work(target):
        with app.app_context():
            try:
                start.wait(timeout=30)
                target()
            except Exception as error:  # reported to the test, with its message
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_fifty_quotes_issued_in_parallel_get_fifty_distinct_numbers(app, broker):
    postgresql_only()
    with freeze_time("2026-11-20 10:00:00"):
        drafts = [ready_draft(broker).id for _ in range(50)]
    broker_id = broker.id

    def issue(quote_id):
        return lambda: issue_quote(db.session.get(Quote, quote_id), db.session.get(User, broker_id))

    with freeze_time("2026-11-20 10:00:00", ignore=["threading"]):
        errors = run_in_threads(app, [issue(quote_id) for quote_id in drafts])
    assert errors == []
    db.session.expire_all()
    numbers = db.session.scalars(db.select(Quote.number).where(Quote.id.in_(drafts))).all()
    assert len(set(numbers)) == 50
    assert sorted(numbers) == [f"RIS-{n:010d}" for n in range(1, 51)]  # no gap either
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 50
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0  # the worker sends them


def test_new_versions_issued_in_parallel_have_no_gap(app, broker):
    postgresql_only()
    with freeze_time("2026-11-20 10:00:00"):
        first = ready_draft(broker)
        issue_quote(first, broker)
        drafts = []
        for _ in range(10):
            draft = new_version_draft(first, broker, "test")
            draft.step = 3  # as if the broker had gone through the screens again
            drafts.append(draft.id)
        db.session.commit()
    broker_id = broker.id
    with freeze_time("2026-11-20 10:00:00", ignore=["threading"]):
        errors = run_in_threads(app, [
            (lambda quote_id: lambda: issue_quote(db.session.get(Quote, quote_id), db.session.get(User, broker_id)))(d)
            for d in drafts])
    assert errors == []
    db.session.expire_all()
    versions = db.session.scalars(db.select(Quote.version).where(Quote.number == first.number)).all()
    assert sorted(versions) == list(range(1, 12))


def test_a_double_post_from_two_connections_issues_one_version_and_one_email(app, broker, login, client):
    postgresql_only()
    with freeze_time("2026-11-20 10:00:00"):
        draft = ready_draft(broker)
    login(broker.email)
    page = client.get(f"/devis/{draft.id}/recapitulatif").get_data(as_text=True)
    token, cookie = csrf_token(page), client.get_cookie("session").value
    results = []

    def click():
        other = IsolatedClient(app, app.response_class, use_cookies=True)
        other.set_cookie("session", cookie)
        results.append(other.post(f"/devis/{draft.id}/valider", data={"csrf_token": token}).status_code)

    errors = run_in_threads(app, [click, click, click])
    assert errors == [] and results == [302, 302, 302]
    db.session.expire_all()
    assert db.session.get(Quote, draft.id).version == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 1
    assert run_jobs(app) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry).where(JournalEntry.agenda_kind.is_not(None))) == 1


def test_smtp_down_while_issuing_the_quote_is_issued_and_the_email_goes_out_once_later(app, wizard, smtp_mail, outbox):
    smtp_mail.stop()
    assert wizard.walk().status_code == 302
    quote = db.session.get(Quote, wizard.quote_id)
    assert quote.status is QuoteStatus.VALIDE  # the broker sees it sent
    with freeze_time(now(), ignore=REAL_TIME_FOR) as clock:
        assert deliver_due(app) == 0
        [message] = outbox()
        assert (message.status, message.attempts) == (Delivery.PENDING, 1)
        smtp_mail.start()
        clock.tick(backoff(1) + timedelta(seconds=1))
        assert deliver_due(app) == 1
        assert deliver_due(app) == 0
    assert len(smtp_mail.received) == 1
    assert smtp_mail.received[0].message["Subject"] == "Votre devis SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"
    assert len(list(smtp_mail.received[0].message.iter_attachments())) == 6


def test_a_bulletin_that_cannot_be_written_leaves_no_half_issued_quote(wizard, client, outbox, monkeypatch):
    wizard.needs()
    wizard.choose("300")
    wizard.contact(email="", sans_email="oui")

    def disk_full(content, **record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "put", disk_full)
    recap = client.get(f"/devis/{wizard.quote_id}/recapitulatif").get_data(as_text=True)
    response = client.post(f"/devis/{wizard.quote_id}/bulletin", data={"csrf_token": csrf_token(recap)})
    assert response.status_code == 422
    assert "Le document n'a pas pu être enregistré : le devis n'a pas été émis." in text(response)
    quote = db.session.get(Quote, wizard.quote_id)
    assert (quote.status, quote.number, quote.version, quote.pdf_key) == (QuoteStatus.INCOMPLET, None, None, None)
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry).where(JournalEntry.agenda_kind.is_not(None))) == 0
    # On PostgreSQL the number is taken in a transaction of its own (the counter is not locked
    # while the issue runs): the failed issue used RIS-0000000001, which is not reused.
    postgresql = db.engine.dialect.name == "postgresql"
    assert db.session.scalar(db.select(NumberSequence.last_value)) in ((1,) if postgresql else (None, 0))
    monkeypatch.undo()
    response = client.post(f"/devis/{wizard.quote_id}/bulletin", data={"csrf_token": csrf_token(recap)})
    assert response.status_code == 302  # once the disk is back, the same click works
    db.session.expire_all()
    assert db.session.get(Quote, wizard.quote_id).number == ("RIS-0000000002" if postgresql else "RIS-0000000001")


def test_a_devis_that_cannot_be_written_is_retried_by_the_worker_with_nothing_half_done(app, wizard, outbox, monkeypatch):
    """The click no longer writes DEVIS.pdf: the worker does, and a full disk makes it try again later."""
    assert wizard.walk().status_code == 302
    quote_id = wizard.quote_id

    def disk_full(content, **record):
        raise OSError(28, "No space left on device")

    with freeze_time(now()) as clock:
        monkeypatch.setattr(storage, "put", disk_full)
        assert deliver_due(app) == 0
        db.session.expire_all()
        [job] = db.session.scalars(db.select(Job)).all()
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.PENDING, 1, None)
        assert job.last_error == "OSError: [Errno 28] No space left on device"
        quote = db.session.get(Quote, quote_id)
        # Nothing of the failed try stays: no file key, no file, no link, no e-mail.
        assert (quote.status, quote.number, quote.pdf_key) == (QuoteStatus.VALIDE, "RIS-0000000001", None)
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(CustomerLink)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0
        monkeypatch.undo()
        clock.tick(backoff(1) - timedelta(seconds=1))
        assert deliver_due(app) == 0  # not due before its backoff
        assert db.session.scalar(db.select(Job.attempts)) == 1
        clock.tick(timedelta(seconds=2))
        assert deliver_due(app) == 1
    [message] = outbox()
    assert [a.filename for a in message.attachments][0] == "DEVIS.pdf" and len(message.attachments) == 6
    assert message.status is Delivery.SENT and re.search(r"/souscription/", outbox()[0].body_text) is None  # scrubbed once sent
    db.session.expire_all()
    assert db.session.scalar(db.select(Job.status)) is JobStatus.DONE
    assert db.session.get(Quote, quote_id).pdf_key == message.attachments[0].sha256


def parallel_posts(app, client, url: str, form: dict, count: int) -> list:
    """`count` POSTs of the same form from as many connections sharing the broker's session,
    released at once; (status, Location) of each."""
    cookie = client.get_cookie("session").value
    results = []

    def click():
        other = IsolatedClient(app, app.response_class, use_cookies=True)
        other.set_cookie("session", cookie)
        response = other.post(url, data=form)
        results.append((response.status_code, response.headers.get("Location")))

    assert run_in_threads(app, [click] * count) == []
    return results


def test_five_simultaneous_resends_send_one_email(app, broker, login, client):
    postgresql_only()
    quote = ready_draft(broker)
    issue_quote(quote, broker)
    run_jobs(app)
    quote = db.session.get(Quote, quote.id)
    quote.last_sent_at = now() - timedelta(minutes=2)  # the first sending was two minutes ago
    db.session.commit()
    login(broker.email)
    token = csrf_token(client.get(f"/devis/{quote.id}").get_data(as_text=True))
    results = parallel_posts(app, client, f"/devis/{quote.id}/renvoyer", {"csrf_token": token}, 5)
    assert [status for status, _ in results] == [302] * 5
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 2  # the first, and one resend
    links = db.session.scalars(db.select(CustomerLink).order_by(CustomerLink.id)).all()
    assert len(links) == 2 and links[0].revoked_at is not None and links[1].revoked_at is None


def test_a_double_click_on_dupliquer_lands_both_clicks_on_one_draft(app, broker, login, client):
    postgresql_only()
    quote = ready_draft(broker)
    issue_quote(quote, broker)
    login(broker.email)
    page = client.get(f"/devis/{quote.id}").get_data(as_text=True)
    key = re.search(r'name="creation_key" value="([^"]+)"', page).group(1)
    results = parallel_posts(app, client, f"/devis/{quote.id}/dupliquer",
                             {"csrf_token": csrf_token(page), "creation_key": key}, 3)
    db.session.expire_all()
    [draft] = db.session.scalars(db.select(Quote).where(Quote.source_id == quote.id)).all()
    assert results == [(302, f"/devis/{draft.id}/besoins")] * 3


def test_a_double_click_on_the_first_suivant_lands_both_clicks_on_one_draft(app, broker, login, client):
    postgresql_only()
    login(broker.email)
    page = client.get("/vente-directe/smat-active-tns/devis").get_data(as_text=True)
    key = re.search(r'name="creation_key" value="([^"]+)"', page).group(1)
    effect = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    form = {"csrf_token": csrf_token(page), "creation_key": key, "besoin_optique": "4", "besoin_dentaire": "2",
            "besoin_audiologie": "1", "besoin_hospitalisation": "1", "besoin_depassements": "4",
            "date_effet": effect.isoformat(), "regime": "general", "code_postal": "16000", "ville": "16015",
            "date_naissance": "1978-05-04", "conjoint": "non", "enfants": "non"}
    results = parallel_posts(app, client, "/vente-directe/smat-active-tns/devis", form, 3)
    db.session.expire_all()
    [draft] = db.session.scalars(db.select(Quote)).all()
    assert results == [(302, f"/devis/{draft.id}/solutions")] * 3
