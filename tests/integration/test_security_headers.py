"""Security headers on every page, and the French error pages."""
from __future__ import annotations

import re
from html import unescape

import pytest

from portal.extensions import db
from portal.quotes.models import Quote
from tests.conftest import IsolatedClient, csrf_token
from tests.integration.wizard import Wizard


def directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/connexion", "/premiere-connexion", "/mot-de-passe", "/page-qui-n-existe-pas"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = directives(response.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}
    if response.status_code == 200:  # pages with a form or personal data are never cached
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client):
    for path in ["/connexion", "/premiere-connexion", "/mot-de-passe"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html


def test_session_cookie_is_http_only_and_same_site(client):
    cookie = client.get("/connexion").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_french_404_page(client):
    response = client.get("/page-qui-n-existe-pas")
    assert response.status_code == 404
    body = unescape(response.get_data(as_text=True))
    assert '<html lang="fr">' in body
    assert "Page introuvable" in body
    assert "La page demandée n'existe pas ou n'est plus disponible." in body


def test_french_405_page(client):
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert "Action impossible" in unescape(response.get_data(as_text=True))


FAR_FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


def assert_never_stored(response):
    assert response.status_code == 200 and response.data
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers


@pytest.mark.usefixtures("quote_day")
def test_files_with_personal_data_are_never_stored_nor_revalidated(app, client, broker, login, outbox):
    login(broker.email)
    Wizard(client).walk()
    quote = db.session.scalar(db.select(Quote))
    # A browser that claims a fresh copy still gets the file, never a 304 to fill from a cache.
    conditional = {"If-Modified-Since": FAR_FUTURE, "If-None-Match": "*"}
    for path in (f"/devis/{quote.id}/document", "/exports/devis-non-transformes.xlsx",
                 "/exports/devis-non-transformes.csv"):
        assert_never_stored(client.get(path))
        assert_never_stored(client.get(path, headers=conditional))
    link = re.search(r"https?://[^/\s]+(/souscription/\S+)", outbox()[0].body_text).group(1)
    prospect = IsolatedClient(app, app.response_class, use_cookies=True)
    page = prospect.get(link).get_data(as_text=True)
    prospect.post(link, data={"csrf_token": csrf_token(page), "date_naissance": "04/05/1978"})
    for path in (f"{link}/devis.pdf", f"{link}/documents/ipid", link):
        assert_never_stored(prospect.get(path))
        assert_never_stored(prospect.get(path, headers=conditional))
