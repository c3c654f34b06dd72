"""Load test of the broker journey against gunicorn on loopback, bounded in time.

    python -m bench.journey [--database-url URL] [--users 8] [--seconds 60] [--workers 5] [--job-workers 1]
                            [--job-workers-nice 10] [--pause 0]

Each virtual broker logs in once, then repeats what a broker does all day: Accueil (agenda),
Vente directe › the four wizard screens, "Valider et envoyer le devis au client" (the issued
version and its job committed; `flask worker` processes beside gunicorn lay out DEVIS.pdf and
queue the e-mail), a portfolio search. One journey in `--sign-every` (4) goes on as the
prospect of that quote: the e-mail's link, the birth date, the four subscription steps, the
electronic signature (three documents shown and accepted, the SMS code read from the outbox,
"Signer": sealing, proof, e-mails). Prints one JSON line: requests/s, latency percentiles per
step and overall, errors, and two figures:

- valider_p95_vs_screen_p95: "Valider et envoyer" p95 against the p95 of the wizard screens
  (GET and POST of besoins, solutions, coordonnees, recapitulatif) in the same run;
- quote_email_ready_p95_s: from the click to the e-mail ready for SMTP (its row in the outbox,
  six attachments included), p95 over every quote issued during the run.

The database is emptied and recreated first: give it a database of its own (PostgreSQL for
figures that mean something; SQLite by default).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from .load import _free_port, _wait_until_up

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Benchmark+2026!"
SCREENS = ("besoins", "solutions", "coordonnees", "recapitulatif")
DRAIN_SECONDS = 120  # the workers' time to finish the quotes issued at the end of the run


def prepare(database_url: str, instance: str, users: int) -> None:
    from portal import create_app
    from portal.signature.certificate import LOCAL_DIRECTORY, local_identity
    from portal.auth.models import Firm, Role, User
    from portal.auth.passwords import hash_password
    from portal.documents.product_documents import warm
    from portal.extensions import db

    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        firm = Firm(name="Cabinet Charge", orias="07000098", phone="05 45 00 00 98", address="1 rue du Banc, 16000 Angoulême",
                    email="contact@charge.example")
        db.session.add(firm)
        hashed = hash_password(PASSWORD)
        db.session.add_all([User(email=f"courtier{n}@charge.example", role=Role.BROKER, firm=firm, first_name="Courtier",
                                 last_name=str(n), password_hash=hashed) for n in range(users)])
        db.session.commit()
        warm()
    local_identity(Path(instance) / LOCAL_DIRECTORY)  # made once here, not by the first signature


class Broker:
    """One virtual broker: its own cookies, its own timings."""

    def __init__(self, port: int, email: str, effect: str, results: dict, lock: threading.Lock, clicks: dict):
        self.port, self.email, self.effect = port, email, effect
        self.cookies: dict = {}
        self.results, self.lock = results, lock
        self.clicks = clicks  # quote id → wall-clock time of its "Valider et envoyer"

    def call(self, step: str, method: str, path: str, form: dict | None = None, expect=(200, 302)) -> str:
        import http.client
        import urllib.parse

        body, headers = None, {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        ok, text, location = False, "", ""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
                elif name.lower() == "location":
                    location = value
            connection.close()
            ok = response.status in expect
        except OSError:
            ok = False
        elapsed = time.perf_counter() - start
        with self.lock:
            self.results.setdefault(step, []).append(elapsed)
            if not ok:
                self.results.setdefault("errors", []).append(f"{step} {method} {path}")
        return location or text

    @staticmethod
    def token(page: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        return match.group(1) if match else ""

    def login(self) -> None:
        page = self.call("connexion", "GET", "/connexion")
        self.call("connexion", "POST", "/connexion", {"csrf_token": self.token(page), "identifiant": self.email,
                                                     "mot_de_passe": PASSWORD}, expect=(302,))

    def journey(self, index: int, mobile: str = "06 12 34 56 78") -> None:
        self.call("accueil", "GET", "/")
        page = self.call("besoins", "GET", "/vente-directe/smat-active-tns/devis")
        key = re.search(r'name="creation_key" value="([^"]+)"', page)
        location = self.call("besoins", "POST", "/vente-directe/smat-active-tns/devis", {
            "csrf_token": self.token(page), "creation_key": key.group(1) if key else "",
            "besoin_optique": "4", "besoin_dentaire": "2", "besoin_audiologie": "1", "besoin_hospitalisation": "1",
            "besoin_depassements": "4", "date_effet": self.effect, "regime": "general", "code_postal": "16000",
            "ville": "16015", "date_naissance": "1978-05-04", "conjoint": "oui", "date_naissance_conjoint": "1980-02-29",
            "enfants": "oui", "nombre_enfants": "2"}, expect=(302,))
        found = re.search(r"/devis/(\d+)/", location)
        if not found:
            return
        quote = found.group(1)
        page = self.call("solutions", "GET", f"/devis/{quote}/solutions")
        self.call("solutions", "POST", f"/devis/{quote}/solutions",
                  {"csrf_token": self.token(page), "formule": "300", "options": ["surcomplementaire"], "action": "suivant"},
                  expect=(302,))
        page = self.call("coordonnees", "GET", f"/devis/{quote}/coordonnees")
        self.call("coordonnees", "POST", f"/devis/{quote}/coordonnees", {
            "csrf_token": self.token(page), "civilite": "Madame", "nom": "Lefèvre", "prenom": "Élodie",
            "date_naissance": "1978-05-04", "adresse": "3 rue de Montmoreau", "code_postal": "16000", "ville": "16015",
            "pays": "France", "telephone_portable": mobile, "email": f"client{index}@exemple.fr",
            "action": "suivant"}, expect=(302,))
        page = self.call("recapitulatif", "GET", f"/devis/{quote}/recapitulatif")
        clicked = time.time()
        self.call("valider", "POST", f"/devis/{quote}/valider", {"csrf_token": self.token(page)}, expect=(302,))
        with self.lock:
            self.clicks[int(quote)] = clicked
        self.call("recherche", "GET", "/portefeuille?nom=lef")


class Outbox:
    """The messages the portal queued, read from its database as the prospect's phone and
    mailbox would receive them (the bench shares the web's encryption key)."""

    def __init__(self, app):
        self.app = app

    def _last(self, channel, to: str) -> str:
        """The newest message's text; once delivered (and scrubbed), the outbox's local copy."""
        from portal.extensions import db
        from portal.messaging.backends import local_copies, read_local_copy
        from portal.messaging.models import Message

        with self.app.app_context():
            row = db.session.execute(db.select(Message.body_text, Message.message_id, Message.scrubbed_at)
                                     .where(Message.channel == channel, Message.to == to)
                                     .order_by(Message.id.desc()).limit(1)).first()
            db.session.remove()
            if row is None:
                return ""
            copies = local_copies(self.app)
            copy = read_local_copy(copies, row.message_id) if row.scrubbed_at and copies else None
        return copy.text if copy else row.body_text

    def _wait_for(self, pattern: str, channel, to: str, seconds: float) -> str:
        """The workers write the e-mail (and deliver the SMS) a moment after the click."""
        deadline = time.monotonic() + seconds
        while True:
            found = re.search(pattern, self._last(channel, to))
            if found or time.monotonic() >= deadline:
                return found.group(1) if found else ""
            time.sleep(0.2)

    def link(self, email: str, seconds: float = 20) -> str:
        from portal.messaging.models import Channel
        return self._wait_for(r"https?://[^/\s]+(/souscription/\S+)", Channel.EMAIL, email, seconds)

    def code(self, mobile: str, seconds: float = 10) -> str:
        from portal.messaging.models import Channel
        return self._wait_for(r"votre code de signature est (\d{6})", Channel.SMS, mobile, seconds)


def mobile_of(index: int) -> tuple[str, str]:
    """A French mobile of its own per prospect: (as typed, E.164)."""
    digits = f"{index % 10 ** 8:08d}"
    return "06 " + " ".join(digits[i:i + 2] for i in range(0, 8, 2)), "+336" + digits


class Prospect(Broker):
    """The client of a quote just issued: its own browser, on the e-mail's link."""

    def subscribe_and_sign(self, link: str, mobile: str, e164: str, outbox: Outbox) -> None:
        page = self.call("lien", "GET", link)
        self.call("lien", "POST", link, {"csrf_token": self.token(page), "date_naissance": "1978-05-04"}, expect=(302,))
        steps = {
            1: {"civilite": "Madame", "nom": "Lefèvre", "prenom": "Élodie", "nir": "278051601512303", "mobile": mobile,
                "tns": "on", "conjoint_prenom": "Marc", "conjoint_nom": "Lefèvre", "conjoint_nir": "180022A00401273",
                "enfant1_prenom": "Zoé", "enfant1_nom": "Lefèvre", "enfant1_date_naissance": "01/07/2012",
                "enfant2_prenom": "Hugo", "enfant2_nom": "Lefèvre", "enfant2_date_naissance": "03/09/2015"},
            2: {"connaissance": "on"},
            3: {"titulaire": "Élodie Lefèvre", "iban": "FR7630006000011234567890189", "periodicite": "mensuel",
                "jour_prelevement": "5"},
        }
        for number, answers in steps.items():
            page = self.call(f"etape{number}", "GET", f"{link}/etape/{number}")
            self.call(f"etape{number}", "POST", f"{link}/etape/{number}", {"csrf_token": self.token(page), **answers},
                      expect=(302,))
        page = self.call("etape4", "GET", f"{link}/etape/4")
        self.call("etape4", "POST", f"{link}/signature-choisie", {"csrf_token": self.token(page),
                                                                  "signature": "electronique"}, expect=(302,))
        base = link + "/signature"
        page = self.call("signature_debut", "GET", base)
        self.call("signature_debut", "POST", base, {"csrf_token": self.token(page), "tentative": "0"}, expect=(302,))
        for index in (1, 2, 3):
            page = self.call("document", "GET", f"{base}/document/{index}")
            self.call("document_page", "GET", f"{base}/document/{index}/page/1.png")
            key = re.search(r'name="document" value="([0-9a-f]{64})"', page)
            self.call("accepter", "POST", f"{base}/document/{index}", {
                "csrf_token": self.token(page), "document": key.group(1) if key else "", "consentement_1": "oui",
                "consentement_2": "oui", "consentement_3": "oui"}, expect=(302,))
        page = self.call("signer", "GET", f"{base}/signer")
        self.call("signer", "POST", f"{base}/signer", {"csrf_token": self.token(page), "code": outbox.code(e164),
                                                       "condition_1": "oui", "condition_2": "oui"}, expect=(302,))


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.50), 1), "p95_ms": round(pick(0.95), 1),
            "p99_ms": round(pick(0.99), 1), "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


def _reader(database_url: str, instance: str, secret_key: str, encryption_key: str):
    from portal import create_app
    return create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key,
                       "FIELD_ENCRYPTION_KEY": encryption_key})


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def email_ready_delays(database_url: str, instance: str, key: str, clicks: dict) -> list[float]:
    """Seconds from each click to its e-mail's row in the outbox, once the workers are done
    (DRAIN_SECONDS at most); a quote still without e-mail then counts as DRAIN_SECONDS."""
    from portal import create_app
    from portal.extensions import db
    from portal.messaging.models import Job, JobStatus, Message

    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": database_url, "FIELD_ENCRYPTION_KEY": key})
    with app.app_context():
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and db.session.scalar(
                db.select(db.func.count()).select_from(Job).where(Job.status == JobStatus.PENDING)):
            db.session.rollback()
            time.sleep(0.5)
        ready = {int(about.split(":")[1]): created.timestamp() for about, created in db.session.execute(
            db.select(Message.about, Message.created_at).where(Message.about.like("quote:%")))}
    return [ready.get(quote_id, clicked + DRAIN_SECONDS) - clicked for quote_id, clicked in clicks.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journey")
    parser.add_argument("--database-url", default="", help="a database of its own (emptied); SQLite in a temporary folder by default")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--sign-every", type=int, default=4, help="one journey in N goes on to the signature (0: none)")
    parser.add_argument("--job-workers", type=int, default=1, help="`flask worker` processes beside gunicorn")
    parser.add_argument("--job-workers-nice", type=int, default=10, help="their niceness (0: the web processes' priority)")
    parser.add_argument("--pause", type=float, default=0, help="seconds each broker waits between two journeys")
    args = parser.parse_args(argv)

    from portal.clock import today

    with tempfile.TemporaryDirectory() as instance:
        database_url = args.database_url or f"sqlite:///{instance}/load.db"
        prepare(database_url, instance, args.users)
        port = _free_port()
        secret_key, encryption_key = secrets.token_urlsafe(48), Fernet.generate_key().decode()
        outbox = Outbox(_reader(database_url, instance, secret_key, encryption_key))
        key = encryption_key
        env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_PATH": instance, "SECRET_KEY": secret_key,
               "FIELD_ENCRYPTION_KEY": encryption_key, "GUNICORN_BIND": f"127.0.0.1:{port}", "MAIL_URL": "outbox",
               "WEB_CONCURRENCY": str(args.workers), "GUNICORN_ACCESS_LOG": "/dev/null", "GUNICORN_LOG_LEVEL": "warning"}
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Below the web processes' priority, as DEPLOYMENT.md sets them when they share a machine.
        workers = [subprocess.Popen(["nice", "-n", str(args.job_workers_nice), sys.executable, "-m", "flask", "--app", "wsgi",
                                     "worker", "--interval", "0.5"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(args.job_workers)]
        clicks: dict = {}
        try:
            _wait_until_up(port, server)
            effect = (today().replace(day=1) + timedelta(days=32)).replace(day=1).isoformat()
            results: dict = {}
            lock = threading.Lock()
            stop = time.monotonic() + args.seconds
            counts = [0] * args.users
            signatures = [0] * args.users

            def user(n: int) -> None:
                broker = Broker(port, f"courtier{n}@charge.example", effect, results, lock, clicks)
                broker.login()
                while time.monotonic() < stop:
                    index = n * 100_000 + counts[n]
                    mobile, e164 = mobile_of(index)
                    broker.journey(index, mobile)
                    counts[n] += 1
                    if args.sign_every and (counts[n] - 1) % args.sign_every == 0 and time.monotonic() < stop:
                        link = outbox.link(f"client{index}@exemple.fr")
                        if link:
                            Prospect(port, "", effect, results, lock, {}).subscribe_and_sign(link, mobile, e164, outbox)
                            signatures[n] += 1
                    time.sleep(max(0.0, min(args.pause, stop - time.monotonic())))

            started = time.perf_counter()
            threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            server.terminate()
            delays = email_ready_delays(database_url, instance, key, clicks)
        finally:
            for process in [server, *workers]:
                process.terminate()
                process.wait(timeout=30)
    errors = results.pop("errors", [])
    screens = [value for step in SCREENS for value in results.get(step, [])]
    every = [value for values in results.values() for value in values]
    print(json.dumps({
        "database": database_url.split(":", 1)[0], "users": args.users, "workers": args.workers,
        "job_workers": args.job_workers, "pause_s": args.pause,
        "seconds": round(elapsed, 1), "requests": len(every), "requests_per_s": round(len(every) / elapsed, 1),
        "journeys": sum(counts), "quotes_issued_per_s": round(len(results.get("valider", [])) / elapsed, 2),
        "signatures": sum(signatures),
        "errors": len(errors), "first_errors": errors[:5], "all": percentiles(every),
        "valider_p95_vs_screen_p95": round(p95(results["valider"]) / p95(screens), 2) if screens and results.get("valider") else None,
        "quote_email_ready_p95_s": round(p95(delays), 2) if delays else None,
        "quote_email_ready": percentiles(delays) if delays else None,
        "steps": {step: percentiles(values) for step, values in sorted(results.items())},
    }, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
