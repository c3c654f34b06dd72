""""Changer le mot de passe": from the login page (logged out) and from the side panel."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from freezegun import freeze_time

from portal.journal.models import JournalEntry
from portal.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.integration.test_auth_login import form_error, post_login

NEW_PASSWORD = "Nouveau-Secret-2026"



def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def change(client, current, new, confirmation=None, identifiant=None, **kwargs):
    page = client.get("/mot-de-passe", **kwargs)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "mot_de_passe_actuel": current,
            "nouveau_mot_de_passe": new, "confirmation": new if confirmation is None else confirmation}
    if identifiant is not None:
        data["identifiant"] = identifiant
    return client.post("/mot-de-passe", data=data, **kwargs)


def field_error(response, name) -> list[str]:
    return [unescape(m) for m in re.findall(rf'id="{name}-error(?:-\d+)?" role="alert">([^<]+)<', response.get_data(as_text=True))]


def test_the_login_button_leads_to_the_logged_out_page(client):
    page = text(client.get("/mot-de-passe"))
    assert "<h1>Changer le mot de passe</h1>" in page
    for label in ["Identifiant", "Mot de passe actuel", "Nouveau mot de passe", "Confirmation du mot de passe"]:
        assert f">{label}</label>" in page
    assert "Se déconnecter" not in page


def test_logged_in_page_uses_the_layout_and_has_no_identifiant(client, broker, login):
    login()
    page = text(client.get("/mot-de-passe"))
    assert "Se déconnecter" in page and "Cabinet Démo Courtage" in page
    assert ">Identifiant</label>" not in page
    assert ">Mot de passe actuel</label>" in page
    assert 'href="/mot-de-passe"' in text(client.get("/"))


def test_logged_out_change_end_to_end(client, broker):
    wrong = change(client, "Pas-le-bon-2026!", NEW_PASSWORD, identifiant=broker.email)
    assert form_error(wrong) == "Identifiant ou mot de passe incorrect."
    unknown = change(client, "Pas-le-bon-2026!", NEW_PASSWORD, identifiant="personne@cabinet-demo.fr")
    assert form_error(unknown) == "Identifiant ou mot de passe incorrect."

    weak = change(client, PASSWORD, "faible", identifiant=broker.email)
    assert "Le mot de passe doit contenir au moins 12 caractères." in field_error(weak, "nouveau_mot_de_passe")
    assert "Le mot de passe doit contenir au moins une lettre majuscule." in field_error(weak, "nouveau_mot_de_passe")

    same = change(client, PASSWORD, PASSWORD, identifiant=broker.email)
    assert field_error(same, "nouveau_mot_de_passe") == ["Le nouveau mot de passe doit être différent du mot de passe actuel."]

    mismatch = change(client, PASSWORD, NEW_PASSWORD, "Autre-Secret-2026", identifiant=broker.email)
    assert field_error(mismatch, "confirmation") == ["La confirmation ne correspond pas au nouveau mot de passe."]
    assert f'value="{broker.email}"' in mismatch.get_data(as_text=True)

    done = change(client, PASSWORD, NEW_PASSWORD, identifiant=broker.email)
    assert done.status_code == 302 and done.headers["Location"] == "/connexion"
    assert "Votre mot de passe a été modifié. Vous pouvez vous connecter." in text(client.get("/connexion"))
    assert form_error(post_login(client, broker.email, PASSWORD)) == "Identifiant ou mot de passe incorrect."
    assert post_login(client, broker.email, NEW_PASSWORD).headers["Location"] == "/"
    row = db.session.scalar(db.select(JournalEntry).where(JournalEntry.action == "password_changed"))
    assert row.object_id == broker.id and row.actor == broker.email


def test_logged_in_change(client, broker, login):
    login()
    wrong = change(client, "Pas-le-bon-2026!", NEW_PASSWORD)
    assert field_error(wrong, "mot_de_passe_actuel") == ["Le mot de passe actuel est incorrect."]
    done = change(client, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Votre mot de passe a été modifié." in text(client.get("/"))
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert post_login(client, broker.email, NEW_PASSWORD).headers["Location"] == "/"


def test_a_user_without_password_is_answered_as_a_wrong_password_and_gets_the_link(client, make_firm, make_user, outbox):
    make_user(firm=make_firm(), password=None)
    response = change(client, "Nimporte-Quoi-2026", NEW_PASSWORD, identifiant="courtier@cabinet-demo.fr")
    assert form_error(response) == "Identifiant ou mot de passe incorrect."
    assert [(m.to, m.subject) for m in outbox()] == [
        ("courtier@cabinet-demo.fr", "Mes Solutions Plus - Initialisation de votre mot de passe")]


def test_wrong_current_passwords_count_as_failed_logins(client, broker):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        for _ in range(5):
            change(client, "Pas-le-bon-2026!", NEW_PASSWORD, identifiant=broker.email)
            frozen.tick(timedelta(seconds=31))
        assert "Compte temporairement verrouillé" in form_error(post_login(client, broker.email, PASSWORD))
        assert "Compte temporairement verrouillé" in form_error(
            change(client, PASSWORD, NEW_PASSWORD, identifiant=broker.email))


def test_change_password_posts_are_rate_limited(client, broker):
    for _ in range(10):
        change(client, "Pas-le-bon-2026!", "faible", identifiant=broker.email)
    assert change(client, "Pas-le-bon-2026!", "faible", identifiant=broker.email).status_code == 429
