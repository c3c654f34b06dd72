"""The worker as it runs: the loop beside the dev server, and `flask worker`."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.messaging import worker
from portal.messaging.models import Delivery, Message
from portal.messaging.service import queue_email
from portal.messaging.worker import run_worker


def queue(subject="Mes Solutions Plus - Initialisation de votre mot de passe") -> int:
    message = queue_email(to="nouveau@cabinet-demo.fr", subject=subject, template="test_message",
                          context={"name": "Paul", "link": "http://localhost/premiere-connexion/tok", "firm": None})
    db.session.commit()
    return message.id


def status(message_id: int) -> Delivery:
    db.session.expire_all()
    return db.session.get(Message, message_id).status


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def running_worker(app):
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app, stop), kwargs={"interval": 0.05}, daemon=True)

    def start():
        thread.start()
        return thread

    yield start
    stop.set()
    if thread.is_alive():
        thread.join(timeout=10)
    assert not thread.is_alive(), "the worker did not stop when asked"


def test_the_worker_loop_delivers_what_is_queued_while_it_runs(app, smtp_mail, running_worker):
    running_worker()
    message_id = queue()
    assert wait_for(lambda: len(smtp_mail.received) == 1)
    assert wait_for(lambda: status(message_id) is Delivery.SENT)
    time.sleep(0.3)  # a few more rounds: still one copy
    assert len(smtp_mail.received) == 1


def test_the_worker_loop_survives_a_failing_round(app, smtp_mail, running_worker, monkeypatch, caplog):
    real_round = worker.deliver_round
    calls = []

    def flaky_round(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("base de données injoignable")
        return real_round(*args, **kwargs)

    monkeypatch.setattr(worker, "deliver_round", flaky_round)
    message_id = queue()
    with caplog.at_level(logging.ERROR, logger="portal.messaging.worker"):
        running_worker()
        assert wait_for(lambda: len(smtp_mail.received) == 1)
    assert "Message delivery round failed" in caplog.text
    assert "base de données injoignable" in caplog.text
    assert wait_for(lambda: status(message_id) is Delivery.SENT)


def test_flask_worker_once_delivers_what_is_due_and_exits(app, smtp_mail):
    for number in range(3):
        queue(f"Message {number}")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 message(s) envoyé(s), 0 en échec" in result.output
    assert len(smtp_mail.received) == 3


def test_flask_worker_once_reports_failures(app, smtp_mail):
    smtp_mail.stop()
    message_id = queue()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "0 message(s) envoyé(s), 1 en échec" in result.output
    assert status(message_id) is Delivery.PENDING


def test_flask_worker_runs_until_sigterm(app, smtp_mail, database_url, tmp_path):
    message_id = queue()
    # The worker reads what the web wrote: it needs the same encryption key.
    env = {**os.environ, "DATABASE_URL": database_url, "MAIL_URL": smtp_mail.url, "INSTANCE_PATH": str(tmp_path),
           "FIELD_ENCRYPTION_KEY": app.config["FIELD_ENCRYPTION_KEY"], "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--interval", "0.2"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: len(smtp_mail.received) == 1 or process.poll() is not None, timeout=60), "nothing delivered"
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Arrêt demandé" in err
    assert "Message worker stopped" in err
    assert len(smtp_mail.received) == 1
    assert status(message_id) is Delivery.SENT
