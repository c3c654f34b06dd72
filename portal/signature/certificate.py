"""The certificate that seals the signed PDFs.

Production: the insurer's PKCS#12 (`SIGNING_P12`, a path, and `SIGNING_P12_PASSWORD`); its
certificate authority publishes the revocation data, fetched when a signature embeds it.

Locally: a root CA of the portal and a sealing certificate it issued, generated once into
instance/signing/ (owner-only files). The root is what tests and a local reader trust; its
key stays in instance/signing/ so that the portal can issue the root's revocation list (CRL)
that a long-term (B-LT) signature embeds, since nothing can be fetched for a local root.
"""
from __future__ import annotations

import fcntl
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes as PrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..config import ConfigurationError

LOCAL_DIRECTORY = "signing"
ROOT_P12 = "racine-locale.p12"
ROOT_PEM = "racine-locale.pem"
SEAL_P12 = "cachet.p12"
PASSWORD_FILE = "mot-de-passe-p12"
ORGANISATION = "Mes Solutions Plus"
CRL_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class SigningIdentity:
    """The sealing key, its certificate and the chain up to the root that readers trust."""
    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]      # issuers, the root last
    root: x509.Certificate
    root_key: PrivateKey | None = None  # local root only: it signs its own CRL

    def crls(self) -> list[bytes]:
        """The local root's CRL (DER, nobody revoked), fresh; nothing for a real CA, whose
        revocation data is fetched."""
        if self.root_key is None:
            return []
        return [issue_crl(self.root, self.root_key)]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def make_root(common_name: str, key: PrivateKey, years: int = 20) -> x509.Certificate:
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    return (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))


def issue_leaf(common_name: str, public_key, issuer: x509.Certificate, issuer_key: PrivateKey, *,
               timestamping: bool = False, crl_url: str | None = None, years: int = 5) -> x509.Certificate:
    """A certificate for sealing (non-repudiation) or, with `timestamping`, for a timestamp
    authority; `crl_url` says where its issuer publishes revocations."""
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(issuer.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not timestamping,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=False, crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if timestamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def issue_crl(issuer: x509.Certificate, issuer_key: PrivateKey) -> bytes:
    moment = datetime.now(timezone.utc) - timedelta(minutes=1)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
           .last_update(moment).next_update(moment + CRL_LIFETIME)
           .add_extension(x509.CRLNumber(int(moment.timestamp())), critical=False)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
           .sign(issuer_key, hashes.SHA256()))
    return crl.public_bytes(serialization.Encoding.DER)


def load_p12(data: bytes, password: str, source: str) -> SigningIdentity:
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError:
        raise ConfigurationError(f"{source}: the PKCS#12 cannot be opened (wrong SIGNING_P12_PASSWORD?).") from None
    if key is None or certificate is None:
        raise ConfigurationError(f"{source}: the PKCS#12 must hold the sealing key and its certificate.")
    chain = _order_chain(certificate, list(others))
    if not chain or chain[-1].issuer != chain[-1].subject:
        raise ConfigurationError(f"{source}: the PKCS#12 must hold the whole chain up to the root certificate.")
    return SigningIdentity(key=key, certificate=certificate, chain=tuple(chain), root=chain[-1])


def _order_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    chain, current = [], leaf
    while current.issuer != current.subject:
        issuer = next((c for c in others if c.subject == current.issuer and c not in chain), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def identity_from_config(config) -> SigningIdentity:
    """The sealing identity the settings name; ConfigurationError when production has none."""
    path = config.get("SIGNING_P12") or ""
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise ConfigurationError(f"SIGNING_P12: cannot read {path} ({error.strerror}).") from None
        return load_p12(data, config.get("SIGNING_P12_PASSWORD") or "", "SIGNING_P12")
    if config.get("PORTAL_ENV") == "production":
        raise ConfigurationError("SIGNING_P12 (the insurer's PKCS#12) and SIGNING_P12_PASSWORD must be set in "
                                 "production: the local certificate is for development only.")
    return local_identity(Path(config["INSTANCE_PATH"]) / LOCAL_DIRECTORY)


@contextmanager
def _locked(directory: Path):
    """One process generates the local certificates; the others wait and read them."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def _p12(name: str, key, certificate, others, password: str) -> bytes:
    encryption = serialization.BestAvailableEncryption(password.encode())
    return pkcs12.serialize_key_and_certificates(name.encode(), key, certificate, others, encryption)


def local_identity(directory: Path) -> SigningIdentity:
    """The local root and sealing certificate, generated on first use."""
    with _locked(directory):
        password_file = directory / PASSWORD_FILE
        if not (directory / SEAL_P12).exists():
            password = secrets.token_urlsafe(32)
            root_key, seal_key = new_key(), new_key()
            root = make_root(f"{ORGANISATION} — racine locale (développement)", root_key)
            seal = issue_leaf(f"{ORGANISATION} — cachet de signature (développement)", seal_key.public_key(),
                              root, root_key)
            _write_private(password_file, password.encode())
            _write_private(directory / ROOT_P12, _p12("racine", root_key, root, None, password))
            _write_private(directory / SEAL_P12, _p12("cachet", seal_key, seal, [root], password))
            _write_private(directory / ROOT_PEM, root.public_bytes(serialization.Encoding.PEM))
        password = password_file.read_text().strip()
        identity = load_p12((directory / SEAL_P12).read_bytes(), password, str(directory / SEAL_P12))
        root_key, _, _ = pkcs12.load_key_and_certificates((directory / ROOT_P12).read_bytes(), password.encode())
    return SigningIdentity(key=identity.key, certificate=identity.certificate, chain=identity.chain,
                           root=identity.root, root_key=root_key)
