"""The portfolio's figures: search latency at 100 000 clients against 1 000, and the export of
100 000 unconverted quotes against a bare SELECT written with csv.writer (time and memory)."""
from __future__ import annotations

import csv
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time

from . import setup

SEARCHES = ("dup", "Lefèvre", "MARTIN", "le goff", "saint-hil", "ø")


def portfolio_db(directory: str, clients: int, all_unconverted: bool = False):
    """The bench app with `clients` generated clients (quotes all "Validé" when asked)."""
    from portal.clock import today
    from portal.extensions import db
    from portal.portfolio.generate import generate
    from portal.quotes.models import Quote, QuoteStatus

    app = setup.make_app(directory)
    with app.app_context():
        user = setup.broker()
        generate(user.firm, user, clients)
        if all_unconverted:
            db.session.execute(db.update(Quote).values(status=QuoteStatus.VALIDE, expires_on=today().replace(year=today().year + 1)))
            db.session.commit()
    return app


def search_latency(clients: int, rounds: int) -> float:
    """Median seconds of a "Portefeuille › Recherche" page (prefix search, first page)."""
    with tempfile.TemporaryDirectory() as directory:
        app = portfolio_db(directory, clients)
        client = app.test_client()
        page = client.get("/connexion").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/connexion", data={"csrf_token": token, "identifiant": setup.BROKER_EMAIL,
                                        "mot_de_passe": setup.PASSWORD})
        timings = []
        for _ in range(rounds):
            for text in SEARCHES:
                start = time.perf_counter()
                response = client.get("/portefeuille", query_string={"nom": text})
                timings.append(time.perf_counter() - start)
                assert response.status_code == 200
        return statistics.median(timings[len(SEARCHES):])  # the first round warms the caches


def export_run(clients: int) -> dict:
    """The database is filled here; the export runs in a fresh process on it, so that the peak
    memory it reports is the export's own (and not the data generation's)."""
    with tempfile.TemporaryDirectory() as directory:
        portfolio_db(directory, clients, all_unconverted=True)
        code = f"import json, bench.portfolio as p; print(json.dumps(p._export_in_process({directory!r})))"
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _export_in_process(directory: str) -> dict:
    from portal.clock import today
    from portal.portfolio import exports

    app = setup.make_app(directory)
    with app.app_context():
        user = setup.broker()
        # Everything but the export's rows is loaded: the catalog, the query compiled once.
        for _ in exports.csv_chunks(exports.UNCONVERTED, exports.unconverted_rows(user, today(), firm_id=-1)):
            pass
        rss_before = _start_peak()
        start = time.perf_counter()
        rows = 0
        for chunk in exports.csv_chunks(exports.UNCONVERTED, exports.unconverted_rows(user, today())):
            rows += chunk.count("\n")
        seconds = time.perf_counter() - start
        rss_after = _peak()
        raw = _raw_export()  # after, so that its own memory does not hide the export's
        decrypt = _decryption()
    return {"export_s": seconds, "raw_s": raw, "rows": rows - 1, "rss_growth_mb": (rss_after - rss_before) / 1024,
            "decrypt_s": decrypt}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _start_peak() -> int:
    """Current RSS in KiB, with the kernel's peak (VmHWM) reset to it, so that the peak read
    after the export is the export's own."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status_kb("VmRSS")


def _peak() -> int:
    return _status_kb("VmHWM")


def _decryption() -> float:
    """What the export cannot avoid beyond the raw SELECT: decrypting the e-mail and mobile of
    every row (Fernet: an HMAC and an AES block decryption per value), timed alone."""
    from portal.extensions import db
    from portal.security import decrypt

    tokens = [token for row in db.session.execute(db.text("SELECT email, mobile FROM quote WHERE status = 'valide'"))
              for token in row if token is not None]
    start = time.perf_counter()
    for token in tokens:
        decrypt(token)
    return time.perf_counter() - start


def _raw_export() -> float:
    """The floor: the same columns SELECTed with the driver and written by csv.writer, nothing else."""
    from portal.extensions import db

    connection = db.engine.raw_connection()
    try:
        start = time.perf_counter()
        cursor = connection.cursor()
        cursor.execute("SELECT last_name, first_name, email, mobile, number, version, product_code, formula_code, "
                       "monthly, issued_on, expires_on, broker_id FROM quote WHERE status = 'valide' "
                       "ORDER BY issued_on DESC, id DESC")
        sink = io.StringIO()
        writer = csv.writer(sink, delimiter=";")
        while True:
            batch = cursor.fetchmany(2000)
            if not batch:
                break
            writer.writerows(batch)
            sink.seek(0)
            sink.truncate()
        return time.perf_counter() - start
    finally:
        connection.close()
