"""The broker's half as a deployment runs it: two gunicorn processes and two `flask worker`
processes on one PostgreSQL, files on S3-compatible object storage (moto's server on loopback),
quotes issued through both web processes (double clicks included, across processes), some
DEVIS.pdf opened while the workers lay them out, and every quote, file and e-mail counted once:
in the database, in the bucket and at a real SMTP server on loopback."""
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import http.client
from pathlib import Path

import hashlib

import pytest

from bench.setup import ready_draft
from portal.documents import product_documents
from portal.documents.product_documents import warm
from portal.extensions import db
from portal.messaging.models import Delivery, Job, JobStatus, Message
from portal.quotes.models import Quote
from portal.storage import StoredFile
from tests.conftest import PASSWORD
from tests.integration.test_storage_s3 import objects, s3, s3_server  # noqa: F401  fixtures

ROOT = Path(__file__).resolve().parents[2]
QUOTES = 12


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode(errors="replace")[-2000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


class Browser:
    """A cookie jar over http.client, enough to log in and post forms; from `address` (a loopback
    127.0.0.x) when given, as another machine would."""

    def __init__(self, port: int, address: str | None = None):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method: str, path: str, form: dict | None = None, raw: bool = False):
        source = (self.address, 0) if self.address else None
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120, source_address=source)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read() if raw else response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, data

    def token(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def login(self, email: str) -> None:
        status, _ = self.request("POST", "/connexion", {"csrf_token": self.token("/connexion"), "identifiant": email,
                                                        "mot_de_passe": PASSWORD})
        assert status == 302
        # Then the home page, as a browser follows the redirect: it gives the new session its CSRF
        # secret. Without it, the storm's first pages each made a different secret at once, the
        # last cookie written won, and the other pages' "Valider" were refused (400).
        assert self.request("GET", "/")[0] == 200


def test_two_web_processes_and_two_workers_deliver_every_email_exactly_once(app, broker, smtp_server, tmp_path, s3,
                                                                            s3_server):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several processes share one database only on PostgreSQL (set TEST_DATABASE_URL)")
    drafts = [ready_draft(broker).id for _ in range(QUOTES)]
    # The product documents are made once for the deployment, as `flask portal documents` does
    # after a release; otherwise each process would render them on its first quotes.
    previous = app.config["INSTANCE_PATH"]
    app.config["INSTANCE_PATH"] = str(tmp_path)
    try:
        product_documents.clear_memory()  # written to this deployment's disk, not only kept in memory
        warm()
    finally:
        app.config["INSTANCE_PATH"] = previous
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": secrets.token_urlsafe(48),
           # The drafts were written by this process: the deployment reads them with the same key.
           "FIELD_ENCRYPTION_KEY": app.config["FIELD_ENCRYPTION_KEY"],
           "MAIL_URL": smtp_server.url, "BASE_URL": "http://127.0.0.1", "RATELIMIT_STORAGE_URI": "memory://",
           # Every machine reads and writes the files in one bucket (the credentials are moto's).
           "STORAGE_URL": app.config["STORAGE_URL"], "STORAGE_S3_ENDPOINT_URL": s3_server}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for port in ports]
    try:
        for port, process in zip(ports, processes):
            wait_for(port, process)
        browsers = []
        for port in ports:
            browser = Browser(port)
            browser.login(broker.email)
            browsers.append(browser)

        failures = []

        def issue(quote_id: int) -> None:
            # The same draft is validated through both processes at once: a double click that
            # a load balancer spread over two machines.
            try:
                tokens = [b.token(f"/devis/{quote_id}/recapitulatif") for b in browsers]
                clicks = [threading.Thread(target=click, args=(b, quote_id, t)) for b, t in zip(browsers, tokens)]
                for thread in clicks:
                    thread.start()
                for thread in clicks:
                    thread.join()
            except Exception as error:  # noqa: BLE001  reported below, with the quote
                failures.append((quote_id, repr(error)))

        def click(browser: Browser, quote_id: int, token: str) -> None:
            try:
                status, body = browser.request("POST", f"/devis/{quote_id}/valider", {"csrf_token": token})
                if status != 302:
                    failures.append((quote_id, status, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))[-600:]))
            except Exception as error:  # noqa: BLE001
                failures.append((quote_id, repr(error)))

        # Every quote at once, each clicked on both processes: 24 "Valider" in flight.
        started = time.monotonic()
        issuers = [threading.Thread(target=issue, args=(quote_id,)) for quote_id in drafts]
        for thread in issuers:
            thread.start()
        for thread in issuers:
            thread.join()
        print(f"{QUOTES} quotes issued in {time.monotonic() - started:.1f} s")
        assert failures == []

        workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.2"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                   for _ in range(2)]
        try:
            # A broker opens some DEVIS.pdf while the workers lay them out: whoever comes first
            # lays it out, the other reads it from the bucket.
            opened = {quote_id: browsers[index % 2].request("GET", f"/devis/{quote_id}/document", raw=True)
                      for index, quote_id in enumerate(drafts[::3])}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                db.session.expire_all()
                waiting = db.session.scalar(db.select(db.func.count()).select_from(Job)
                                            .where(Job.status == JobStatus.PENDING))
                waiting += db.session.scalar(db.select(db.func.count()).select_from(Message)
                                             .where(Message.status == Delivery.PENDING))
                if waiting == 0:
                    break
                time.sleep(0.3)
            time.sleep(1)  # a duplicate, if any, would arrive now
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
            print(process.stderr.read().decode(errors="replace")[-3000:])

    db.session.expire_all()
    issued = db.session.scalars(db.select(Quote).where(Quote.id.in_(drafts))).all()
    assert all(quote.version == 1 for quote in issued)
    assert len({quote.number for quote in issued}) == QUOTES
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == QUOTES
    assert set(db.session.scalars(db.select(Job.status))) == {JobStatus.DONE}
    received = [mail.message["Message-ID"] for mail in smtp_server.received]
    assert len(received) == QUOTES and len(set(received)) == QUOTES
    # Each DEVIS.pdf once: one record, one object in the bucket, the file attached to its e-mail.
    keys = {quote.pdf_key for quote in issued}
    assert None not in keys and len(keys) == QUOTES
    records = db.session.scalars(db.select(StoredFile)).all()
    assert sorted(record.sha256 for record in records) == sorted(keys)
    assert sorted(objects(s3)) == sorted(f"portail/{key}" for key in keys)
    sent_devis = set()
    for mail in smtp_server.received:
        parts = {part.get_filename(): part.get_payload(decode=True) for part in mail.message.iter_attachments()}
        assert len(parts) == 6
        sent_devis.add(hashlib.sha256(parts["DEVIS.pdf"]).hexdigest())
    assert sent_devis == keys
    for quote_id, (status, content) in opened.items():
        assert status == 200 and hashlib.sha256(content).hexdigest() == db.session.get(Quote, quote_id).pdf_key
