"""Command-line entry points: `flask portal …` and `flask worker`."""
from __future__ import annotations

import os
import threading

import click
from flask import Flask
from flask.cli import AppGroup

portal_cli = AppGroup("portal", help="Commandes d'exploitation du portail.")


@portal_cli.command("serve")
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1 ou $HOST")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, show_default="5000 ou $PORT")
def serve(host: str, port: int) -> None:
    """Serve the portal locally with the message worker running beside it."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from .access_log import RouteOnlyRequestHandler
    from .messaging.worker import run_worker

    from .config import local_base_url

    app = current_app._get_current_object()
    if not os.environ.get("BASE_URL"):
        # The e-mails' links lead where this server listens, even with --host/--port.
        app.config["BASE_URL"] = local_base_url(host, str(port))
    stop = threading.Event()
    threading.Thread(target=run_worker, args=(app, stop), name="worker", daemon=True).start()
    threading.Thread(target=_warm_documents, args=(app,), name="documents", daemon=True).start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=RouteOnlyRequestHandler)
    finally:
        stop.set()


def _warm_documents(app: Flask) -> None:
    """Render the product documents once in the background, so the first quote sent waits for none."""
    from .documents.product_documents import warm

    with app.app_context():
        warm()


@portal_cli.command("documents")
def documents() -> None:
    """Render (or find in the cache) every product document of the catalog."""
    from .documents.product_documents import warm

    click.echo(f"{warm()} documents produit prêts.")


@portal_cli.command("daily")
def daily() -> None:
    """The nightly jobs: quotes past their date become "Expiré"; warnings 5 days before; the
    reminders of missing pieces 7 and 14 days after they were asked."""
    from .clock import today
    from .dossiers.reminders import send_reminders
    from .quotes.expiry import run_daily

    day = today()
    report = run_daily(day)
    click.echo(f"Devis expirés : {report.expired} ; devis arrivant à expiration signalés : {report.warned}.")
    sent = send_reminders(day)
    click.echo("Pièces justificatives manquantes : "
               + " ; ".join(f"relances J+{days} envoyées : {count}" for days, count in sent.items()) + ".")


@portal_cli.command("signatures")
def signatures() -> None:
    """Fail the electronic signatures left 30 minutes without a step (run every few minutes)."""
    from .signature.service import expire_abandoned

    click.echo(f"Signatures abandonnées : {expire_abandoned()}.")


@portal_cli.command("rotate-encryption-key")
def rotate_encryption_key() -> None:
    """Encrypt again with the first key of FIELD_ENCRYPTION_KEY all the encrypted data."""
    from .extensions import db
    from .security import reencrypt_all

    click.echo(f"{reencrypt_all(db.session, db.metadata)} valeur(s) chiffrée(s) avec la nouvelle clé ; "
               "les anciennes clés peuvent maintenant être retirées de FIELD_ENCRYPTION_KEY.")


@portal_cli.command("generate")
@click.option("--clients", type=click.IntRange(1, 1_000_000), required=True, help="nombre de clients à créer")
@click.option("--firm", "firm_name", default="Cabinet Démo Courtage", show_default=True, help="raison sociale du cabinet")
@click.option("--seed", type=int, default=1, show_default=True)
def generate(clients: int, firm_name: str, seed: int) -> None:
    """Create a realistic portfolio (people, quotes of every status) for scale checks."""
    from sqlalchemy import select

    from .auth.models import Firm, Role, User
    from .extensions import db
    from .portfolio.generate import generate as make

    firm = db.session.scalar(select(Firm).where(Firm.name == firm_name))
    broker = firm and db.session.scalar(select(User).where(User.firm_id == firm.id, User.role == Role.BROKER))
    if broker is None:
        raise click.ClickException(f"Aucun courtier pour le cabinet « {firm_name} » (créez-le, ou lancez `flask portal demo`).")
    quotes = make(firm, broker, clients, seed)
    click.echo(f"{clients} clients et {quotes} devis ajoutés à {firm.name}.")


def register_cli(app: Flask) -> None:
    from .auth.cli import register as register_auth
    from .messaging.cli import register as register_messaging

    register_auth(portal_cli)
    register_messaging(app)
    app.cli.add_command(portal_cli)
