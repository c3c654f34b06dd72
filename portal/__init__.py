"""Mes Solutions Plus: health-insurance quotes and subscriptions for broker firms."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from .access_log import loggable_path
from .config import PROJECT_ROOT, load_config, secure_instance
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(Path(load_config(overrides)["INSTANCE_PATH"]).resolve()),
    )
    app.config.update(load_config(overrides))
    secure_instance(app.config)
    _configure_logging(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies: the client's address (rate limits, audit) and https come
        # from their X-Forwarded-* headers, and only from theirs.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from . import models  # noqa: F401  every table known to SQLAlchemy and Alembic
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .backoffice.views import bp as backoffice_bp
    from .catalog.views import bp as catalog_bp
    from .home.views import bp as home_bp
    from .documents.views import bp as documents_bp
    from .dossiers.views import bp as dossiers_bp
    from .dossiers.client_views import bp as client_space_bp
    from .messaging.views import bp as messaging_bp
    from .backoffice.deliveries import delivery_bp
    from .backoffice.queue import bp as queue_bp
    from .portfolio.views import bp as portfolio_bp
    from .quotes.views import bp as quotes_bp
    from .subscription.views import bp as subscription_bp
    from .signature.views import bp as signature_bp
    from .cli import register_cli
    from .formatting import register_filters

    app.register_blueprint(admin_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(messaging_bp)
    app.register_blueprint(delivery_bp)
    app.register_blueprint(queue_bp)
    app.register_blueprint(portfolio_bp)
    app.register_blueprint(quotes_bp)
    app.register_blueprint(subscription_bp)
    app.register_blueprint(signature_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(client_space_bp)
    register_cli(app)
    register_filters(app)
    _register_errors(app)
    _register_security_headers(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not app.logger.handlers or app.config["PORTAL_ENV"] == "production":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(logging.INFO)


def _register_errors(app: Flask) -> None:
    def page(code: int, title: str, text: str):
        return render_template("errors/error.html", code=code, title=title, text=text), code

    app.register_error_handler(403, lambda e: page(403, "Accès refusé", "Vous n'avez pas accès à cette page."))
    app.register_error_handler(404, lambda e: page(404, "Page introuvable", "La page demandée n'existe pas ou n'est plus disponible."))
    app.register_error_handler(405, lambda e: page(405, "Action impossible", "Cette action n'est pas possible sur cette page."))
    app.register_error_handler(413, lambda e: page(413, "Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."))
    app.register_error_handler(429, lambda e: page(429, "Trop de tentatives", "Trop de demandes en peu de temps. Merci de patienter quelques minutes avant de réessayer."))
    app.register_error_handler(
        CSRFError,
        lambda e: page(400, "Formulaire expiré", "Ce formulaire a expiré ou a déjà été envoyé. Rechargez la page et recommencez."),
    )

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        app.logger.exception("Erreur interne sur %s", loggable_path(request.path))
        return page(500, "Erreur technique", "Une erreur technique est survenue. Réessayez dans quelques instants ; si elle persiste, contactez le support.")


def _register_security_headers(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] == "production"

    @app.after_request
    def headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.endswith("static"):
            # Every page and file but the static assets may carry personal data: no copy is kept
            # anywhere. send_file's own "no-cache" and validators are replaced, not kept.
            response.headers["Cache-Control"] = "no-store"
            for validator in ("ETag", "Last-Modified", "Expires"):
                response.headers.pop(validator, None)
        return response
