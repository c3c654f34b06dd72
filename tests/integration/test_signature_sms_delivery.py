"""SMS through an HTTP provider (a local server playing it): accepted, refused for good,
retried after a server error or a timeout, and never sent twice thanks to the idempotency key."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from portal.clock import now
from portal.config import ConfigurationError
from portal.extensions import db
from portal.messaging.backends import DeliveryError, backend_from_url
from portal.messaging.models import Channel, Delivery, Message
from portal.messaging.service import queue_sms
from portal.messaging.sms import HttpJsonSms, SmsBackend
from portal.messaging.worker import deliver_due

from .sms_provider import TOKEN, SmsProvider

TEXT = "Mes Solutions Plus : votre code de signature est 482913. Il expire dans 10 minutes."


@pytest.fixture
def provider(app):
    servers = []

    def start(*script) -> SmsProvider:
        server = SmsProvider(script).start()
        servers.append(server)
        app.config["SMS_URL"] = server.url
        return server

    yield start
    app.config["SMS_URL"] = "outbox"
    for server in servers:
        server.stop()


def queued() -> Message:
    message = queue_sms(to="+33612345678", text=TEXT)
    db.session.commit()
    return message


def reloaded(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def due_again(message_id: int) -> None:
    """Skip the backoff delay: the message is due now."""
    db.session.execute(update(Message).where(Message.id == message_id).values(next_attempt_at=now()))
    db.session.commit()


def test_an_accepted_sms_is_posted_once_with_its_token_and_key(app, provider):
    server = provider()
    message = queued()
    assert deliver_due(app) == 1
    [request] = server.requests
    assert request["path"] == "/v1/sms"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["content_type"] == "application/json; charset=utf-8"
    assert request["key"] == message.message_id
    assert request["body"] == {"to": "+33612345678", "text": TEXT, "sender": "MesSolutions"}
    assert reloaded(message.id).status == Delivery.SENT


def test_a_refused_sms_fails_at_once_without_retry(app, provider):
    server = provider(400)
    message = queued()
    assert deliver_due(app) == 0
    failed = reloaded(message.id)
    assert (failed.status, failed.attempts) == (Delivery.FAILED, 1)
    assert "HTTP 400" in failed.last_error and TOKEN not in failed.last_error
    assert server.sent == {}


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_is_retried_and_sent_once(app, provider, status):
    server = provider(status)
    message = queued()
    assert deliver_due(app) == 0
    waiting = reloaded(message.id)
    assert (waiting.status, waiting.attempts) == (Delivery.PENDING, 1)
    assert waiting.next_attempt_at is not None and f"HTTP {status}" in waiting.last_error
    assert deliver_due(app) == 0  # not due before its backoff
    due_again(message.id)
    assert deliver_due(app) == 1
    assert reloaded(message.id).status == Delivery.SENT
    assert list(server.sent) == [message.message_id]
    assert len(server.requests) == 2


def test_a_timeout_after_the_provider_took_the_sms_sends_no_second_one(app, provider):
    server = provider("slow")
    message = queued()
    assert deliver_due(app) == 0  # the client stopped waiting after 0.5 s
    waiting = reloaded(message.id)
    assert waiting.status == Delivery.PENDING and "timed out" in waiting.last_error
    due_again(message.id)
    assert deliver_due(app) == 1
    assert reloaded(message.id).status == Delivery.SENT
    assert [r["key"] for r in server.requests] == [message.message_id, message.message_id]
    assert len(server.sent) == 1  # one SMS on the phone


def test_a_provider_that_is_down_is_retried(app, provider):
    server = provider()
    server.stop()
    message = queued()
    assert deliver_due(app) == 0
    assert reloaded(message.id).status == Delivery.PENDING
    assert "ConnectionRefusedError" in reloaded(message.id).last_error


def test_the_backend_is_chosen_from_sms_url():
    backend = backend_from_url("https+json://abc%2Fdef@sms.example.fr/api/send?timeout=5&sender=MSP", Channel.SMS)
    assert isinstance(backend, SmsBackend)
    assert backend.provider.endpoint == "https://sms.example.fr/api/send"
    assert (backend.provider.token, backend.provider.timeout, backend.provider.sender) == ("abc/def", 5.0, "MSP")


@pytest.mark.parametrize("url, message", [
    ("https+json://sms.example.fr/api", "token"),
    ("http+json://jeton-secret@sms.example.fr/api", "127.0.0.1 only"),
    ("https+json://jeton-secret@sms.example.fr/api?timeout=0", "timeout"),
    ("https+json://jeton-secret@sms.example.fr/api?timeout=abc", "timeout"),
    ("https+json://jeton-secret@sms.example.fr/api?retry=3", "unknown option"),
    ("https+json://jeton-secret@/api", "host"),
    ("ftp://jeton-secret@sms.example.fr/api", "unsupported scheme"),
])
def test_unusable_sms_urls_are_refused_without_showing_the_token(url, message):
    with pytest.raises(ConfigurationError, match=message) as raised:
        backend_from_url(url, Channel.SMS)
    assert "jeton-secret" not in str(raised.value) and "SMS_URL" in str(raised.value)


def test_the_provider_interface_takes_to_text_and_key(app, provider):
    server = provider(404)
    sms = HttpJsonSms(server.url)
    with pytest.raises(DeliveryError) as raised:
        sms.send("+33612345678", "Bonjour", "cle-1")
    assert raised.value.permanent is True
    sms.send("+33612345678", "Bonjour", "cle-1")
    assert server.sent == {"cle-1": {"to": "+33612345678", "text": "Bonjour", "sender": "MesSolutions"}}
