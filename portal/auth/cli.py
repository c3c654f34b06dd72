"""`flask portal demo`, `flask portal create-firm`, `flask portal create-user`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import accounts
from .demo import ensure_demo_data
from .errors import AuthError, InvalidInput
from .models import Role

ROLE_LABELS = {Role.BROKER: "courtier", Role.BACKOFFICE: "service de gestion", Role.ADMIN: "administrateur"}


def _fail(refusal: AuthError) -> None:
    messages = [m for ms in refusal.errors.values() for m in ms] if isinstance(refusal, InvalidInput) else [refusal.message]
    for message in messages:
        click.echo(f"Erreur : {message}", err=True)
    raise click.exceptions.Exit(1)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Crée les cabinets et comptes de démonstration manquants (jamais en production)."""
    if current_app.config["PORTAL_ENV"] == "production":
        click.echo("Erreur : les données de démonstration ne sont jamais créées en production.", err=True)
        raise click.exceptions.Exit(1)
    try:
        created = ensure_demo_data()
    except AuthError as refusal:
        _fail(refusal)
    if created:
        for line in created:
            click.echo(f"Créé : {line}")
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")


@click.command("create-firm")
@click.option("--name", required=True, help="Raison sociale du cabinet.")
@click.option("--orias", required=True, help="Numéro ORIAS (8 chiffres).")
@click.option("--phone", required=True, help="Téléphone (numéro français).")
@click.option("--address", required=True, help="Adresse postale.")
@click.option("--email", required=True, help="E-mail de contact du cabinet.")
@with_appcontext
def create_firm(name: str, orias: str, phone: str, address: str, email: str) -> None:
    """Crée un cabinet de courtage."""
    try:
        firm = accounts.create_firm(name=name, orias=orias, phone=phone, address=address, email=email)
    except AuthError as refusal:
        _fail(refusal)
    click.echo(f"Cabinet créé : {firm.name} (ORIAS {firm.orias}).")


@click.command("create-user")
@click.option("--email", required=True, help="E-mail professionnel : l'identifiant de connexion.")
@click.option("--role", required=True, metavar="broker|backoffice|admin", help="Rôle du compte.")
@click.option("--firm", "firm_name", default=None, help="Raison sociale du cabinet (obligatoire pour un courtier).")
@click.option("--password", default=None, help="Mot de passe ; sans lui, l'utilisateur passe par « Première connexion ».")
@click.option("--first-name", default="", help="Prénom.")
@click.option("--last-name", default="", help="Nom.")
@with_appcontext
def create_user(email: str, role: str, firm_name: str | None, password: str | None, first_name: str, last_name: str) -> None:
    """Crée un compte (courtier, service de gestion ou administrateur)."""
    try:
        user = accounts.create_user(email=email, role=role, firm_name=firm_name, password=password,
                                    first_name=first_name, last_name=last_name)
    except AuthError as refusal:
        _fail(refusal)
    where = f", {user.firm.name}" if user.firm else ""
    click.echo(f"Compte créé : {user.email} ({ROLE_LABELS[user.role]}{where}).")
    if user.password_hash is None:
        click.echo("Sans mot de passe : l'utilisateur le crée depuis « Première connexion ? Cliquez ici ».")


def register(group) -> None:
    group.add_command(demo)
    group.add_command(create_firm)
    group.add_command(create_user)
