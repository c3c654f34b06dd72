"""What a log may say about a request: its route, never a link's token nor its query string.

A customer link (/souscription/<token>) or a password link (/mot-de-passe/initialiser/<token>)
in a log opens a dossier or an account to whoever reads the log; query strings carry searched
names and filters. Tokens are 256-bit random strings of 43 URL-safe characters, and no other
path segment of the portal is that long: any run of 32 or more such characters is replaced.
gunicorn's access log (gunicorn.conf.py), `flask portal serve` and the error log use this.
"""
from __future__ import annotations

import re

from werkzeug.serving import WSGIRequestHandler

TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{32,}")
HIDDEN = "<jeton>"


def loggable_path(target: str) -> str:
    """"/souscription/Ab…yz/devis.pdf?x=1" → "/souscription/<jeton>/devis.pdf"; a full URL (a
    Referer) keeps its origin."""
    return without_tokens(target.split("?", 1)[0].split("#", 1)[0])


def without_tokens(text: str) -> str:
    return TOKEN_LIKE.sub(HIDDEN, text)


class RouteOnlyRequestHandler(WSGIRequestHandler):
    """The request log of `flask portal serve` (werkzeug), with the route only."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the response has started: nothing reads the raw path after this.
        self.path = loggable_path(self.path)
        super().log_request(code, size)
