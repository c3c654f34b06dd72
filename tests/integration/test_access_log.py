"""Access logs name the route, never a link's token nor a query string (searched names)."""
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from portal.access_log import RouteOnlyRequestHandler, loggable_path
from tests.integration.test_deployment import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Xq3v_9JkLm2Np4Rs6Tu8Vw0Yz1Ab3Cd5Ef7Gh9Ij-Kl"  # the shape of secrets.token_urlsafe(32)


@pytest.mark.parametrize("target, logged", [
    (f"/souscription/{TOKEN}", "/souscription/<jeton>"),
    (f"/souscription/{TOKEN}/devis.pdf", "/souscription/<jeton>/devis.pdf"),
    (f"/souscription/{TOKEN}/documents/ipid?x=1", "/souscription/<jeton>/documents/ipid"),
    (f"/mot-de-passe/initialiser/{TOKEN}", "/mot-de-passe/initialiser/<jeton>"),
    ("/portefeuille?nom=Dupont&page=2", "/portefeuille"),
    ("/?filtre=Martin#haut", "/"),
    (f"https://portail.example/souscription/{TOKEN}?a=b", "https://portail.example/souscription/<jeton>"),
    ("/devis/12/recapitulatif", "/devis/12/recapitulatif"),
    ("/vente-directe/smat-active-tns/documents/ipid", "/vente-directe/smat-active-tns/documents/ipid"),
])
def test_loggable_path(target, logged):
    assert loggable_path(target) == logged


REQUESTS = [(f"/souscription/{TOKEN}?nom=Dupont", None), (f"/mot-de-passe/initialiser/{TOKEN}", None),
            ("/portefeuille?nom=Dupont", None), ("/static/app.css", f"http://127.0.0.1/souscription/{TOKEN}?nom=Dupont")]


def get(port: int, path: str, referer: str | None) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Referer": referer} if referer else {})
    try:
        urllib.request.urlopen(request, timeout=30).read()
    except urllib.error.HTTPError:
        pass  # 404, 302: only the log line matters


def test_gunicorn_logs_the_route_without_token_nor_query(app, tmp_path):
    log = tmp_path / "access.log"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": secrets.token_urlsafe(48), "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "MAIL_URL": "outbox", "RATELIMIT_STORAGE_URI": "memory://", "GUNICORN_ACCESS_LOG": str(log),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # reads gunicorn.conf.py
    try:
        wait_for(port, server)
        for path, referer in REQUESTS:
            get(port, path, referer)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert TOKEN not in text and "Dupont" not in text and "nom" not in text
    # /portefeuille redirects to the login page, whose "next" would repeat the query: dropped too.
    request_lines = [line.split('"')[1] for line in text.splitlines()]
    assert request_lines == ["GET /souscription/<jeton> HTTP/1.1", "GET /mot-de-passe/initialiser/<jeton> HTTP/1.1",
                             "GET /portefeuille HTTP/1.1", "GET /connexion HTTP/1.1", "GET /static/app.css HTTP/1.1"]
    assert '"http://127.0.0.1/souscription/<jeton>"' in text.splitlines()[-1]


def test_the_local_server_logs_the_route_without_token_nor_query(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RouteOnlyRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path, referer in REQUESTS[:3]:
                get(server.port, path, referer)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    logged = [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage())  # without the terminal's colours
              for record in caplog.records if record.name == "werkzeug"]
    assert TOKEN not in "\n".join(logged) and "Dupont" not in "\n".join(logged) and "nom" not in "\n".join(logged)
    assert [line.split('"')[1] for line in logged] == [
        "GET /souscription/<jeton> HTTP/1.1", "GET /mot-de-passe/initialiser/<jeton> HTTP/1.1",
        "GET /portefeuille HTTP/1.1", "GET /connexion HTTP/1.1"]
