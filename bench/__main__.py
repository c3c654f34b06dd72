"""`make bench`: every figure is a ratio (or an absolute of the same process), measured now,
on this machine, so a noisy machine does not change the verdict. One JSON line per figure.

    python -m bench [--only NAME ...] [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from timeit import Timer

from . import load, setup

GOALS = {  # figure → (comparison, goal), from the quality bars
    "pricing_us": ("<=", 500),
    "quote_issue_vs_bare_pdf": ("<=", 2.0),
    "formula_page_rps_vs_hello": (">=", 0.30),
    "search_100k_vs_1k": ("<=", 2.0),
    "export_100k_vs_raw": ("<=", 2.0),
    "export_100k_rss_mb": ("<=", 60),
    "seal_3_vs_pyhanko_bare": ("<=", 1.5),
    "upload_5mb_vs_copy": ("<=", 3.0),
    "autosave_vs_bare_write": ("<=", 4.0),
    "backoffice_queue_100k_vs_1k": ("<=", 2.0),
}


def emit(name: str, value: float, **detail) -> None:
    comparison, goal = GOALS[name]
    met = value <= goal if comparison == "<=" else value >= goal
    print(json.dumps({"figure": name, "value": round(value, 3), "goal": f"{comparison} {goal}", "met": met, **detail},
                     ensure_ascii=False), flush=True)


def pricing_us(quick: bool) -> None:
    """Price and rank every formula and option (recommend, which prices them all) for a family."""
    from portal.catalog.loader import get_catalog
    from portal.catalog.pricing import Family
    from portal.catalog.recommend import price_all, recommend

    product = get_catalog().product("smat-active-tns")
    family = Family(date(1978, 5, 4), date(2026, 12, 1), "general", "3", date(1980, 2, 29), 3)
    needs = {"optique": 4, "dentaire": 2, "audiologie": 1, "hospitalisation": 1, "depassements": 4}
    number = 200 if quick else 2000
    # price_all keeps its results per family: time the computation itself, not the cache.
    uncached = price_all.__wrapped__
    runs = Timer(lambda: recommend(product, needs, family, uncached(product, family))).repeat(repeat=7, number=number)
    emit("pricing_us", min(runs) / number * 1e6, family="conjoint + 3 enfants, zone 3", runs=number * 7)


def quote_issue_vs_bare_pdf(quick: bool) -> None:
    """The click on "Valider et envoyer" (number, version, person, event, journal, the job;
    commit) against WeasyPrint rendering a bare page with default settings. The job the click
    leaves to the worker (DEVIS.pdf laid out and stored, e-mail queued with the cached product
    documents) is timed too, as job_ms: it is moved off the click, not made free."""
    from weasyprint import HTML

    from portal.catalog.loader import get_catalog
    from portal.documents.product_documents import warm
    from portal.extensions import db
    from portal.messaging.jobs import run_due_jobs
    from portal.quotes.models import Quote
    from portal.quotes.service import issue_quote

    count = 8 if quick else 30
    with tempfile.TemporaryDirectory() as directory:
        app = setup.make_app(directory)
        with app.app_context():
            warm(get_catalog())
            user = setup.broker()
            drafts = [setup.ready_draft(user).id for _ in range(count + 2)]
            timings = []
            for quote_id in drafts:
                quote = db.session.get(Quote, quote_id)
                start = time.perf_counter()
                issue_quote(quote, user)
                timings.append(time.perf_counter() - start)
            issue = statistics.median(timings[2:])  # the first two warm the template caches

            def one_job():
                assert run_due_jobs(app, "bench", limit=1) == 1

            job = statistics.median(_timed(one_job, len(drafts))[2:])
    bare_html = "<html><body><h1>Devis</h1><p>Une page.</p></body></html>"
    HTML(string=bare_html).write_pdf()
    bare = statistics.median(_timed(lambda: HTML(string=bare_html).write_pdf(), count))
    emit("quote_issue_vs_bare_pdf", issue / bare, issue_ms=round(issue * 1000, 1), bare_pdf_ms=round(bare * 1000, 1),
         job_ms=round(job * 1000, 1), quotes=count)


def formula_page_rps_vs_hello(quick: bool) -> None:
    """Requests/s of "Vos solutions" (every formula and option priced, SVG chart) against a
    Flask hello-world, both under the same gunicorn settings, loaded from loopback."""
    seconds = 3 if quick else 8
    with tempfile.TemporaryDirectory() as directory:
        app = setup.make_app(directory)
        with app.app_context():
            user = setup.broker()
            quote_id = setup.ready_draft(user, screen=2).id
        portal = load.measure("wsgi:app", f"/devis/{quote_id}/solutions", seconds, login=(setup.BROKER_EMAIL, setup.PASSWORD),
                              env={"INSTANCE_PATH": directory, "DATABASE_URL": setup.database_url(directory)})
        hello = load.measure("bench.hello:app", "/", seconds)
    emit("formula_page_rps_vs_hello", portal.rps / hello.rps, formula_page_rps=round(portal.rps, 1),
         hello_rps=round(hello.rps, 1), gunicorn=load.GUNICORN_SETTINGS, errors=portal.errors + hello.errors)


def search_100k_vs_1k(quick: bool) -> None:
    """People search (a page of results by name prefix) with 100 000 clients against 1 000."""
    from . import portfolio

    big = 10_000 if quick else 100_000
    small = portfolio.search_latency(1_000, 5)
    large = portfolio.search_latency(big, 5)
    emit("search_100k_vs_1k", large / small, clients=big, median_ms_1k=round(small * 1000, 2),
         median_ms_large=round(large * 1000, 2))


def export_100k(quick: bool) -> None:
    """CSV export of 100 000 unconverted quotes: time against the bare SELECT + csv.writer, and
    the peak memory growth of the process while it runs."""
    from . import portfolio

    clients = 10_000 if quick else 50_000  # two quote versions per client on average: ≈ 100 000 rows
    run = portfolio.export_run(clients)
    # decrypt_s: the e-mail and mobile columns' Fernet decryption alone, which the raw SELECT skips.
    emit("export_100k_vs_raw", run["export_s"] / run["raw_s"], rows=run["rows"], export_s=round(run["export_s"], 2),
         raw_s=round(run["raw_s"], 2), decrypt_s=round(run["decrypt_s"], 2))
    emit("export_100k_rss_mb", run["rss_growth_mb"], rows=run["rows"])


def backoffice_queue_100k_vs_1k(quick: bool) -> None:
    """The back-office's queue of transmitted dossiers (first page, filters by firm, product and
    age, a third page) with 100 000 contracts against 1 000."""
    from . import backoffice

    big = 10_000 if quick else 100_000
    small = backoffice.queue_latency(1_000, 5)
    large = backoffice.queue_latency(big, 5)
    emit("backoffice_queue_100k_vs_1k", large / small, contracts=big, median_ms_1k=round(small * 1000, 2),
         median_ms_large=round(large * 1000, 2))


def seal_3_vs_pyhanko_bare(quick: bool) -> None:
    """Sealing three product PDFs as signing does (hashes, name and reason, PAdES-B-B) against
    pyHanko's sign_pdf on the same three PDFs with the same key and signer object. For
    reference, stock_ms: the same with pyHanko's stock SimpleSigner, which re-parses the key."""
    from . import signature

    run = signature.measure(3 if quick else 10)
    emit("seal_3_vs_pyhanko_bare", run["portal_s"] / run["bare_s"], portal_ms=round(run["portal_s"] * 1000, 1),
         bare_ms=round(run["bare_s"] * 1000, 1), stock_ms=round(run["stock_s"] * 1000, 1), rounds=run["rounds"])


def upload_5mb_vs_copy(quick: bool) -> None:
    """Receiving a 5 Mo phone photo (type by content, re-opened, turned into a PDF, hashed,
    encrypted and stored with its record) against writing the same bytes as they are to the
    same storage backend. Each run sends a different photo (another JPEG comment), so neither
    side is spared by content addressing. The antivirus is a separate service: when CLAMD_URL is
    set, its scan is timed apart (scan_ms), not in the ratio."""
    import hashlib
    import os

    from portal import storage
    from portal.dossiers.uploads import receive_upload, scan_for_viruses
    from portal.extensions import db

    from .photo import phone_photo

    count = 3 if quick else 10
    photo = phone_photo()
    clamd_url = os.environ.get("CLAMD_URL", "")
    with tempfile.TemporaryDirectory() as directory:
        app = setup.make_app(directory)
        with app.app_context():
            receive, copy, scan = [], [], []
            for run in range(count + 1):  # the first run warms the libraries
                sent = photo[:2] + b"\xff\xfe\x00\x10" + f"envoi {run:08d}".encode() + photo[2:]
                start = time.perf_counter()
                receive_upload("IMG_0001.jpg", sent, owner=("bench", run), kind="piece", created_by=None)
                db.session.commit()
                middle = time.perf_counter()
                storage.backend().write(hashlib.sha256(sent).hexdigest(), sent)
                end = time.perf_counter()
                if clamd_url:
                    scan_for_viruses(sent, "IMG_0001.jpg", clamd_url)
                    scan.append(time.perf_counter() - end)
                if run:
                    receive.append(middle - start)
                    copy.append(end - middle)
    received, copied = statistics.median(receive), statistics.median(copy)
    detail = {"receive_ms": round(received * 1000, 1), "copy_ms": round(copied * 1000, 1),
              "photo_mb": round(len(photo) / 1e6, 2), "runs": count}
    if scan:
        detail["scan_ms"] = round(statistics.median(scan) * 1000, 1)
    emit("upload_5mb_vs_copy", received / copied, **detail)


def autosave_vs_bare_write(quick: bool) -> None:
    """One autosave request of the subscription's step 1 (spouse and two children) against a
    bare SQLAlchemy Core UPDATE of the same row with the same values (encrypted alike)."""
    from . import autosave

    run = autosave.measure(10 if quick else 50)
    emit("autosave_vs_bare_write", run["autosave_s"] / run["bare_s"], autosave_ms=round(run["autosave_s"] * 1000, 2),
         bare_write_ms=round(run["bare_s"] * 1000, 2), runs=run["runs"])


FIGURES = {"pricing_us": pricing_us, "quote_issue_vs_bare_pdf": quote_issue_vs_bare_pdf,
           "formula_page_rps_vs_hello": formula_page_rps_vs_hello, "search_100k_vs_1k": search_100k_vs_1k,
           "export_100k": export_100k, "seal_3_vs_pyhanko_bare": seal_3_vs_pyhanko_bare,
           "upload_5mb_vs_copy": upload_5mb_vs_copy, "autosave_vs_bare_write": autosave_vs_bare_write,
           "backoffice_queue_100k_vs_1k": backoffice_queue_100k_vs_1k}


def _timed(function, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", nargs="*", choices=sorted(FIGURES), help="figures to measure (all by default; "
                        "export_100k gives export_100k_vs_raw and export_100k_rss_mb)")
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a quick look")
    args = parser.parse_args(argv)
    for name in args.only or FIGURES:
        FIGURES[name](args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
