"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

It can be stopped and started again on the same port, to prove that a message waits while
the server is down and goes out once it is back; it can offer STARTTLS, speak implicit TLS
and require a login, with a self-signed certificate made for 127.0.0.1.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope, and the parsed content."""
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, with the contexts that use it."""
    cert_file: Path
    key_file: Path
    pem: str

    @classmethod
    def create(cls, folder: Path) -> "Certificate":
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        cert_file.write_text(pem)
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cls(cert_file, key_file, pem)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a client trusting only this certificate uses (hostname checked)."""
        return ssl.create_default_context(cadata=self.pem)


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.server._keep(Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=envelope.original_content or envelope.content,
            tls=smtp.transport.get_extra_info("ssl_object") is not None,
            login=login,
        ))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: `received` lists what came in, in order.

    starttls / implicit_tls take a Certificate; users ({login: password}) requires a login.
    """

    def __init__(self, port: int | None = None, *, starttls: Certificate | None = None,
                 implicit_tls: Certificate | None = None, users: dict[str, str] | None = None):
        self.port = port or free_port()
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.users = users
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # -- what came in -------------------------------------------------------------------
    def _keep(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    # -- running ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def _authenticate(self, smtp, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and self.users is not None
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> "SmtpServer":
        if self._controller is not None:
            return self
        options = {}
        if self.starttls:
            options["tls_context"] = self.starttls.server_context()
        if self.implicit_tls:
            options["ssl_context"] = self.implicit_tls.server_context()
            options["server_hostname"] = "localhost"
        if self.users is not None:
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=bool(self.starttls or self.implicit_tls))
        controller = Controller(_Handler(self), hostname=HOST, port=self.port, ready_timeout=10, **options)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
