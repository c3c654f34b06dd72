"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Every value can be set from the environment, so one image serves every machine size.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the portal's work is CPU (pricing, templates, PDFs) and short database calls.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Issuing renders a PDF and queues an e-mail; an export streams: both well under a minute.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that no slow leak ever grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# The application is imported once, then forked: the catalog and templates are shared.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The proxy in front is trusted for X-Forwarded-*; the application reads them only when
# TRUSTED_PROXIES says how many there are.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_field_size = 8190


def post_fork(server, worker):
    """Each worker opens its own database connections: none may be inherited from the parent."""
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
