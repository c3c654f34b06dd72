"""The e-mail as it goes on the wire: headers from the row, text and HTML, attachments."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

import pytest

from portal.messaging.backends import DeliveryError, SmtpBackend, build_mime
from portal.messaging.models import Attachment, Channel, Message

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


def make_message(**changes) -> Message:
    values = dict(
        id=7,
        channel=Channel.EMAIL,
        message_id="<3f2a9c@mes-solutions-plus.fr>",
        sender="Mes Solutions Plus <noreply@mes-solutions-plus.fr>",
        to="jean.dupont@example.fr",
        cc="courtier@cabinet-demo.fr",
        subject="Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage",
        body_text="Bonjour Monsieur DUPONT,\nVous pouvez dès maintenant finaliser votre adhésion : https://portail.example/s/abc\n",
        body_html="<p>Bonjour Monsieur DUPONT,</p><p>Finaliser <a href=\"https://portail.example/s/abc\">votre adhésion</a></p>",
        created_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc),
        attempts=0,
    )
    values.update(changes)
    attachments = values.pop("attachments", [
        Attachment(filename="DEVIS.pdf", content_type="application/pdf", content=PDF),
        Attachment(filename="Règles générales.pdf", content_type="application/pdf", content=b"%PDF regles"),
        Attachment(filename="Garanties Équilibre 3.pdf", content_type="application/pdf", content=b"%PDF garanties"),
    ])
    message = Message(**values)
    message.attachments = attachments
    return message


def parse(message: Message):
    return email.message_from_bytes(build_mime(message).as_bytes(), policy=email.policy.default)


def test_headers_come_from_the_row():
    parsed = parse(make_message())
    assert parsed["From"] == "Mes Solutions Plus <noreply@mes-solutions-plus.fr>"
    assert parsed["To"] == "jean.dupont@example.fr"
    assert parsed["Cc"] == "courtier@cabinet-demo.fr"
    assert parsed["Subject"] == "Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage"
    assert parsed["Message-ID"] == "<3f2a9c@mes-solutions-plus.fr>"
    assert parsed["Date"].datetime == datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_several_recipients_and_no_cc_header_when_empty():
    parsed = parse(make_message(to="a@example.fr,b@example.fr", cc=""))
    assert [address.addr_spec for address in parsed["To"].addresses] == ["a@example.fr", "b@example.fr"]
    assert parsed["Cc"] is None


def test_text_and_html_are_alternatives_before_the_attachments():
    parsed = parse(make_message())
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = parsed.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == ["text/plain", "text/html"]
    assert "finaliser votre adhésion : https://portail.example/s/abc" in parsed.get_body(("plain",)).get_content()
    assert '<a href="https://portail.example/s/abc">votre adhésion</a>' in parsed.get_body(("html",)).get_content()


def test_attachments_keep_their_accented_names_and_bytes():
    message = make_message()
    raw = build_mime(message).as_bytes()
    # RFC 2231: the accented name travels as filename*=utf-8''…, readable by any client.
    assert b"filename*=utf-8''R%C3%A8gles%20g%C3%A9n%C3%A9rales.pdf" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    pieces = list(parsed.iter_attachments())
    assert [piece.get_filename() for piece in pieces] == ["DEVIS.pdf", "Règles générales.pdf", "Garanties Équilibre 3.pdf"]
    assert [piece.get_content_type() for piece in pieces] == ["application/pdf"] * 3
    assert pieces[0].get_content() == PDF


def test_every_line_on_the_wire_is_ascii():
    raw = build_mime(make_message()).as_bytes()
    raw.decode("ascii")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_a_text_only_message_is_a_single_part():
    parsed = parse(make_message(body_html=None, attachments=[]))
    assert parsed.get_content_type() == "text/plain"
    assert "Bonjour Monsieur DUPONT" in parsed.get_content()


def test_unknown_content_type_is_sent_as_bytes():
    parsed = parse(make_message(attachments=[Attachment(filename="note", content_type="", content=b"\x00\x01")]))
    piece = next(parsed.iter_attachments())
    assert piece.get_content_type() == "application/octet-stream"
    assert piece.get_content() == b"\x00\x01"


def test_a_message_that_cannot_be_built_fails_for_good_without_connecting():
    # Nothing listens on port 9 of a documentation address; the error comes before any connection.
    backend = SmtpBackend("smtp://192.0.2.1:9?timeout=0.5")
    with pytest.raises(DeliveryError) as error:
        backend.send(make_message(subject="Objet\r\nBcc: victime@example.fr"))
    assert error.value.permanent
    assert "cannot be built" in str(error.value)
