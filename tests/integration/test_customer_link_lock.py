"""The customer link under pressure: wrong birth dates posted at the same moment, to the threads of
one web process or to two processes, are all counted (real parallel HTTP requests); look-ups are
rate-limited on a clock that moves."""
import os
import secrets
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time

from bench.setup import ready_draft
from portal.journal.models import JournalEntry
from portal.clock import now
from portal.extensions import db
from portal.quotes.service import issue_quote
from portal.security import hash_token, new_token
from portal.subscription.models import CustomerLink
from tests.conftest import IsolatedClient, csrf_token
from tests.integration.test_deployment import ROOT, Browser, free_port, wait_for

ATTACKERS = 30


def customer_link(broker) -> str:
    """The path of a fresh link to an issued quote of the reference profile (born 04/05/1978)."""
    quote = issue_quote(ready_draft(broker), broker)
    token, token_hash = new_token()
    db.session.add(CustomerLink(quote_id=quote.id, token_hash=token_hash, expires_at=now() + timedelta(days=30)))
    db.session.commit()
    return f"/souscription/{token}"


def test_the_customer_communes_look_up_is_rate_limited_per_minute(app, broker):
    path = customer_link(broker)
    prospect = IsolatedClient(app, app.response_class, use_cookies=True)
    page = prospect.get(path)
    prospect.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "date_naissance": "04/05/1978"})
    # Ahead of the real time: the limiter's own expiry thread reads the real clock, and would
    # forget counters stamped in the past.
    with freeze_time(now() + timedelta(hours=1)) as clock:
        for _ in range(60):
            assert prospect.get(path + "/communes?code_postal=16000").status_code == 200
            clock.tick(0.5)
        assert prospect.get(path + "/communes?code_postal=16000").status_code == 429
        clock.tick(31)
        assert prospect.get(path + "/communes?code_postal=16000").status_code == 200


class Phone(Browser):
    """One prospect's browser over http.client, from its own loopback address (127.0.0.x), as
    many machines would: the per-address rate limit stays out of the way of what is measured."""

    def answer(self, path: str, birth_date: str, token: str) -> tuple[int, str]:
        return self.request("POST", path, {"csrf_token": token, "date_naissance": birth_date})


@pytest.mark.parametrize("gunicorn_options", [["--workers", "1", "--threads", "16"], ["--workers", "2"]],
                         ids=["threads of one process", "two processes"])
def test_thirty_wrong_birth_dates_at_once_lock_the_link(app, broker, tmp_path, gunicorn_options):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel web processes share one database only on PostgreSQL (set TEST_DATABASE_URL)")
    path = customer_link(broker)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_PATH": str(tmp_path),
           # The web processes read what the test wrote: the same encryption key.
           "SECRET_KEY": secrets.token_urlsafe(48), "FIELD_ENCRYPTION_KEY": app.config["FIELD_ENCRYPTION_KEY"],
           "BASE_URL": "http://127.0.0.1", "RATELIMIT_STORAGE_URI": "memory://"}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", *gunicorn_options, "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "--access-logfile", "/dev/null", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(port, server)
        phones = [Phone(port, f"127.0.0.{10 + n}") for n in range(ATTACKERS)]
        tokens = [phone.token(path) for phone in phones]
        start = threading.Barrier(ATTACKERS)
        answers = []

        def wrong_date(phone, csrf):
            start.wait(timeout=30)
            answers.append(phone.answer(path, "01/01/1970", csrf))

        threads = [threading.Thread(target=wrong_date, args=pair) for pair in zip(phones, tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(answers) == ATTACKERS
        assert {status for status, _ in answers} == {422}
        told_wrong = [page for _, page in answers if "ne correspond pas au devis" in page]
        told_locked = [page for _, page in answers if "Trop de dates de naissance erronées" in page]
        assert len(told_wrong) == 4 and len(told_locked) == 26
        for tries_left in ("4 essais", "3 essais", "2 essais", "1 essai."):
            assert sum(f"Il vous reste {tries_left}" in page for page in told_wrong) == 1, tries_left

        owner = Phone(port, "127.0.0.200")
        status, page = owner.answer(path, "04/05/1978", owner.token(path))
        assert status == 422 and "Trop de dates de naissance erronées" in page

        db.session.expire_all()
        locks = db.session.scalars(db.select(JournalEntry).where(JournalEntry.action == "Lien verrouillé")).all()
        assert len(locks) == 1
        # The lock ends: the right date opens the quote again.
        stored = db.session.scalar(db.select(CustomerLink).where(
            CustomerLink.token_hash == hash_token(path.rsplit("/", 1)[1])))
        stored.locked_until = now() - timedelta(seconds=1)
        db.session.commit()
        status, _ = owner.answer(path, "04/05/1978", owner.token(path))
        assert status == 302
    finally:
        server.terminate()
        server.wait(timeout=30)
