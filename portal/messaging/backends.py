"""Delivery backends: how a queued message leaves the portal.

A backend has one method, `send(message)`, which returns once the message has been handed
over and raises `DeliveryError` otherwise. The worker chooses the backend from the settings:

- `MAIL_URL=outbox` / `SMS_URL=outbox`: nothing leaves the machine and the message counts as
  sent. With the local viewer on (DEV_MESSAGES, never in production), a copy of the message as
  it would go on the wire is kept in instance/outbox/, owner-only, so that /dev/messages
  still shows its links once the database row is scrubbed.
- `SMS_URL=https+json://TOKEN@host/path`: an HTTP SMS provider, see sms.py.
- `MAIL_URL=smtp://user:password@host:port`: SMTP, upgraded with STARTTLS when the server
  offers it (`?starttls=0` never upgrades, `?starttls=1` refuses to send without it);
  `smtps://…` for implicit TLS. `?timeout=` sets the network timeout in seconds (30).
  Without a port: 25 for smtp, 465 for smtps.
"""
from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from ..clock import as_utc, now
from ..config import ConfigurationError
from .models import Channel, Message

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
URL_SETTINGS = {Channel.EMAIL: "MAIL_URL", Channel.SMS: "SMS_URL"}


class DeliveryError(Exception):
    """The message could not be handed over. `permanent`: retrying cannot help (e.g. every
    recipient refused by the server), so the worker gives up at once."""

    def __init__(self, text: str, *, permanent: bool = False):
        super().__init__(text)
        self.permanent = permanent


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


class OutboxBackend:
    """Local delivery: nothing leaves; with `copies`, the message is written there for the viewer."""

    def __init__(self, copies: Path | None = None):
        self.copies = copies

    def send(self, message: Message) -> None:
        if self.copies is not None:
            self.copies.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = _copy_path(self.copies, message.message_id)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(build_mime(message).as_bytes())
        logger.info("Message %s (%s) kept in the local outbox", message.id, message.channel.value)


@dataclass(frozen=True)
class LocalCopy:
    """A delivered message as the outbox wrote it: what the viewer shows once the row is scrubbed."""
    text: str
    html: str | None
    attachments: list[bytes]


def _copy_path(copies: Path, message_id: str) -> Path:
    # Named after the Message-ID, unique for ever, unlike a row id a fresh database gives again.
    return copies / f"{hashlib.sha256(message_id.encode()).hexdigest()[:32]}.eml"


def read_local_copy(copies: Path, message_id: str) -> LocalCopy | None:
    path = _copy_path(copies, message_id)
    if not path.exists():
        return None
    mime = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    html = mime.get_body(("html",))
    return LocalCopy(text=mime.get_body(("plain",)).get_content().replace("\r\n", "\n"),
                     html=html.get_content() if html is not None else None,
                     attachments=[part.get_content() for part in mime.iter_attachments()])


def _split_addresses(value: str) -> list[str]:
    return [address.strip() for address in (value or "").split(",") if address.strip()]


def build_mime(message: Message) -> EmailMessage:
    """The e-mail as it goes on the wire: text and HTML alternatives, then the attachments."""
    mime = EmailMessage(policy=SMTP_POLICY)
    mime["From"] = message.sender
    mime["To"] = ", ".join(_split_addresses(message.to))
    cc = _split_addresses(message.cc)
    if cc:
        mime["Cc"] = ", ".join(cc)
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(as_utc(message.created_at or now()))
    mime["Message-ID"] = message.message_id or make_msgid()
    # Quoted-printable keeps every line ASCII and short, whatever the server accepts.
    mime.set_content(message.body_text, cte="quoted-printable")
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, _, subtype = (attachment.content_type or "").partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        # Non-ASCII file names are written as RFC 2231 parameters (filename*=utf-8''…).
        mime.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return mime


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    starttls: str          # "auto" (when offered), "never" or "required"
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_url(cls, url: str) -> "SmtpSettings":
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise ConfigurationError(f"MAIL_URL is not a valid SMTP address: {error}.") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigurationError(f"MAIL_URL: unsupported scheme {parts.scheme!r} (use outbox, smtp://… or smtps://…).")
        if not parts.hostname:
            raise ConfigurationError("MAIL_URL must name the SMTP host: smtp://user:password@host:port.")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ConfigurationError(f"MAIL_URL: unknown option(s) {', '.join(sorted(unknown))} (known: starttls, timeout).")
        starttls = {"0": "never", "1": "required", "auto": "auto"}.get(query.get("starttls", "auto"))
        if starttls is None:
            raise ConfigurationError("MAIL_URL: starttls must be 0, 1 or auto.")
        implicit_tls = parts.scheme == "smtps"
        if implicit_tls and "starttls" in query:
            raise ConfigurationError("MAIL_URL: smtps:// is already encrypted; starttls applies to smtp:// only.")
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise ConfigurationError("MAIL_URL: timeout must be a number of seconds.") from None
        if timeout <= 0:
            raise ConfigurationError("MAIL_URL: timeout must be a positive number of seconds.")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if not (username or "").isascii() or not (password or "").isascii():
            # smtplib sends AUTH data as ASCII only.
            raise ConfigurationError("MAIL_URL: the SMTP user name and password must be ASCII characters.")
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            starttls="never" if implicit_tls else starttls,
            username=username,
            password=password,
            timeout=timeout,
        )


class SmtpBackend:
    """One SMTP connection per message: simple, and nothing stale between two rounds."""

    def __init__(self, url: str, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = SmtpSettings.from_url(url)
        self.ssl_context = ssl_context or ssl.create_default_context()

    @property
    def server(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self.ssl_context)
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def send(self, message: Message) -> None:
        try:
            mime = build_mime(message)
        except (ValueError, TypeError) as error:
            # A header with a line break, say: the same row will never build, so no retry.
            raise DeliveryError(f"Message cannot be built: {error}", permanent=True) from error
        sender = parseaddr(message.sender)[1]
        recipients = [address for _, address in getaddresses([message.to, message.cc]) if address]
        if not recipients:
            raise DeliveryError("No recipient address.", permanent=True)
        s = self.settings
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                if s.starttls != "never":
                    if smtp.has_extn("starttls"):
                        smtp.starttls(context=self.ssl_context)
                        smtp.ehlo()
                    elif s.starttls == "required":
                        raise DeliveryError(f"SMTP {self.server}: the server does not offer STARTTLS (starttls=1).")
                if s.username:
                    smtp.login(s.username, s.password or "")
                refused = smtp.send_message(mime, from_addr=sender, to_addrs=recipients)
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"SMTP {self.server}: every recipient refused ({_describe(error.recipients)}).",
                                permanent=all(code >= 500 for code in codes)) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise DeliveryError(f"SMTP {self.server}: {error.smtp_code} {_text(error.smtp_error)}",
                                permanent=error.smtp_code >= 500) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {self.server}: {error.smtp_code} {_text(error.smtp_error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            # Connection refused, timeout, TLS failure, server gone: worth another try later.
            raise DeliveryError(f"SMTP {self.server}: {type(error).__name__}: {error}") from error
        if refused:
            # Accepted for the others: sending again would duplicate it for them.
            logger.warning("Message %s: some recipients refused by %s: %s", message.id, self.server, _describe(refused))
        logger.info("Message %s handed to %s", message.id, self.server)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(refused: dict) -> str:
    return "; ".join(f"{address}: {code} {_text(reason)}" for address, (code, reason) in refused.items())


def backend_from_url(url: str, channel: Channel, copies: Path | None = None) -> Backend:
    """The backend a setting names; ConfigurationError when it names none. `copies`: where the
    outbox keeps what it delivers (development only)."""
    channel = Channel(channel)
    url = (url or "").strip()
    if url == "outbox":
        return OutboxBackend(copies)
    if channel is Channel.SMS:
        from . import sms  # imported here: sms.py raises this module's DeliveryError

        return sms.SmsBackend(sms.provider_from_url(url))
    # Only the scheme goes into the error: the rest of the address may hold a password.
    scheme = url.split(":", 1)[0]
    if channel is Channel.EMAIL:
        if scheme in ("smtp", "smtps"):
            return SmtpBackend(url)
        raise ConfigurationError(f"MAIL_URL: unsupported value {scheme!r} (use outbox, smtp://… or smtps://…).")


def local_copies(app) -> Path | None:
    """instance/outbox, where the outbox keeps what it delivers while the viewer is on."""
    return Path(app.instance_path) / "outbox" if app.config.get("DEV_MESSAGES") else None


def backend_for(app, channel: Channel | str) -> Backend:
    channel = Channel(channel)
    return backend_from_url(app.config[URL_SETTINGS[channel]], channel, local_copies(app))


def check_configuration(config) -> None:
    """Refuse to start with a MAIL_URL or SMS_URL that no backend understands."""
    for channel, setting in URL_SETTINGS.items():
        backend_from_url(config.get(setting, "outbox"), channel)
