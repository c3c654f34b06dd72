"""Security headers on every page, and the French error pages."""
from __future__ import annotations

from html import unescape

import pytest




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
