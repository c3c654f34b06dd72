"""`flask portal demo`, `create-firm`, `create-user`."""
from __future__ import annotations

import pytest

from portal.auth.models import Firm, Role, User
from portal.auth.passwords import hash_password, verify_password
from portal.extensions import db
from tests.conftest import PASSWORD

FIRM = ["--name", "Cabinet Charente", "--orias", "12345678", "--phone", "05 45 92 10 10",
        "--address", "3 place du Champ de Mars, 16000 Angoulême", "--email", "Contact@Cabinet-Charente.fr"]


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=["portal", *args])
    return run


def counts():
    return (db.session.scalar(db.select(db.func.count(Firm.id))), db.session.scalar(db.select(db.func.count(User.id))))


def test_demo_creates_two_firms_and_four_users_once(cli, login):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert counts() == (2, 4)
    users = {u.email: u for u in db.session.scalars(db.select(User))}
    assert users["courtier@cabinet-demo.fr"].role is Role.BROKER
    assert users["courtier@cabinet-demo.fr"].firm.name == "Cabinet Démo Courtage"
    assert users["courtier@cabinet-demo.fr"].display_name == "Claire Martin"
    assert users["courtier@exemple-sud.fr"].firm.name == "Courtage Exemple Sud"
    assert users["gestion@mes-solutions-plus.fr"].role is Role.BACKOFFICE and users["gestion@mes-solutions-plus.fr"].firm is None
    assert users["admin@mes-solutions-plus.fr"].role is Role.ADMIN and users["admin@mes-solutions-plus.fr"].firm is None
    firms = {f.name: f for f in db.session.scalars(db.select(Firm))}
    assert "Angoulême" in firms["Cabinet Démo Courtage"].address
    assert firms["Cabinet Démo Courtage"].email == "contact@cabinet-demo.fr"
    assert "Montpellier" in firms["Courtage Exemple Sud"].address
    assert firms["Courtage Exemple Sud"].email == "contact@exemple-sud.fr"
    assert all(verify_password(u.password_hash, PASSWORD) for u in users.values())

    # A user changes its password; a second run changes nothing.
    users["courtier@cabinet-demo.fr"].password_hash = hash_password("Change-Par-Moi-2026")
    db.session.commit()
    second = cli("demo")
    assert second.exit_code == 0
    assert "rien à faire" in second.output
    assert counts() == (2, 4)
    db.session.expire_all()
    assert verify_password(db.session.scalar(db.select(User).where(User.email == "courtier@cabinet-demo.fr")).password_hash,
                           "Change-Par-Moi-2026")
    assert login("courtier@exemple-sud.fr", PASSWORD, follow=False).headers["Location"] == "/"


def test_demo_refuses_to_run_in_production(app, cli):
    app.config["PORTAL_ENV"] = "production"
    try:
        result = cli("demo")
    finally:
        app.config["PORTAL_ENV"] = "development"
    assert result.exit_code != 0
    assert "jamais créées en production" in result.output
    assert counts() == (0, 0)


def test_create_firm(cli):
    result = cli("create-firm", *FIRM)
    assert result.exit_code == 0, result.output
    firm = db.session.scalar(db.select(Firm))
    assert (firm.name, firm.orias, firm.phone, firm.email) == ("Cabinet Charente", "12345678", "05 45 92 10 10",
                                                               "contact@cabinet-charente.fr")
    again = cli("create-firm", *FIRM)
    assert again.exit_code != 0
    assert "Un cabinet porte déjà la raison sociale « Cabinet Charente »." in again.output


@pytest.mark.parametrize("option, value, message", [
    ("--orias", "1234567", "Le numéro ORIAS doit compter 8 chiffres."),
    ("--orias", "1234567A", "Le numéro ORIAS doit compter 8 chiffres."),
    ("--phone", "12345", "Numéro de téléphone français invalide"),
    ("--phone", "+44 20 7946 0958", "Numéro de téléphone français invalide"),
    ("--email", "pas-une-adresse", "Adresse e-mail invalide"),
    ("--name", "   ", "Raison sociale : champ obligatoire."),
    ("--address", "", "Adresse : champ obligatoire."),
])
def test_create_firm_refuses_bad_values(cli, option, value, message):
    args = list(FIRM)
    args[args.index(option) + 1] = value
    result = cli("create-firm", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == (0, 0)


def test_create_user(cli):
    cli("create-firm", *FIRM)
    broker = cli("create-user", "--email", "Vendeur@Cabinet-Charente.fr", "--role", "broker", "--firm", "Cabinet Charente",
                 "--password", "Vendeur-Secret-2026", "--first-name", "Léa", "--last-name", "Durand")
    assert broker.exit_code == 0, broker.output
    assert "Compte créé : vendeur@cabinet-charente.fr (courtier, Cabinet Charente)." in broker.output
    user = db.session.scalar(db.select(User).where(User.email == "vendeur@cabinet-charente.fr"))
    assert user.firm.name == "Cabinet Charente" and user.display_name == "Léa Durand"
    assert verify_password(user.password_hash, "Vendeur-Secret-2026")

    gestion = cli("create-user", "--email", "gestion2@mes-solutions-plus.fr", "--role", "backoffice")
    assert gestion.exit_code == 0, gestion.output
    assert "Première connexion" in gestion.output
    created = db.session.scalar(db.select(User).where(User.email == "gestion2@mes-solutions-plus.fr"))
    assert created.password_hash is None and created.firm is None and created.role is Role.BACKOFFICE


@pytest.mark.parametrize("args, message", [
    (["--email", "x@cabinet-charente.fr", "--role", "broker"], "Un courtier appartient à un cabinet"),
    (["--email", "x@cabinet-charente.fr", "--role", "broker", "--firm", "Inconnu"], "Aucun cabinet ne porte la raison sociale « Inconnu »."),
    (["--email", "x@mes-solutions-plus.fr", "--role", "admin", "--firm", "Cabinet Charente"], "n'appartiennent à aucun cabinet"),
    (["--email", "x@cabinet-charente.fr", "--role", "chef", "--firm", "Cabinet Charente"], "Rôle inconnu"),
    (["--email", "pas-une-adresse", "--role", "admin"], "Adresse e-mail invalide"),
    (["--email", "x@mes-solutions-plus.fr", "--role", "admin", "--password", "faible"],
     "Le mot de passe doit contenir au moins 12 caractères."),
    (["--email", "EXISTANT@cabinet-charente.fr", "--role", "backoffice"], "Un compte existe déjà pour l'adresse existant@cabinet-charente.fr."),
])
def test_create_user_refuses_bad_values(cli, args, message):
    cli("create-firm", *FIRM)
    cli("create-user", "--email", "existant@cabinet-charente.fr", "--role", "backoffice")
    result = cli("create-user", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == (1, 1)


def test_weak_password_lists_every_broken_rule(cli):
    result = cli("create-user", "--email", "x@mes-solutions-plus.fr", "--role", "admin", "--password", "abc")
    assert result.exit_code != 0
    for rule in ["12 caractères", "majuscule", "chiffre", "caractère spécial"]:
        assert rule in result.output
