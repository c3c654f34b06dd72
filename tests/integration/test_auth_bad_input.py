"""Arbitrary text in every field of the auth pages: a French answer, never a 500."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import limiter
from tests.conftest import csrf_token

# Any text a browser can send (no lone surrogates), control characters and NUL included.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])



@pytest.fixture
def unlimited():
    """The rate limits are tested elsewhere; here they would only hide the answers."""
    limiter.enabled = False
    yield
    limiter.enabled = True


def post(client, path, **fields):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **fields})


@FUZZ
@given(identifiant=TEXT, password=TEXT)
def test_login_never_fails(client, broker, unlimited, identifiant, password):
    response = post(client, "/connexion", identifiant=identifiant, mot_de_passe=password)
    assert response.status_code in (200, 302)
    assert '<html lang="fr">' in response.get_data(as_text=True) or response.status_code == 302


@FUZZ
@given(email=TEXT)
def test_first_connection_never_fails(client, broker, unlimited, email):
    response = post(client, "/premiere-connexion", email=email)
    assert response.status_code in (200, 302)


@FUZZ
@given(identifiant=TEXT, current=TEXT, new=TEXT, confirmation=TEXT)
def test_change_password_never_fails(client, broker, unlimited, identifiant, current, new, confirmation):
    response = post(client, "/mot-de-passe", identifiant=identifiant, mot_de_passe_actuel=current,
                    nouveau_mot_de_passe=new, confirmation=confirmation)
    assert response.status_code in (200, 302)


@FUZZ
@given(token=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
                     min_size=1, max_size=300))
def test_init_link_never_fails(client, unlimited, token):
    response = client.get("/mot-de-passe/initialiser/" + token)
    assert response.status_code in (404, 410)
