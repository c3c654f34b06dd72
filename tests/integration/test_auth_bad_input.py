"""Arbitrary text in every field of the auth pages: a French answer, never a 500."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.auth.links import request_password_init
from portal.auth.models import Role
from portal.extensions import db, limiter
from tests.conftest import csrf_token
from tests.integration.test_auth_first_connection import link_in

# Values that broke hand-written checks elsewhere: superscripts and other scripts' digits
# (str.isdigit() is true, int() refuses some), the last code point, numbers past 64 bits.
NASTY = ["²", "TIS/²", "٣٤٥", "０７０００００１", "\U0010ffff", "\uffff", "\ud7ff\ue000", "99999999999999999999999",
         "-1", "0" * 5000, "é" * 3000, "=1+1@exemple.fr", "a@b", "@", "\x00", "\r\n", " ", "Œuvray ß"]
# Any text a browser can send (no lone surrogates), control characters and NUL included.
TEXT = st.one_of(st.sampled_from(NASTY), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
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
@example(identifiant="\U0010ffff", password="²")
@example(identifiant="²" * 300, password="x" * 5000)
def test_login_never_fails(client, broker, unlimited, identifiant, password):
    response = post(client, "/connexion", identifiant=identifiant, mot_de_passe=password)
    assert response.status_code in (200, 302)
    assert '<html lang="fr">' in response.get_data(as_text=True) or response.status_code == 302


@FUZZ
@given(email=TEXT)
@example(email="\U0010ffff@exemple.fr")
@example(email="²@²." + "a" * 300)
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


@pytest.fixture
def newcomer(make_firm, make_user):
    return make_user(email="nouveau@cabinet-demo.fr", firm=make_firm(), password=None)


@FUZZ
@given(new=TEXT, confirmation=TEXT)
@example(new="\U0010ffff" * 20, confirmation="\U0010ffff" * 20)
@example(new="Secret-²-2026-Œuvray", confirmation="Secret-²-2026-Œuvray")
def test_init_password_form_never_fails(client, newcomer, unlimited, outbox, new, confirmation):
    newcomer.init_link_sent_at = None  # each example asks as if the last link were old
    db.session.commit()
    request_password_init(newcomer.email)
    link = link_in(outbox()[-1]).replace("http://localhost", "")
    response = post(client, link, nouveau_mot_de_passe=new, confirmation=confirmation)
    assert response.status_code in (200, 302)


@pytest.fixture
def as_admin(client, make_user, make_firm, login):
    make_firm()
    make_user(email="admin@mes-solutions-plus.fr", role=Role.ADMIN, firm=None)
    assert login("admin@mes-solutions-plus.fr").status_code == 200
    return client


@FUZZ
@given(name=TEXT, orias=TEXT, phone=TEXT, address=TEXT, email=TEXT)
@example(name="²", orias="０７０００００１", phone="٠٥٤٥٠٠٠٠٠٠", address="\U0010ffff", email="x@\U0010ffff.fr")
@example(name="x" * 5000, orias="99999999999999999999999", phone="+" + "9" * 400, address="é" * 5000, email="a" * 5000)
def test_firm_form_never_fails(as_admin, unlimited, name, orias, phone, address, email):
    response = post(as_admin, "/administration/cabinets/nouveau", raison_sociale=name, orias=orias,
                    telephone=phone, adresse=address, email=email)
    assert response.status_code in (302, 422)
    assert response.status_code == 302 or '<html lang="fr">' in response.get_data(as_text=True)


@FUZZ
@given(email=TEXT, first=TEXT, last=TEXT, role=st.one_of(st.sampled_from(["broker", "backoffice", "admin"]), TEXT),
       firm=st.one_of(st.just("Cabinet Démo Courtage"), TEXT))
@example(email="²@exemple.fr", first="\U0010ffff", last="²", role="²", firm="99999999999999999999999")
def test_invite_form_never_fails(as_admin, unlimited, outbox, email, first, last, role, firm):
    response = post(as_admin, "/administration/utilisateurs/inviter", email=email, prenom=first, nom=last,
                    role=role, cabinet=firm)
    assert response.status_code in (302, 422)
