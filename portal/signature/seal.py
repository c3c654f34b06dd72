"""The portal's seal on a PDF: a PAdES signature by the sealing certificate, with pyHanko.

Without TSA_URL: PAdES-B-B (the signing time is the portal's clock). With TSA_URL: the
signature carries a timestamp from that authority (B-T) and the certificates and revocation
data needed to check it later (B-LT, in the document security store).
"""
from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pikepdf
from flask import current_app
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from ..config import ConfigurationError
from .certificate import SigningIdentity, identity_from_config

TSA_TIMEOUT = 10  # seconds


class SealError(Exception):
    """The document cannot be sealed; the message is for the signer, in French."""


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def load_pem_certificates(path: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"TSA_ROOTS: cannot read certificates from {path} ({error}).") from None


def outside_event_loop(function, *args, **kwargs):
    """pyHanko's synchronous calls start an asyncio loop of their own, which a thread already
    running one cannot do (an async server, a browser driven by Playwright): they run in a
    thread of their own then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


class LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its private key again at every signature (twice per PDF:
    a dummy one sizes the container), and parsing an RSA key, which cryptography checks,
    costs far more than signing: this one signs with the key parsed once."""

    def __init__(self, key: PrivateKeyTypes, **kwargs):
        super().__init__(**kwargs)
        self.loaded_key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = None
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self.loaded_key, rsa.RSAPrivateKey):
            return self.loaded_key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(self.loaded_key, ec.EllipticCurvePrivateKey):
            return self.loaded_key.sign(data, ec.ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


class Sealer:
    """Seals PDFs with one identity and, optionally, one timestamp authority.

    `tsa_roots` are the anchors of the timestamp authority's certificate, checked (with its
    revocation data) before the data is embedded; without them, the system's trust list.
    """

    def __init__(self, identity: SigningIdentity, timestamper: TimeStamper | None = None,
                 tsa_roots: list[x509.Certificate] = ()):
        self.identity = identity
        self.timestamper = timestamper
        self.tsa_roots = [asn1_certificate(c) for c in tsa_roots]
        self.chain = [asn1_certificate(c) for c in identity.chain]
        self.root = asn1_certificate(identity.root)
        key = asn1_keys.PrivateKeyInfo.load(identity.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.signer = LoadedKeySigner(identity.key, signing_cert=asn1_certificate(identity.certificate),
                                      signing_key=key, cert_registry=SimpleCertificateStore.from_certs(self.chain))

    @property
    def level(self) -> str:
        return "PAdES-B-LT" if self.timestamper else "PAdES-B-B"

    def _validation_context(self) -> ValidationContext:
        # The portal's own root is always trusted; fetching serves a real CA's and the TSA's
        # revocation data (a local root's CRL is issued here, it has nowhere to be fetched from).
        trust = {"trust_roots": [self.root, *self.tsa_roots]} if self.tsa_roots else {"extra_trust_roots": [self.root]}
        return ValidationContext(**trust, other_certs=self.chain, crls=self.identity.crls(), allow_fetching=True)

    def seal(self, pdf: bytes, signer_name: str, reason: str) -> bytes:
        """The PDF with the portal's signature appended, naming the signer and the reason."""
        writer = _incremental_writer(pdf)
        long_term = self.timestamper is not None
        meta = signers.PdfSignatureMetadata(
            field_name=f"Cachet-{uuid.uuid4().hex[:12]}", subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256", name=signer_name, reason=reason, location="France",
            embed_validation_info=long_term, validation_context=self._validation_context() if long_term else None,
        )
        output = BytesIO()
        try:
            pdf_signer = signers.PdfSigner(meta, signer=self.signer, timestamper=self.timestamper)
            outside_event_loop(pdf_signer.sign_pdf, writer, output=output)
        except TimestampRequestError as error:
            raise SealError("Le service d'horodatage ne répond pas : la signature n'a pas été apposée, "
                            "réessayez dans quelques minutes.") from error
        except PdfError as error:
            raise SealError("Le document PDF ne peut pas être signé.") from error
        return output.getvalue()


def _incremental_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """pyHanko refuses some valid files (hybrid cross-reference tables, say): those are
    rewritten once by qpdf (pikepdf) into a plain file, then signed."""
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf))
    except PdfError:
        pass
    try:
        with pikepdf.open(BytesIO(pdf)) as document:
            normalised = BytesIO()
            document.save(normalised)
        return IncrementalPdfFileWriter(BytesIO(normalised.getvalue()))
    except (pikepdf.PdfError, pikepdf.PasswordError, PdfError, ValueError) as error:
        raise SealError("Le document PDF est illisible ou protégé : il ne peut pas être signé.") from error


_sealers: dict[tuple, Sealer] = {}
_sealers_lock = threading.Lock()


def sealer_for(config) -> Sealer:
    """The sealer the settings describe, built once per process (loading a PKCS#12 costs)."""
    settings = tuple(config.get(name) or "" for name in
                     ("PORTAL_ENV", "INSTANCE_PATH", "SIGNING_P12", "SIGNING_P12_PASSWORD", "TSA_URL", "TSA_ROOTS"))
    with _sealers_lock:
        if settings not in _sealers:
            _, _, _, _, tsa_url, tsa_roots = settings
            timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT) if tsa_url else None
            _sealers[settings] = Sealer(identity_from_config(config), timestamper,
                                        load_pem_certificates(tsa_roots) if tsa_roots else [])
        return _sealers[settings]


def seal(pdf_bytes: bytes, signer_name: str, reason: str) -> bytes:
    """Seal with the current application's settings."""
    return sealer_for(current_app.config).seal(pdf_bytes, signer_name, reason)
