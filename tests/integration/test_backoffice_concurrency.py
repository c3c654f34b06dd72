"""Two managers on the same dossier, on PostgreSQL: eight simultaneous "Créer l'adhésion"
create one adhesion (one journal row, one e-mail), the others told it was done; simultaneous
"Valider" and "Refuser" of one piece take one decision."""
from __future__ import annotations

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
