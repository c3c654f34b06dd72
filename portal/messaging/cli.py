"""`flask worker`: the worker of jobs and messages as a process of its own (several may run at once)."""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app


def register(app) -> None:
    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Fait les tâches et envoie les messages dus puis s'arrête.")
    @click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
                  help="Secondes entre deux passages sur la file d'envoi.")
    def worker(once: bool, interval: float) -> None:
        """Fait les tâches en attente (documents à préparer…) et envoie les e-mails et SMS, avec nouvelles tentatives en cas d'échec."""
        from .backends import check_configuration
        from .worker import BATCH, deliver_round, run_worker

        app = current_app._get_current_object()
        check_configuration(app.config)
        if once:
            jobs = sent = attempted = 0
            while True:
                result = deliver_round(app)
                jobs, sent, attempted = jobs + result.jobs, sent + result.sent, attempted + result.attempted
                if result.jobs < BATCH and result.attempted < BATCH:
                    break
            click.echo(f"{jobs} tâche(s) faite(s) ou tentée(s) ; {sent} message(s) envoyé(s), {attempted - sent} en échec "
                       "(nouvel essai plus tard ou abandon).")
            return

        stop = threading.Event()

        def request_stop(signum, frame):
            click.echo("Arrêt demandé : fin du message en cours puis sortie.", err=True)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        click.echo(f"Envoi des messages toutes les {interval:g} s (MAIL_URL : {_scheme(app.config['MAIL_URL'])}). "
                   "Ctrl+C ou SIGTERM pour arrêter.")
        run_worker(app, stop, interval=interval)


def _scheme(url: str) -> str:
    return url.split(":", 1)[0]
