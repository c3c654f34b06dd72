"""The proof file: a sealed PDF naming the signer, every step and the documents' hashes, with
the chained events attached as JSON; the SMS code appears neither in it nor in any log."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timezone
from io import BytesIO

import pytest
from pypdf import PdfReader
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import validation
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from weasyprint import HTML

from portal.messaging.models import Channel
from portal.messaging.worker import deliver_due
from portal.signature.certificate import local_identity
from portal.signature.codes import send_code, verify_code
from portal.signature.proof import (ChainBroken, Event, Signer, SignedDocument, attached_json, build_proof,
                                    verify_chain)
from portal.signature.seal import Sealer, asn1_certificate, outside_event_loop


def validate_pdf_signature(*args, **kwargs):
    """pyHanko's validation, away from the event loop a browser test may have left running."""
    return outside_event_loop(validation.validate_pdf_signature, *args, **kwargs)


BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
SIGNER = Signer("Jeanne Dupont", "06 •• •• •• 78", "jeanne.dupont@exemple.fr")
AT = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # 10:30 in Paris


@pytest.fixture(scope="module")
def sealer(tmp_path_factory):
    return Sealer(local_identity(tmp_path_factory.mktemp("instance") / "signing"))


def documents(sealer) -> list[SignedDocument]:
    signed = []
    for name in ("Bulletin Individuel d'adhésion.pdf", "Mandat SEPA.pdf", "Règles générales.pdf"):
        before = HTML(string=f"<h1>{name}</h1>").write_pdf()
        signed.append(SignedDocument(name, before, sealer.seal(before, SIGNER.name, "Adhésion")))
    return signed


def events() -> list[Event]:
    return [Event("Document affiché", AT.replace(minute=31), "203.0.113.7", BROWSER, "Document 1 sur 3"),
            Event("Consentement coché", AT.replace(minute=32), "203.0.113.7", BROWSER, "J'ai pris connaissance"),
            Event("Code envoyé", AT.replace(minute=33), "203.0.113.7", BROWSER, "au 06 •• •• •• 78"),
            Event("Code vérifié", AT.replace(minute=34, second=5), "203.0.113.7", BROWSER, ""),
            Event("Signature", AT.replace(minute=34, second=6), "203.0.113.7", BROWSER, "3 documents scellés")]


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())


def test_the_proof_file_is_sealed_and_says_who_what_and_when(app, sealer):
    signed = documents(sealer)
    proof = build_proof("souscription:42", SIGNER, signed, events(), sealer)

    signature = PdfFileReader(BytesIO(proof)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[asn1_certificate(sealer.identity.root)], allow_fetching=False)
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line is True and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert signature.sig_object["/Reason"] == "Fichier de preuve de la signature électronique"

    text = text_of(proof)
    for expected in ("Fichier de preuve", "Jeanne Dupont", "06 •• •• •• 78", "jeanne.dupont@exemple.fr",
                     "Mandat SEPA.pdf", "Document 1 sur 3", "Consentement coché", "Code vérifié",
                     "25/11/2026 10:34:05", "203.0.113.7", "PAdES-B-B"):
        assert expected in text, expected
    for document in signed:
        assert hashlib.sha256(document.before).hexdigest() in text
        assert hashlib.sha256(document.after).hexdigest() in text

    data = attached_json(proof)
    assert data["signer"] == {"name": "Jeanne Dupont", "phone": "06 •• •• •• 78", "email": "jeanne.dupont@exemple.fr"}
    assert [d["sha256_after"] for d in data["documents"]] == [hashlib.sha256(d.after).hexdigest() for d in signed]
    assert [e["step"] for e in data["events"]] == ["Document affiché", "Consentement coché", "Code envoyé",
                                                   "Code vérifié", "Signature"]
    assert data["events"][3]["at"] == "2026-11-25T09:34:05+00:00"
    verify_chain(data["events"], head=data["head"])
    assert data["head"] in text  # the printed, sealed head
    with pytest.raises(ChainBroken):
        verify_chain(data["events"][:1] + data["events"][2:], head=data["head"])


def test_the_code_is_in_no_proof_and_no_log(app, sealer, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    send_code("souscription:42", "06 12 34 56 78")
    [sms] = [m for m in outbox() if m.channel == Channel.SMS]
    code = re.search(r"\d{6}", sms.body_text).group(0)
    verify_code("souscription:42", code)
    assert deliver_due(app) == 1
    proof = build_proof("souscription:42", SIGNER, documents(sealer), events(), sealer)
    # Alone, not inside a hexadecimal hash, where six digits in a row can occur by chance.
    alone = re.compile(rf"(?<![0-9a-f]){code}(?![0-9a-f])")
    assert not alone.search(text_of(proof))
    assert not alone.search(str(attached_json(proof)))
    assert code not in caplog.text
