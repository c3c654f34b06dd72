"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Every value can be set from the environment, so one image serves every machine size.
"""
import multiprocessing
import os

from gunicorn.glogging import Logger

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
# The route only: no link token, no query string (searched names), in any field of the line.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The proxy in front is trusted for X-Forwarded-*; the application reads them only when
# TRUSTED_PROXIES says how many there are.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_field_size = 8190


class RouteOnlyAccessLog(Logger):
    """gunicorn's logger, with the request line, the path, the Referer and every header or
    environ value cleared of tokens and query strings (portal.access_log)."""

    def atoms(self, resp, req, environ, request_time):
        from portal.access_log import loggable_path, without_tokens

        atoms = super().atoms(resp, req, environ, request_time)
        path = loggable_path(environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        atoms.update({"r": f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}", "U": path, "q": "",
                      "f": loggable_path(atoms["f"]), "{referer}i": loggable_path(atoms.get("{referer}i", "-"))})
        for name in ("{raw_uri}e", "{request_uri}e", "{path_info}e"):
            if name in atoms:
                atoms[name] = path
        atoms["{query_string}e"] = ""
        return {name: without_tokens(value) if isinstance(value, str) else value for name, value in atoms.items()}


logger_class = RouteOnlyAccessLog


def post_fork(server, worker):
    """Each worker opens its own database connections: none may be inherited from the parent."""
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
