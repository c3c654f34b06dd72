"""SMS providers behind one interface: `send(to, text, key)`.

`key` is the message's own id, sent as the provider's idempotency key: when a try timed out
after the provider had in fact taken the SMS, the retry carries the same key and the
provider does not send it a second time.

- `SMS_URL=outbox` (default): nothing leaves the machine (backends.OutboxBackend);
  /dev/messages shows the SMS.
- `SMS_URL=https+json://TOKEN@host/path`: an HTTP provider. Each SMS is a JSON POST
  {"to": "+33612345678", "text": "…", "sender": "…"} to https://host/path, with
  `Authorization: Bearer TOKEN` and `Idempotency-Key: <key>`. 2xx: accepted; 408, 429, 5xx,
  timeouts and network errors: tried again later by the worker; any other answer: refused
  for good. Options: `?timeout=` in seconds (10), `?sender=` (the name shown, "MesSolutions").
  `http+json://` (no TLS) is accepted for a provider on the machine itself only (127.0.0.1).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import urllib.error
import urllib.request
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from ..config import ConfigurationError
from .backends import DeliveryError
from .models import Message

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_SENDER = "MesSolutions"
RETRIED_STATUSES = {408, 429}
SCHEMES = {"https+json": "https", "http+json": "http"}


class SmsProvider(Protocol):
    def send(self, to: str, text: str, key: str) -> None: ...


class HttpJsonSms:
    def __init__(self, url: str):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise ConfigurationError(f"SMS_URL is not a valid address: {error}.") from None
        if parts.scheme not in SCHEMES:
            raise ConfigurationError(f"SMS_URL: unsupported scheme {parts.scheme!r} (use outbox or https+json://…).")
        if not parts.hostname:
            raise ConfigurationError("SMS_URL must name the provider's host: https+json://TOKEN@host/path.")
        if parts.scheme == "http+json" and not _loopback(parts.hostname):
            raise ConfigurationError("SMS_URL: http+json:// sends the token in clear; it is accepted for 127.0.0.1 "
                                     "only, use https+json://.")
        if not parts.username:
            raise ConfigurationError("SMS_URL must carry the provider's token: https+json://TOKEN@host/path.")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"timeout", "sender"}
        if unknown:
            raise ConfigurationError(f"SMS_URL: unknown option(s) {', '.join(sorted(unknown))} (known: sender, timeout).")
        try:
            self.timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise ConfigurationError("SMS_URL: timeout must be a number of seconds.") from None
        if not 0 < self.timeout <= 120:
            raise ConfigurationError("SMS_URL: timeout must be between 0 and 120 seconds.")
        self.sender = query.get("sender", DEFAULT_SENDER)
        self.token = unquote(parts.username) + (":" + unquote(parts.password) if parts.password else "")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = f"{host}:{port}" if port else host
        self.endpoint = urlunsplit((SCHEMES[parts.scheme], netloc, parts.path or "/", "", ""))

    def send(self, to: str, text: str, key: str) -> None:
        body = json.dumps({"to": to, "text": text, "sender": self.sender}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Idempotency-Key": key,
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = error.read(300).decode("utf-8", "replace")
            permanent = error.code < 500 and error.code not in RETRIED_STATUSES
            raise DeliveryError(f"SMS provider {self.endpoint}: HTTP {error.code} {detail}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as error:
            # Timeout, refused connection, TLS failure: the SMS may or may not have been
            # taken; the retry carries the same key, so it is sent at most once.
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"SMS provider {self.endpoint}: {type(reason).__name__}: {reason}") from None
        logger.info("SMS %s handed to %s", key, self.endpoint)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_from_url(url: str) -> SmsProvider:
    """The provider SMS_URL names (other than the outbox); ConfigurationError otherwise."""
    return HttpJsonSms(url.strip())


class SmsBackend:
    """The outbox worker's view of an SMS provider: a queued message in, `send(to, text, key)` out."""

    def __init__(self, provider: SmsProvider):
        self.provider = provider

    def send(self, message: Message) -> None:
        self.provider.send(message.to, message.body_text, message.message_id)
