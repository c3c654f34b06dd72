"""Two managers on the same dossier, on PostgreSQL: eight simultaneous "Créer l'adhésion"
create one adhesion (one journal row, one e-mail), the others told it was done; simultaneous
"Valider" and "Refuser" of one piece take one decision."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from portal.dossiers.models import PieceStatus
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Message
from portal.signature.models import Contract, Progress
from tests.conftest import IsolatedClient, csrf_token

from .test_backoffice_queue import (  # noqa: F401  (fixtures)
    count, manager, pieces, send_all_mandatory, transmitted, validate_all_received)
from .test_reliability import parallel_posts, postgresql_only, run_in_threads


def test_eight_simultaneous_creations_create_one_adhesion(app, transmitted, manager, client, outbox):
    postgresql_only()
    send_all_mandatory(client, transmitted)
    validate_all_received(manager, transmitted)
    before = len(outbox())
    url = f"/gestion/dossiers/{transmitted.id}"
    token = csrf_token(manager.get(url).get_data(as_text=True))
    results = parallel_posts(app, manager, f"{url}/adhesion", {"csrf_token": token}, 8)
    assert [status for status, _ in results] == [302] * 8
    db.session.expire_all()
    assert db.session.get(Contract, transmitted.id).progress is Progress.ADHESION_CREEE
    assert count(JournalEntry, JournalEntry.to_status == "adhesion_creee") == 1
    assert count(JournalEntry, JournalEntry.agenda_kind == "adhesion_creee") == 1
    assert len(outbox()) == before + 1
    assert count(Message, Message.subject == "Mes Solutions Plus - Adhésion créée") == 1


def test_simultaneous_validations_and_refusals_of_a_piece_take_one_decision(app, transmitted, manager, outbox):
    postgresql_only()
    before = len(outbox())
    identity = pieces()["identite"]
    token = csrf_token(manager.get(f"/gestion/dossiers/{transmitted.id}").get_data(as_text=True))
    cookie = manager.get_cookie("session").value
    statuses = []

    def decide(action: str, form: dict):
        def call():
            other = IsolatedClient(app, app.response_class, use_cookies=True)
            other.set_cookie("session", cookie)
            statuses.append(other.post(f"/gestion/pieces/{identity.id}/{action}", data={"csrf_token": token, **form})
                            .status_code)
        return call

    calls = [decide("valider", {}), decide("refuser", {"motif": "Illisible"})] * 4
    assert run_in_threads(app, calls) == []
    assert statuses == [302] * 8
    decisions = db.session.scalars(select(JournalEntry.to_status).where(
        JournalEntry.object_type == "piece", JournalEntry.object_id == identity.id,
        JournalEntry.to_status.in_(("validee", "refusee")))).all()
    assert len(decisions) == 1
    status = pieces()["identite"].status
    assert status is (PieceStatus.VALIDEE if decisions == ["validee"] else PieceStatus.EN_ATTENTE)
    assert len(outbox()) == before + (decisions == ["refusee"])


def a_photo(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), color).save(out, "JPEG")
    return out.getvalue()


def test_a_decision_and_a_new_file_at_once_leave_each_piece_coherent(app, transmitted, manager, client):
    """Each received piece gets a manager's "Valider" (or "Refuser") and a new file from the
    broker at once. Validated first: the file is refused. The file first: the manager, who had
    not seen it, is told and decides nothing. Refused first: the new file makes the piece "Reçue"
    again. Never a Validée or refused piece with a file nobody examined."""
    postgresql_only()
    send_all_mandatory(client, transmitted)
    received = {code: piece for code, piece in pieces().items() if piece.status is PieceStatus.RECUE}
    assert len(received) == 6
    seen = {code: piece.files[-1].id for code, piece in received.items()}
    decisions = {code: ("valider" if n % 2 else "refuser") for n, code in enumerate(sorted(received))}
    manager_token = csrf_token(manager.get(f"/gestion/dossiers/{transmitted.id}").get_data(as_text=True))
    broker_token = csrf_token(client.get(f"/contrats/{transmitted.id}").get_data(as_text=True))
    uploads = {}

    def as_(browser, path: str, form: dict, code: str | None = None, **options):
        cookie = browser.get_cookie("session").value

        def call():
            other = IsolatedClient(app, app.response_class, use_cookies=True)
            other.set_cookie("session", cookie)
            answer = other.post(path, data=form, **options)
            if code:
                uploads[code] = (answer.status_code, answer.get_data(as_text=True))
        return call

    calls = []
    for n, (code, piece) in enumerate(sorted(received.items())):
        calls.append(as_(manager, f"/gestion/pieces/{piece.id}/{decisions[code]}",
                         {"csrf_token": manager_token, "dernier_fichier": str(seen[code]), "motif": "Illisible"}))
        calls.append(as_(client, f"/pieces/{piece.id}/fichiers",
                         {"csrf_token": broker_token, "fichier": (io.BytesIO(a_photo(f"#{n:02x}40a0")), f"{code}.jpg")},
                         code, content_type="multipart/form-data"))
    assert run_in_threads(app, calls) == []

    for code, piece in pieces().items():
        if code not in received:
            continue
        status, page = uploads[code]
        files = len(piece.files)
        last = db.session.scalars(select(JournalEntry.to_status).where(
            JournalEntry.object_type == "piece", JournalEntry.object_id == piece.id)
            .order_by(JournalEntry.id.desc())).first()
        assert last == piece.status.value, code  # the journal ends where the piece is
        if piece.status is PieceStatus.VALIDEE:  # validated first: the new file refused
            assert decisions[code] == "valider" and files == 1 and status == 422, code
            assert "Cette pièce est déjà validée : aucun autre fichier n&#39;est attendu." in page
        else:  # the file in, the decision refused; or refused first, then the file makes it Reçue
            assert piece.status is PieceStatus.RECUE and files == 2 and status == 302, (code, piece.status)
