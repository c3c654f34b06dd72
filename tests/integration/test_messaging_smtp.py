"""Delivery through a real SMTP server on loopback: once, to everyone, and again after an outage."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from portal.clock import as_utc, now
from portal.extensions import db
from portal.messaging.backends import DeliveryError, SmtpBackend
from portal.messaging.models import Delivery, Message
from portal.messaging.service import File, queue_email
from portal.messaging.worker import backoff, deliver_due

from .smtp_server import SmtpServer, free_port

DEVIS = b"%PDF-1.7 devis " + bytes(range(256)) * 64
REGLES = b"%PDF-1.7 regles generales"
# The SMTP server's event loop keeps the real time while the portal's clock is moved.
REAL_TIME_FOR = ["asyncio", "aiosmtpd"]


def queue(subject="Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage", to="jean.dupont@example.fr",
          cc="courtier@cabinet-demo.fr", attachments=()) -> int:
    message = queue_email(to=to, cc=cc, subject=subject, template="test_message", attachments=list(attachments),
                          context={"name": "Jean Dupont", "link": "http://localhost/souscription/abc", "firm": None})
    db.session.commit()
    return message.id


def row(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_a_queued_message_is_delivered_exactly_once(app, smtp_mail):
    message_id = queue(attachments=[File("DEVIS.pdf", "application/pdf", DEVIS),
                                    File("Règles générales.pdf", "application/pdf", REGLES)])
    assert deliver_due(app) == 1
    assert deliver_due(app) == 0

    assert len(smtp_mail.received) == 1
    received = smtp_mail.received[0]
    assert received.mail_from == "noreply@mes-solutions-plus.fr"
    assert sorted(received.rcpt_tos) == ["courtier@cabinet-demo.fr", "jean.dupont@example.fr"]
    mail = received.message
    assert mail["To"] == "jean.dupont@example.fr"
    assert mail["Cc"] == "courtier@cabinet-demo.fr"
    assert mail["Subject"] == "Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage"
    assert mail["Message-ID"] == row(message_id).message_id
    assert "Lien : http://localhost/souscription/abc" in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert '<a href="http://localhost/souscription/abc">' in html
    assert "merci de ne pas y répondre directement" in html
    pieces = {piece.get_filename(): piece.get_content() for piece in mail.iter_attachments()}
    assert pieces == {"DEVIS.pdf": DEVIS, "Règles générales.pdf": REGLES}

    message = row(message_id)
    assert (message.status, message.attempts, message.last_error) == (Delivery.SENT, 1, None)
    assert message.sent_at is not None


def test_several_to_recipients(app, smtp_mail):
    queue(to="a@example.fr,b@example.fr", cc="")
    assert deliver_due(app) == 1
    (received,) = smtp_mail.received
    assert sorted(received.rcpt_tos) == ["a@example.fr", "b@example.fr"]
    assert received.message["Cc"] is None


def test_server_down_the_message_waits_then_goes_out_once_when_it_is_back(app, smtp_mail):
    port = smtp_mail.port
    smtp_mail.stop()
    failed_at = now()
    with freeze_time(failed_at, ignore=REAL_TIME_FOR) as clock:
        message_id = queue()
        assert deliver_due(app) == 0
        message = row(message_id)
        assert message.status is Delivery.PENDING
        assert message.attempts == 1
        assert f"SMTP 127.0.0.1:{port}" in message.last_error
        assert "refused" in message.last_error.lower()
        assert as_utc(message.next_attempt_at) == failed_at + backoff(1)

        # Back on the same port, but the retry is not due yet: nothing is sent.
        smtp_mail.start()
        assert smtp_mail.port == port
        clock.tick(backoff(1) - timedelta(seconds=1))
        assert deliver_due(app) == 0
        assert smtp_mail.received == []

        clock.tick(timedelta(seconds=2))
        assert deliver_due(app) == 1
        assert deliver_due(app) == 0
    assert len(smtp_mail.received) == 1
    assert smtp_mail.received[0].message_id == row(message_id).message_id
    message = row(message_id)
    assert (message.status, message.attempts) == (Delivery.SENT, 2)
    assert "refused" in message.last_error.lower()  # the history of the first try stays visible


def test_nothing_listening_on_the_port(app):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=5"
    try:
        message_id = queue()
        assert deliver_due(app) == 0
    finally:
        app.config["MAIL_URL"] = "outbox"
    message = row(message_id)
    assert (message.status, message.attempts) == (Delivery.PENDING, 1)
    assert "ConnectionRefusedError" in message.last_error


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_never_send_a_message_twice(app, smtp_mail, workers):
    ids = [queue(subject=f"Message {number}", to=f"client{number}@example.fr", cc="") for number in range(40)]
    start = threading.Barrier(workers)
    results, errors = [], []

    def work():
        try:
            start.wait(timeout=10)
            total = 0
            while (sent := deliver_due(app, limit=5)):  # small rounds: the workers interleave
                total += sent
            results.append(total)
        except Exception as error:  # noqa: BLE001  reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == len(ids)
    received_ids = [received.message_id for received in smtp_mail.received]
    assert len(received_ids) == len(ids)
    assert len(set(received_ids)) == len(ids)
    db.session.expire_all()
    statuses = db.session.scalars(select(Message.status).where(Message.id.in_(ids))).all()
    assert set(statuses) == {Delivery.SENT}


def test_postgresql_workers_skip_a_row_locked_by_another(app, smtp_mail):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED needs PostgreSQL (set TEST_DATABASE_URL)")
    locked_id = queue(subject="Verrouillé ailleurs")
    free_id = queue(subject="Libre")
    with db.engine.connect() as other:
        other.execute(text("SELECT id FROM message WHERE id = :id FOR UPDATE"), {"id": locked_id})
        done = []
        thread = threading.Thread(target=lambda: done.append(deliver_due(app)))
        started = time.monotonic()
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the worker waited for the locked row instead of skipping it"
        assert time.monotonic() - started < 5
        other.rollback()
    assert done == [1]
    assert [r.message["Subject"] for r in smtp_mail.received] == ["Libre"]
    assert row(locked_id).status is Delivery.PENDING
    assert row(free_id).status is Delivery.SENT
    assert deliver_due(app) == 1
    assert len(smtp_mail.received) == 2


# -- TLS and login ---------------------------------------------------------------------

def stored(message_id: int) -> Message:
    message = row(message_id)
    message.attachments  # loaded before the backend reads it
    return message


def test_starttls_then_login_with_the_credentials_of_the_url(app, smtp_certificate):
    with SmtpServer(starttls=smtp_certificate, users={"noreply@mes-solutions-plus.fr": "s3cret:@/"}) as server:
        backend = SmtpBackend(f"smtp://noreply%40mes-solutions-plus.fr:s3cret%3A%40%2F@127.0.0.1:{server.port}",
                              ssl_context=smtp_certificate.client_context())
        backend.send(stored(queue()))
        (received,) = server.received
    assert received.tls is True
    assert received.login == "noreply@mes-solutions-plus.fr"


def test_a_wrong_password_is_a_failure_worth_retrying(app, smtp_certificate):
    with SmtpServer(starttls=smtp_certificate, users={"noreply": "bon"}) as server:
        backend = SmtpBackend(f"smtp://noreply:mauvais@127.0.0.1:{server.port}", ssl_context=smtp_certificate.client_context())
        with pytest.raises(DeliveryError) as error:
            backend.send(stored(queue()))
        assert server.received == []
    assert not error.value.permanent
    assert "535" in str(error.value)


def test_the_server_certificate_is_checked(app, smtp_certificate):
    with SmtpServer(starttls=smtp_certificate) as server:
        backend = SmtpBackend(f"smtp://127.0.0.1:{server.port}")  # the system's trust store only
        with pytest.raises(DeliveryError, match="SSLCertVerificationError"):
            backend.send(stored(queue()))
        assert server.received == []


def test_starttls_can_be_turned_off_or_required(app, smtp_certificate):
    with SmtpServer(starttls=smtp_certificate) as offering:
        SmtpBackend(f"smtp://127.0.0.1:{offering.port}?starttls=0").send(stored(queue()))
        assert [r.tls for r in offering.received] == [False]
    with SmtpServer() as plain:
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            SmtpBackend(f"smtp://127.0.0.1:{plain.port}?starttls=1").send(stored(queue()))
        assert plain.received == []


def test_implicit_tls_with_smtps(app, smtp_certificate):
    with SmtpServer(implicit_tls=smtp_certificate) as server:
        assert server.url.startswith("smtps://")
        SmtpBackend(server.url, ssl_context=smtp_certificate.client_context()).send(stored(queue()))
        (received,) = server.received
    assert received.tls is True
    assert received.message["Subject"] == "Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage"
