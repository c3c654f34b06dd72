"""The worker's rules: backoff, retries, giving up, leases, oldest first."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from portal.clock import as_utc
from portal.extensions import db
from portal.messaging import worker
from portal.messaging.backends import DeliveryError, OutboxBackend
from portal.messaging.models import Delivery, Message
from portal.messaging.service import File, queue_email, queue_sms
from portal.messaging.worker import MAX_ATTEMPTS, backoff, deliver_due

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("attempts, seconds", [(1, 30), (2, 60), (3, 120), (4, 240), (6, 960), (7, 1920),
                                               (8, 3600), (9, 3600), (40, 3600)])
def test_backoff_doubles_from_30_seconds_up_to_one_hour(attempts, seconds):
    assert backoff(attempts) == timedelta(seconds=seconds)


def test_backoff_counts_failures_from_one():
    with pytest.raises(ValueError):
        backoff(0)


class FailingBackend:
    def __init__(self, error: Exception):
        self.error = error
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise self.error


@pytest.fixture
def failing(monkeypatch):
    def install(error: Exception) -> FailingBackend:
        backend = FailingBackend(error)
        monkeypatch.setattr(worker, "backend_for", lambda app, channel: backend)
        return backend
    return install


def queue(subject="Message d'essai", **extra) -> int:
    message = queue_email(to="client@example.fr", cc="courtier@cabinet-demo.fr", subject=subject, template="test_message",
                          context={"name": "Léa", "link": "http://localhost/lien", "firm": None}, **extra)
    db.session.commit()
    return message.id


def row(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_outbox_delivery_marks_the_message_sent_once(app):
    with freeze_time(START):
        message_id = queue(attachments=[File("DEVIS.pdf", "application/pdf", b"%PDF")])
        assert deliver_due(app) == 1
        assert deliver_due(app) == 0
    message = row(message_id)
    assert message.status is Delivery.SENT
    assert as_utc(message.sent_at) == START
    assert message.attempts == 1
    assert message.locked_by is None and message.locked_until is None


def test_sms_goes_through_the_outbox(app):
    message = queue_sms(to="+33612345678", text="Mes Solutions Plus : votre code de signature est 123456. Il expire dans 10 minutes.")
    db.session.commit()
    assert deliver_due(app) == 1
    assert row(message.id).status is Delivery.SENT


def test_a_failure_is_retried_with_backoff_then_given_up_after_the_last_attempt(app, failing, caplog):
    backend = failing(DeliveryError("SMTP relay:25: ConnectionRefusedError: [Errno 111] Connection refused"))
    moment = START
    with freeze_time(moment) as clock:
        message_id = queue()
        for attempt in range(1, MAX_ATTEMPTS):
            with caplog.at_level(logging.WARNING, logger="portal.messaging.worker"):
                assert deliver_due(app) == 0
            message = row(message_id)
            assert message.status is Delivery.PENDING
            assert message.attempts == attempt
            assert "Connection refused" in message.last_error
            assert as_utc(message.next_attempt_at) == moment + backoff(attempt)
            assert f"attempt {attempt} failed" in caplog.text
            # Not due yet: one second before the next try nothing happens.
            clock.move_to(moment + backoff(attempt) - timedelta(seconds=1))
            assert deliver_due(app) == 0
            assert backend.calls == attempt
            moment = moment + backoff(attempt)
            clock.move_to(moment)
        with caplog.at_level(logging.ERROR, logger="portal.messaging.worker"):
            assert deliver_due(app) == 0
        message = row(message_id)
        assert message.status is Delivery.FAILED
        assert message.attempts == MAX_ATTEMPTS
        assert "failed for good after 8 attempt(s)" in caplog.text
        clock.move_to(moment + timedelta(days=1))
        assert deliver_due(app) == 0
    assert backend.calls == MAX_ATTEMPTS


def test_a_permanent_refusal_is_not_retried(app, failing):
    backend = failing(DeliveryError("SMTP relay:25: every recipient refused (client@example.fr: 550 unknown user)", permanent=True))
    message_id = queue()
    assert deliver_due(app) == 0
    message = row(message_id)
    assert (message.status, message.attempts, backend.calls) == (Delivery.FAILED, 1, 1)
    assert "550 unknown user" in message.last_error


def test_an_unexpected_error_is_recorded_and_the_round_goes_on(app, monkeypatch, caplog):
    class Broken:
        def send(self, message):
            if message.subject == "Cassé":
                raise KeyError("en-tête")

    monkeypatch.setattr(worker, "backend_for", lambda app, channel: Broken())
    broken_id = queue("Cassé")
    fine_id = queue("Normal")
    with caplog.at_level(logging.ERROR, logger="portal.messaging.worker"):
        assert deliver_due(app) == 1
    broken = row(broken_id)
    assert (broken.status, broken.attempts, broken.last_error) == (Delivery.PENDING, 1, "KeyError: 'en-tête'")
    assert row(fine_id).status is Delivery.SENT
    assert "unexpected error" in caplog.text


def test_messages_not_yet_due_wait(app):
    message_id = queue()
    message = row(message_id)
    message.next_attempt_at = datetime.now(timezone.utc) + timedelta(minutes=5)
    db.session.commit()
    assert deliver_due(app) == 0
    assert row(message_id).status is Delivery.PENDING


def test_a_message_leased_by_another_worker_is_left_alone_until_the_lease_expires(app):
    with freeze_time(START) as clock:
        message_id = queue()
        message = row(message_id)
        message.locked_until = START + timedelta(minutes=15)
        message.locked_by = "autre-machine:4242:abc"
        db.session.commit()
        assert deliver_due(app) == 0
        clock.move_to(START + timedelta(minutes=15, seconds=1))
        assert deliver_due(app) == 1
    message = row(message_id)
    assert message.status is Delivery.SENT and message.locked_by is None


def test_oldest_first_and_limit(app, monkeypatch):
    order = []

    class Recording(OutboxBackend):
        def send(self, message):
            order.append(message.subject)

    monkeypatch.setattr(worker, "backend_for", lambda app, channel: Recording())
    with freeze_time(START) as clock:
        for number in range(1, 5):
            queue(f"Message {number}")
            clock.tick(timedelta(seconds=1))
        assert deliver_due(app, limit=3) == 3
        assert deliver_due(app, limit=3) == 1
    assert order == ["Message 1", "Message 2", "Message 3", "Message 4"]


def test_sent_and_failed_messages_are_never_picked_again(app, monkeypatch):
    failing_backend = FailingBackend(DeliveryError("ne doit pas être appelé"))
    monkeypatch.setattr(worker, "backend_for", lambda app, channel: failing_backend)
    sent_id, failed_id = queue("Déjà envoyé"), queue("Abandonné")
    db.session.get(Message, sent_id).status = Delivery.SENT
    db.session.get(Message, failed_id).status = Delivery.FAILED
    db.session.commit()
    assert deliver_due(app) == 0
    assert failing_backend.calls == 0
    assert (row(sent_id).attempts, row(failed_id).attempts) == (0, 0)
