"""The administrator's pages: firms, users, invitations, deactivation, resent links."""
from __future__ import annotations

import re
from html import unescape

import pytest

from portal.journal.models import JournalEntry
from portal.auth.models import AuthToken, Firm, Role, User
from portal.extensions import db
from tests.conftest import PASSWORD, IsolatedClient, csrf_token
from tests.integration.test_auth_login import post_login

ADMIN = "admin@mes-solutions-plus.fr"
NEW_FIRM = {"raison_sociale": "Courtage Atlantique", "orias": "07 000 003", "telephone": "05 46 00 00 00",
            "adresse": "1 quai Valin, 17000 La Rochelle", "email": "contact@atlantique.fr"}
INVITE = {"email": "nouveau@cabinet-demo.fr", "prenom": "Léa", "nom": "Durand", "role": "broker",
          "cabinet": "Cabinet Démo Courtage"}


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(response, name) -> list[str]:
    return [unescape(m) for m in re.findall(rf'id="{name}-error(?:-\d+)?" role="alert">([^<]+)<', response.get_data(as_text=True))]


def audit(action: str) -> list[JournalEntry]:
    db.session.expire_all()
    return db.session.scalars(db.select(JournalEntry).where(JournalEntry.action == action)).all()


@pytest.fixture
def admin(make_user, broker):
    return make_user(email=ADMIN, role=Role.ADMIN, firm=None, first_name="Paul", last_name="Girard")


@pytest.fixture
def as_admin(client, admin, login):
    assert login(ADMIN).status_code == 200
    return client


def post_form(client, page_url, action_url, data):
    page = client.get(page_url)
    return client.post(action_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def click(client, action_url):
    """A button of the users list (a POST with the page's token)."""
    token = csrf_token(client.get("/administration/utilisateurs").get_data(as_text=True))
    return client.post(action_url, data={"csrf_token": token})


ROUTES = [("GET", "/administration/"), ("GET", "/administration/cabinets"), ("GET", "/administration/cabinets/nouveau"),
          ("POST", "/administration/cabinets/nouveau"), ("GET", "/administration/utilisateurs"),
          ("GET", "/administration/utilisateurs/inviter"), ("POST", "/administration/utilisateurs/inviter"),
          ("POST", "/administration/utilisateurs/1/desactiver"), ("POST", "/administration/utilisateurs/1/reactiver"),
          ("POST", "/administration/utilisateurs/1/renvoyer-lien")]


@pytest.mark.parametrize("role", [Role.BROKER, Role.BACKOFFICE])
def test_every_admin_route_is_403_for_other_roles(client, make_user, broker, login, role):
    if role is Role.BACKOFFICE:
        make_user(email="gestion@mes-solutions-plus.fr", role=role, firm=None)
    assert login("gestion@mes-solutions-plus.fr" if role is Role.BACKOFFICE else broker.email).status_code == 200
    token = csrf_token(client.get("/").get_data(as_text=True))
    for method, url in ROUTES:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, url
    assert db.session.scalar(db.select(db.func.count()).select_from(Firm)) == 1
    assert db.session.get(User, 1).active


def test_admin_routes_ask_anonymous_visitors_to_log_in(client):
    for method, url in ROUTES:
        response = client.open(url, method=method)
        assert response.status_code in (302, 400), url  # a POST without its token stops at CSRF first
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/connexion")


def test_the_side_panel_shows_administration_to_the_administrator_only(client, as_admin, broker):
    assert 'href="/administration/utilisateurs"' in text(as_admin.get("/"))
    other = IsolatedClient(as_admin.application, as_admin.application.response_class, use_cookies=True)
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    post_login(other, broker.email, PASSWORD)
    assert "Administration" not in text(other.get("/"))


def test_firm_list_and_creation_with_audit(as_admin):
    assert "Cabinet Démo Courtage" in text(as_admin.get("/administration/cabinets"))
    response = post_form(as_admin, "/administration/cabinets/nouveau", "/administration/cabinets/nouveau", NEW_FIRM)
    assert response.status_code == 302 and response.headers["Location"] == "/administration/cabinets"
    page = text(as_admin.get("/administration/cabinets"))
    assert "Cabinet « Courtage Atlantique » créé." in page
    firm = db.session.scalar(db.select(Firm).where(Firm.name == "Courtage Atlantique"))
    assert (firm.orias, firm.phone, firm.email) == ("07000003", "05 46 00 00 00", "contact@atlantique.fr")
    [row] = audit("firm_created")
    assert row.actor == ADMIN and row.object_id == firm.id


def test_firm_errors_are_french_and_next_to_their_field(as_admin):
    data = {"raison_sociale": "Cabinet Démo Courtage", "orias": "1234", "telephone": "12",
            "adresse": "", "email": "pas-une-adresse"}
    response = post_form(as_admin, "/administration/cabinets/nouveau", "/administration/cabinets/nouveau", data)
    assert response.status_code == 422
    assert field_errors(response, "raison_sociale") == ["Un cabinet porte déjà la raison sociale « Cabinet Démo Courtage »."]
    assert field_errors(response, "orias") == ["Le numéro ORIAS doit compter 8 chiffres."]
    assert field_errors(response, "telephone") == ["Numéro de téléphone français invalide (exemple : 05 45 00 00 00)."]
    assert field_errors(response, "adresse") == ["Adresse : champ obligatoire."]
    assert field_errors(response, "email") == ["Adresse e-mail invalide (exemple : prenom.nom@exemple.fr)."]
    assert db.session.scalar(db.select(db.func.count()).select_from(Firm)) == 1


def test_a_double_click_creates_one_firm_and_both_clicks_land_on_the_list(as_admin):
    page = as_admin.get("/administration/cabinets/nouveau").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), **NEW_FIRM}
    first = as_admin.post("/administration/cabinets/nouveau", data=data)
    second = as_admin.post("/administration/cabinets/nouveau", data=data)
    assert (first.status_code, second.status_code) == (302, 302)
    assert db.session.scalar(db.select(db.func.count()).where(Firm.name == "Courtage Atlantique")) == 1
    assert len(audit("firm_created")) == 1


def test_posts_without_csrf_token_are_refused(as_admin, broker):
    assert as_admin.post("/administration/cabinets/nouveau", data=NEW_FIRM).status_code == 400
    assert as_admin.post(f"/administration/utilisateurs/{broker.id}/desactiver").status_code == 400
    db.session.refresh(broker)
    assert broker.active


def test_invite_creates_the_account_without_password_and_sends_the_link(as_admin, outbox, client):
    response = post_form(as_admin, "/administration/utilisateurs/inviter", "/administration/utilisateurs/inviter", INVITE)
    assert response.status_code == 302 and response.headers["Location"] == "/administration/utilisateurs"
    page = text(as_admin.get("/administration/utilisateurs"))
    assert "Compte créé pour nouveau@cabinet-demo.fr : le lien de première connexion lui a été envoyé." in page
    assert "Invité (mot de passe à créer)" in page
    user = db.session.scalar(db.select(User).where(User.email == "nouveau@cabinet-demo.fr"))
    assert user.password_hash is None and user.role is Role.BROKER and user.firm.name == "Cabinet Démo Courtage"
    assert (user.first_name, user.last_name) == ("Léa", "Durand")
    [message] = outbox()
    assert message.to == "nouveau@cabinet-demo.fr"
    assert message.subject == "Mes Solutions Plus - Initialisation de votre mot de passe"
    assert "http://localhost/mot-de-passe/initialiser/" in message.body_text
    assert [r.actor for r in audit("user_created")] == [ADMIN]
    assert [r.actor for r in audit("init_link_sent")] == [ADMIN]


def test_a_double_click_on_invite_creates_one_account_and_one_email(as_admin, outbox):
    page = as_admin.get("/administration/utilisateurs/inviter").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), **INVITE}
    codes = [as_admin.post("/administration/utilisateurs/inviter", data=data).status_code for _ in range(2)]
    assert codes == [302, 302]
    assert db.session.scalar(db.select(db.func.count()).where(User.email == "nouveau@cabinet-demo.fr")) == 1
    assert len(outbox()) == 1


def test_invite_errors_are_french_and_next_to_their_field(as_admin, outbox, broker):
    data = {"email": broker.email, "prenom": "", "nom": "", "role": "broker", "cabinet": ""}
    response = post_form(as_admin, "/administration/utilisateurs/inviter", "/administration/utilisateurs/inviter", data)
    assert response.status_code == 422
    assert field_errors(response, "email") == ["Un compte existe déjà pour l'adresse courtier@cabinet-demo.fr."]
    assert field_errors(response, "cabinet") == ["Un courtier appartient à un cabinet : indiquez sa raison sociale."]
    data = {"email": "x@y.fr", "prenom": "", "nom": "", "role": "pirate", "cabinet": ""}
    response = post_form(as_admin, "/administration/utilisateurs/inviter", "/administration/utilisateurs/inviter", data)
    assert field_errors(response, "role") == ["Rôle inconnu : choisissez broker, backoffice ou admin."]
    assert outbox() == []


def test_deactivation_ends_the_sessions_and_is_audited_once(app, as_admin, broker):
    brokers_browser = IsolatedClient(app, app.response_class, use_cookies=True)
    brokers_browser.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert post_login(brokers_browser, broker.email, PASSWORD).status_code == 302
    assert brokers_browser.get("/").status_code == 200
    for _ in range(2):  # a double click
        response = click(as_admin, f"/administration/utilisateurs/{broker.id}/desactiver")
        assert response.status_code == 302
    assert brokers_browser.get("/").status_code == 302
    db.session.refresh(broker)
    assert not broker.active
    assert [r.object_id for r in audit("user_deactivated")] == [broker.id]
    assert "Désactivé" in text(as_admin.get("/administration/utilisateurs"))
    # The session does not come back with the account.
    click(as_admin, f"/administration/utilisateurs/{broker.id}/reactiver")
    assert brokers_browser.get("/").status_code == 302
    assert len(audit("user_reactivated")) == 1
    assert post_login(brokers_browser, broker.email, PASSWORD).status_code == 302


def test_the_administrator_cannot_deactivate_itself(as_admin, admin):
    response = click(as_admin, f"/administration/utilisateurs/{admin.id}/desactiver")
    assert response.status_code == 302
    assert "Vous ne pouvez pas désactiver votre propre compte." in text(as_admin.get("/administration/utilisateurs"))
    db.session.refresh(admin)
    assert admin.active


def test_resend_a_first_connection_link_once_per_double_click(as_admin, make_user, outbox, broker):
    invited = make_user(email="invite@cabinet-demo.fr", firm=broker.firm, password=None)
    for _ in range(2):
        assert click(as_admin, f"/administration/utilisateurs/{invited.id}/renvoyer-lien").status_code == 302
    assert [m.to for m in outbox()] == ["invite@cabinet-demo.fr"]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuthToken)) == 1
    assert "Un lien vient d'être envoyé à ce compte" in text(as_admin.get("/administration/utilisateurs"))
    # An account that has its password is not sent a first-connection link.
    click(as_admin, f"/administration/utilisateurs/{broker.id}/renvoyer-lien")
    assert "Ce compte a déjà un mot de passe" in text(as_admin.get("/administration/utilisateurs"))
    assert len(outbox()) == 1


@pytest.mark.parametrize("user_id", ["999", "abc", "99999999999999999999999", "²"])
def test_unknown_or_malformed_user_ids_are_404(as_admin, user_id):
    assert click(as_admin, f"/administration/utilisateurs/{user_id}/desactiver").status_code == 404
