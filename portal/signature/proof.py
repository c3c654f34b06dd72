"""The proof file ("Fichier de preuve.pdf") of an electronic signature.

What it proves: who signed (name, masked phone, e-mail), each step with its time, IP address
and browser, and the SHA-256 of each document before and after sealing. The steps are
chained by hash: each one's hash covers the previous one's, and the last hash is printed
and sealed with the file, so an event removed, changed or moved breaks the chain
(`verify_chain`). The same data, as JSON, is attached inside the PDF for machines; the PDF is
then sealed like the documents. The SMS code is never passed here, so it cannot appear.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO

import pikepdf
from cryptography.hazmat.primitives import hashes

from ..catalog.loader import get_catalog
from ..documents.render import render_pdf
from .seal import Sealer

PROOF_FILENAME = "Fichier de preuve.pdf"
JSON_FILENAME = "preuve.json"
GENESIS = "0" * 64
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Event:
    step: str             # "Document affiché", "Consentement coché", "Code envoyé", "Code vérifié", "Signature"
    at: datetime          # aware
    ip: str
    user_agent: str
    detail: str = ""


@dataclass(frozen=True)
class SignedDocument:
    name: str
    before: bytes
    after: bytes


@dataclass(frozen=True)
class Signer:
    name: str
    masked_phone: str
    email: str


class ChainBroken(ValueError):
    """The events do not form the chain they claim: one was removed, changed or moved."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_hash(record: dict) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    return sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())


def chain(events: list[Event]) -> list[dict]:
    """The events as records, each with its position, the previous record's hash and its own."""
    records, previous = [], GENESIS
    for index, event in enumerate(events, start=1):
        record = {"index": index, "step": event.step, "at": event.at.astimezone(timezone.utc).isoformat(),
                  "ip": event.ip, "user_agent": event.user_agent, "detail": event.detail, "previous_hash": previous}
        record["hash"] = previous = _record_hash(record)
        records.append(record)
    return records


def verify_chain(records: list[dict], head: str | None = None) -> None:
    """Raise ChainBroken unless every record follows the one before it, unchanged; `head`,
    when given, is the last hash as sealed (which also catches events cut off at the end)."""
    previous = GENESIS
    for position, record in enumerate(records, start=1):
        if record.get("index") != position or record.get("previous_hash") != previous:
            raise ChainBroken(f"Événement n° {position} : il ne suit pas l'événement précédent.")
        if _record_hash(record) != record.get("hash"):
            raise ChainBroken(f"Événement n° {position} : son contenu a été modifié.")
        previous = record["hash"]
    if head is not None and previous != head:
        raise ChainBroken("La chaîne ne se termine pas par l'empreinte scellée : des événements manquent.")


def proof_data(subject: str, signer: Signer, documents: list[SignedDocument], events: list[Event],
               sealer: Sealer) -> dict:
    records = chain(events)
    certificate = sealer.identity.certificate
    return {
        "format": FORMAT_VERSION,
        "subject": subject,
        "signer": {"name": signer.name, "phone": signer.masked_phone, "email": signer.email},
        "authentication": "Code à usage unique envoyé par SMS au numéro du signataire",
        "seal": {"level": sealer.level, "certificate": certificate.subject.rfc4514_string(),
                 "issuer": certificate.issuer.rfc4514_string(), "serial": format(certificate.serial_number, "x"),
                 "sha256": certificate.fingerprint(hashes.SHA256()).hex()},
        "documents": [{"name": d.name, "sha256_before": sha256(d.before), "sha256_after": sha256(d.after)}
                      for d in documents],
        "events": records,
        "head": records[-1]["hash"] if records else GENESIS,
    }


def build_proof(subject: str, signer: Signer, documents: list[SignedDocument], events: list[Event],
                sealer: Sealer) -> bytes:
    """The sealed proof PDF, with its JSON attached."""
    data = proof_data(subject, signer, documents, events, sealer)
    rendered = render_pdf("preuve.html", {"insurer": get_catalog().insurer, "proof": data,
                                          "events": [(record, event) for record, event in zip(data["events"], events)]})
    attached = _attach_json(rendered, json.dumps(data, ensure_ascii=False, indent=2).encode())
    return sealer.seal(attached, signer.name, "Fichier de preuve de la signature électronique")


def _attach_json(pdf: bytes, content: bytes) -> bytes:
    with pikepdf.open(BytesIO(pdf)) as document:
        document.attachments[JSON_FILENAME] = pikepdf.AttachedFileSpec(
            document, content, description="Événements de la signature (JSON)", mime_type="application/json")
        output = BytesIO()
        document.save(output)
    return output.getvalue()


def attached_json(pdf: bytes) -> dict:
    """The JSON attached to a proof file, read back."""
    with pikepdf.open(BytesIO(pdf)) as document:
        return json.loads(document.attachments[JSON_FILENAME].get_file().read_bytes())
