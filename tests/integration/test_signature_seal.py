"""The portal's seal: each sealed PDF validates with pyHanko against the portal's root, covers
the whole file, names the signer and the reason; one byte changed breaks it. With a timestamp
authority on loopback, the signature is timestamped and carries its validation data (B-LT)."""
from __future__ import annotations

import asyncio
import stat
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign import validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from weasyprint import HTML

from portal.config import ConfigurationError
from portal.signature.certificate import identity_from_config, local_identity
from portal.signature.seal import Sealer, SealError, asn1_certificate, outside_event_loop, seal, sealer_for

from .timestamp_authority import TimestampAuthority


def validate_pdf_signature(*args, **kwargs):
    """pyHanko's validation, away from the event loop a browser test may have left running."""
    return outside_event_loop(validation.validate_pdf_signature, *args, **kwargs)


DOCUMENT = HTML(string="<h1>Demande d'adhésion</h1><p>Mme Jeanne Dupont</p>").write_pdf()


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return local_identity(tmp_path_factory.mktemp("instance") / "signing")


@pytest.fixture(scope="module")
def sealer(identity):
    return Sealer(identity)


def portal_context(identity, **extra) -> ValidationContext:
    return ValidationContext(trust_roots=[asn1_certificate(identity.root)], crls=identity.crls(),
                             allow_fetching=False, **extra)


def only_signature(pdf: bytes):
    signatures = PdfFileReader(BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1
    return signatures[0]


def flip_covered_byte(pdf: bytes) -> bytes:
    """Change one byte of the original document, inside what the signature covers."""
    byte_range = only_signature(pdf).byte_range
    start, length = byte_range[0], byte_range[1]
    position = start + length // 2
    changed = bytearray(pdf)
    changed[position] = ord("A") if changed[position] != ord("A") else ord("B")
    return bytes(changed)


def test_the_local_identity_is_generated_once_with_owner_only_files(tmp_path):
    directory = tmp_path / "signing"
    first = local_identity(directory)
    again = local_identity(directory)
    assert again.certificate == first.certificate and again.root == first.root
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in ("cachet.p12", "racine-locale.p12", "racine-locale.pem", "mot-de-passe-p12"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    usage = first.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment is True  # non-repudiation
    assert first.certificate.issuer == first.root.subject
    assert first.root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_production_refuses_to_seal_without_the_insurers_certificate(tmp_path):
    with pytest.raises(ConfigurationError, match="SIGNING_P12"):
        identity_from_config({"PORTAL_ENV": "production", "INSTANCE_PATH": str(tmp_path), "SIGNING_P12": ""})
    assert not (tmp_path / "signing").exists()


def test_production_loads_the_pkcs12_it_is_given(tmp_path, identity):
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "assureur.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"cachet", identity.key, identity.certificate, [identity.root],
        serialization.BestAvailableEncryption(b"mot de passe")))
    config = {"PORTAL_ENV": "production", "INSTANCE_PATH": str(tmp_path), "SIGNING_P12": str(path)}
    loaded = identity_from_config({**config, "SIGNING_P12_PASSWORD": "mot de passe"})
    assert loaded.certificate == identity.certificate and loaded.root == identity.root
    assert loaded.crls() == []  # a real CA's revocation data is fetched, not made here
    with pytest.raises(ConfigurationError, match="SIGNING_P12_PASSWORD"):
        identity_from_config({**config, "SIGNING_P12_PASSWORD": "autre"})
    with pytest.raises(ConfigurationError, match="cannot read"):
        identity_from_config({**config, "SIGNING_P12": str(tmp_path / "absent.p12")})


def test_a_sealed_pdf_validates_against_the_portal_root_over_the_whole_file(identity, sealer):
    sealed = sealer.seal(DOCUMENT, "Jeanne Dupont", "Demande d'adhésion signée électroniquement")
    assert sealed.startswith(DOCUMENT[:-10])  # appended: the original bytes are kept
    signature = only_signature(sealed)
    assert signature.sig_object["/Name"] == "Jeanne Dupont"
    assert signature.sig_object["/Reason"] == "Demande d'adhésion signée électroniquement"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(signature, portal_context(identity))
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True, True, True, True)
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert status.timestamp_validity is None  # B-B: no timestamp authority


def test_one_byte_changed_makes_the_seal_invalid(identity, sealer):
    sealed = sealer.seal(DOCUMENT, "Jeanne Dupont", "Adhésion")
    status = validate_pdf_signature(only_signature(flip_covered_byte(sealed)), portal_context(identity))
    assert status.intact is False and status.bottom_line is False


def test_sealing_works_while_an_event_loop_runs(identity, sealer):
    async def inside_a_loop():
        return sealer.seal(DOCUMENT, "Jeanne Dupont", "Adhésion")

    # (in a thread of its own: a browser test may have left a loop running in this one)
    sealed = outside_event_loop(lambda: asyncio.run(inside_a_loop()))
    assert validate_pdf_signature(only_signature(sealed), portal_context(identity)).bottom_line is True


def test_another_root_does_not_trust_the_seal(identity, sealer, tmp_path):
    other = local_identity(tmp_path / "other")
    status = validate_pdf_signature(only_signature(sealer.seal(DOCUMENT, "Jeanne Dupont", "Adhésion")),
                                    portal_context(other))
    assert status.intact is True and status.trusted is False and status.bottom_line is False


def test_an_elliptic_curve_key_seals_too(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    from portal.signature.certificate import SigningIdentity, issue_leaf, make_root

    root_key, seal_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = make_root("Racine EC", root_key)
    certificate = issue_leaf("Cachet EC", seal_key.public_key(), root, root_key)
    identity = SigningIdentity(key=seal_key, certificate=certificate, chain=(root,), root=root)
    sealed = Sealer(identity).seal(DOCUMENT, "Jeanne Dupont", "Adhésion")
    status = validate_pdf_signature(only_signature(sealed), ValidationContext(
        trust_roots=[asn1_certificate(root)], allow_fetching=False))
    assert status.bottom_line is True and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_a_file_with_broken_cross_references_is_rewritten_then_sealed(identity, sealer):
    shifted = DOCUMENT.replace(b"\n", b"\n% every offset moved\n", 1)
    status = validate_pdf_signature(only_signature(sealer.seal(shifted, "Jeanne Dupont", "Adhésion")),
                                    portal_context(identity))
    assert status.bottom_line is True and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\nrien\n", "pas un PDF".encode()])
def test_what_is_not_a_pdf_is_refused_with_a_french_message(sealer, content):
    with pytest.raises(SealError, match="illisible"):
        sealer.seal(content, "Jeanne Dupont", "Adhésion")


@pytest.fixture
def authority():
    tsa = TimestampAuthority().start()
    yield tsa
    tsa.stop()


def test_with_a_timestamp_authority_the_seal_is_timestamped_and_long_term(identity, authority):
    sealer = Sealer(identity, HTTPTimeStamper(authority.url), tsa_roots=[authority.root])
    assert sealer.level == "PAdES-B-LT"
    sealed = sealer.seal(DOCUMENT, "Jeanne Dupont", "Adhésion")
    assert "GET /crl" in authority.requests  # the authority's revocation list was fetched to be embedded
    authority.stop()  # from now on nothing can be fetched: the document carries what is needed

    reader = PdfFileReader(BytesIO(sealed))
    store = DocumentSecurityStore.read_dss(reader)
    assert len(store.crls) == 2  # the portal root's and the authority root's
    strict = {"allow_fetching": False, "revocation_mode": "hard-fail"}
    signer_context = store.as_validation_context({"trust_roots": [asn1_certificate(identity.root)], **strict})
    tsa_context = store.as_validation_context({"trust_roots": [asn1_certificate(authority.root)], **strict})
    status = validate_pdf_signature(reader.embedded_signatures[0], signer_context, ts_validation_context=tsa_context)
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True, True, True, True)
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    # The validation data is appended after the signed revision, as PAdES prescribes.
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES

    tampered = PdfFileReader(BytesIO(flip_covered_byte(sealed))).embedded_signatures[0]
    assert validate_pdf_signature(tampered, signer_context, ts_validation_context=tsa_context).intact is False


def test_an_unreachable_timestamp_authority_stops_the_seal(identity, authority):
    sealer = Sealer(identity, HTTPTimeStamper(authority.url), tsa_roots=[authority.root])
    authority.stop()
    with pytest.raises(SealError, match="horodatage"):
        sealer.seal(DOCUMENT, "Jeanne Dupont", "Adhésion")


def test_seal_uses_the_applications_settings(app):
    sealed = seal(DOCUMENT, "Jeanne Dupont", "Adhésion")
    identity = identity_from_config(app.config)
    assert sealer_for(app.config) is sealer_for(app.config)  # built once
    status = validate_pdf_signature(only_signature(sealed), portal_context(identity))
    assert status.bottom_line is True
