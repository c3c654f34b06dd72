""""Valider et envoyer" without waiting for WeasyPrint: the click commits the issued version and a
job; the worker lays out DEVIS.pdf and queues the e-mail; opening DEVIS.pdf before the worker is
done lays it out on the spot, once. Never twice, never lost, the same file either way."""
import hashlib
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time

from bench.setup import ready_draft
from portal import storage
from portal.clock import now
from portal.extensions import db
from portal.messaging.jobs import run_due_jobs
from portal.messaging.lease import MAX_ATTEMPTS, backoff
from portal.messaging.models import Job, JobStatus, Message
from portal.quotes import service
from portal.quotes.models import Quote
from portal.quotes.service import issue_quote
from portal.storage import StoredFile
from tests.conftest import IsolatedClient, csrf_token, run_jobs
from tests.integration.test_reliability import postgresql_only, run_in_threads
from tests.integration.wizard import text

ATTACHMENTS = ["DEVIS.pdf", "IPID SMAT ACTIVE TNS.pdf", "Plaquette SMAT ACTIVE TNS.pdf", "Garanties SMAT ACTIVE TNS 300.pdf",
               "Exemples de remboursements.pdf", "Regles generales.pdf"]


@pytest.fixture
def layouts(monkeypatch):
    """Counts the layouts of DEVIS.pdf."""
    calls = []
    real = service.render_devis

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(service, "render_devis", counted)
    return calls


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_the_click_issues_at_once_and_leaves_devis_to_the_worker(wizard, client, layouts):
    response = wizard.walk()
    assert response.status_code == 302 and layouts == []
    quote = db.session.get(Quote, wizard.quote_id)
    assert quote.number == "RIS-0000000001" and quote.pdf_key is None
    [job] = db.session.scalars(db.select(Job)).all()
    assert (job.kind, job.status, job.about, job.payload) == (
        "quote.send", JobStatus.PENDING, f"quote:{quote.id}", {"quote_id": quote.id, "issuer_id": quote.broker_id})
    assert count(Message) == 0 and count(StoredFile) == 0
    page = text(client.get(response.headers["Location"]))
    assert "DEVIS.pdf (en préparation)" in page
    assert "DEVIS.pdf est en préparation : l'e-mail au client part dans un instant avec ses pièces jointes." in page


def test_the_worker_lays_out_devis_and_queues_the_email_with_six_attachments(app, wizard, client, outbox, layouts):
    wizard.walk()
    [message] = outbox()
    assert layouts == [1]
    assert [a.filename for a in message.attachments] == ATTACHMENTS
    assert message.subject == "Votre devis SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"
    quote = db.session.get(Quote, wizard.quote_id)
    assert quote.pdf_key == message.attachments[0].sha256 == hashlib.sha256(message.attachments[0].content).hexdigest()
    [record] = db.session.scalars(db.select(StoredFile)).all()
    assert (record.owner_type, record.owner_id, record.kind, record.sha256) == ("quote", str(quote.id), "devis", quote.pdf_key)
    assert db.session.scalar(db.select(Job.status)) is JobStatus.DONE
    assert run_jobs(app) == 0 and len(outbox()) == 1  # done once, never again
    assert "en préparation" not in text(client.get(f"/devis/{quote.id}"))


def test_opening_devis_before_the_worker_lays_it_out_once_and_the_worker_sends_that_file(app, wizard, client, outbox, layouts):
    wizard.walk()
    opened = client.get(f"/devis/{wizard.quote_id}/document")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf" and layouts == [1]
    key = hashlib.sha256(opened.data).hexdigest()
    assert db.session.get(Quote, wizard.quote_id).pdf_key == key and count(Message) == 0
    assert client.get(f"/devis/{wizard.quote_id}/document").data == opened.data and layouts == [1]
    [message] = outbox()
    assert layouts == [1]  # the worker sent the stored file, not a second layout
    assert message.attachments[0].filename == "DEVIS.pdf" and message.attachments[0].sha256 == key
    assert count(StoredFile) == 1


def test_the_layout_does_not_depend_on_who_lays_it_out(app, wizard, client, outbox):
    """Content-addressing needs the same bytes from the worker and from a viewer."""
    wizard.walk()
    viewed = client.get(f"/devis/{wizard.quote_id}/document").data
    quote = db.session.get(Quote, wizard.quote_id)
    again = service.render_devis(quote, service.get_catalog(), quote.broker)
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(viewed).hexdigest()


def test_resending_while_the_first_email_is_prepared_is_refused(app, wizard, client, outbox, quote_day):
    wizard.walk()
    quote_day.tick(61)  # past the minute between two sendings, and the worker has not run yet
    page = client.get(f"/devis/{wizard.quote_id}?onglet=gestion").get_data(as_text=True)
    response = client.post(f"/devis/{wizard.quote_id}/renvoyer", data={"csrf_token": csrf_token(page)},
                           follow_redirects=True)
    assert "Le devis est en préparation : il part dans un instant, inutile de le renvoyer." in text(response)
    assert len(outbox()) == 1


def test_a_job_that_keeps_failing_fails_for_good_after_the_last_try(app, wizard, monkeypatch, outbox):
    wizard.walk()

    def disk_full(content, **record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "put", disk_full)
    with freeze_time(now()) as clock:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert run_jobs(app) == 1
            clock.tick(backoff(attempt) + timedelta(seconds=1))
        assert run_jobs(app) == 0
    job = db.session.scalars(db.select(Job)).one()
    assert (job.status, job.attempts) == (JobStatus.FAILED, MAX_ATTEMPTS) and job.failed_at is not None
    assert outbox() == [] and db.session.get(Quote, wizard.quote_id).pdf_key is None


def test_a_job_of_an_unknown_kind_fails_for_good_at_once(app):
    db.session.add(Job(kind="retired.kind", payload={}, status=JobStatus.PENDING))
    db.session.commit()
    assert run_jobs(app) == 1
    job = db.session.scalars(db.select(Job)).one()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.FAILED, 1, "UnknownJob: retired.kind")


def test_three_workers_share_the_jobs_and_send_each_email_once(app, broker):
    postgresql_only()
    drafts = [ready_draft(broker) for _ in range(9)]
    for draft in drafts:
        issue_quote(draft, broker)
    ids = [draft.id for draft in drafts]
    ran = []

    def worker():
        ran.append(run_due_jobs(app, f"worker-{threading.get_ident()}", limit=100))

    assert run_in_threads(app, [worker] * 3) == []
    assert sum(ran) == 9
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 9
    assert sorted(db.session.scalars(db.select(Message.about))) == sorted(f"quote:{i}" for i in ids)
    assert db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 9
    assert set(db.session.scalars(db.select(Job.status))) == {JobStatus.DONE}


def test_a_viewer_and_a_worker_at_the_same_moment_store_one_file_and_send_one_email(app, broker, login, client):
    postgresql_only()
    login(broker.email)
    cookie = client.get_cookie("session").value
    drafts = [ready_draft(broker) for _ in range(4)]
    for draft in drafts:
        issue_quote(draft, broker)
    ids = [draft.id for draft in drafts]
    opened = {}

    def viewer(quote_id):
        def view():
            other = IsolatedClient(app, app.response_class, use_cookies=True)
            other.set_cookie("session", cookie)
            response = other.get(f"/devis/{quote_id}/document")
            opened[quote_id] = (response.status_code, hashlib.sha256(response.data).hexdigest())
        return view

    for quote_id in ids:  # each quote opened while a worker takes its job
        assert run_in_threads(app, [viewer(quote_id), lambda: run_due_jobs(app, "worker", limit=1)]) == []
    db.session.expire_all()
    for quote_id in ids:
        quote = db.session.get(Quote, quote_id)
        [message] = db.session.scalars(db.select(Message).where(Message.about == f"quote:{quote_id}")).all()
        assert opened[quote_id] == (200, quote.pdf_key) and message.attachments[0].sha256 == quote.pdf_key
        assert len(storage.files_of(("quote", quote_id))) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Job).where(Job.status == JobStatus.DONE)) == 4


def test_flask_worker_once_prepares_the_quote_and_sends_its_email(app, wizard, smtp_mail):
    wizard.walk()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 tâche(s) faite(s) ou tentée(s) ; 1 message(s) envoyé(s), 0 en échec" in result.output
    [mail] = smtp_mail.received
    assert [part.get_filename() for part in mail.message.iter_attachments()] == ATTACHMENTS


def test_opening_devis_while_the_storage_is_down_says_so_and_changes_nothing(wizard, client, monkeypatch, outbox):
    wizard.walk()

    def disk_full(content, **record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "put", disk_full)
    response = client.get(f"/devis/{wizard.quote_id}/document", follow_redirects=True)
    assert response.status_code == 200
    assert "Le document n'a pas pu être préparé : réessayez dans un instant." in text(response)
    assert db.session.get(Quote, wizard.quote_id).pdf_key is None
    monkeypatch.undo()
    assert [a.filename for a in outbox()[0].attachments] == ATTACHMENTS  # the worker still does it all
