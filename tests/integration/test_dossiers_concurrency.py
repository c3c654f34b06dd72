"""Parallel requests on a contract, on PostgreSQL: its pieces built once by simultaneous first
reads, simultaneous first files moving it to "Dossier transmis" once, a new piece asked once
by a double click."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from portal.dossiers.models import Piece, PieceFile, PieceStatus
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.signature.models import Contract, Progress
from tests.conftest import IsolatedClient, csrf_token

from .test_dossiers import a_jpeg, a_pdf, paper_contract
from .test_reliability import parallel_posts, postgresql_only, run_in_threads


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_parallel_first_reads_and_first_files(app, client, signing_dossier):
    postgresql_only()
    contract = paper_contract(signing_dossier)
    cookie = client.get_cookie("session").value
    statuses = []

    def as_the_broker(method: str, path: str, **options):
        def call():
            other = IsolatedClient(app, app.response_class, use_cookies=True)
            other.set_cookie("session", cookie)
            statuses.append(other.open(path, method=method, **options).status_code)
        return call

    assert run_in_threads(app, [as_the_broker("GET", f"/contrats/{contract.id}")] * 4) == []
    assert statuses == [200] * 4
    assert count(Piece) == 8

    token = csrf_token(client.get(f"/contrats/{contract.id}").get_data(as_text=True))
    codes = ("identite", "rib", "attestation_ss", "kbis")
    targets = {code: db.session.scalar(select(Piece.id).where(Piece.code == code)) for code in codes}
    statuses.clear()
    sends = [as_the_broker("POST", f"/pieces/{targets[code]}/fichiers", content_type="multipart/form-data",
                           data={"csrf_token": token,
                                 "fichier": (io.BytesIO(a_jpeg() if n % 2 else a_pdf()), f"{code}.bin")})
             for n, code in enumerate(codes)]
    assert run_in_threads(app, sends) == []
    assert statuses == [302] * 4
    assert count(PieceFile) == 4
    assert count(Piece, Piece.status == PieceStatus.RECUE) == 4
    assert db.session.get(Contract, contract.id).progress is Progress.DOSSIER_TRANSMIS
    assert count(JournalEntry, JournalEntry.agenda_kind == "dossier_transmis") == 1
    assert count(JournalEntry, JournalEntry.object_type == "contrat", JournalEntry.to_status == "dossier_transmis") == 1


def test_a_double_click_on_a_new_piece_asks_it_once(app, client, signing_dossier):
    postgresql_only()
    contract = paper_contract(signing_dossier)
    token = csrf_token(client.get(f"/contrats/{contract.id}").get_data(as_text=True))
    results = parallel_posts(app, client, f"/contrats/{contract.id}/pieces",
                             {"csrf_token": token, "type": "Avis d'imposition 2025"}, 4)
    assert sorted(status for status, _ in results) == [302, 422, 422, 422]
    assert count(Piece, Piece.label == "Avis d'imposition 2025") == 1


def test_two_files_at_once_for_one_piece_write_one_reception(app, client, signing_dossier):
    """Both files kept, the piece "Reçue" once in the journal: the piece's row is locked while
    each file is received, so the second reads the status the first wrote."""
    postgresql_only()
    contract = paper_contract(signing_dossier)
    token = csrf_token(client.get(f"/contrats/{contract.id}").get_data(as_text=True))
    rib = db.session.scalar(select(Piece.id).where(Piece.code == "rib"))
    cookie = client.get_cookie("session").value

    def send(content: bytes, name: str):
        def call():
            other = IsolatedClient(app, app.response_class, use_cookies=True)
            other.set_cookie("session", cookie)
            assert other.post(f"/pieces/{rib}/fichiers", content_type="multipart/form-data",
                              data={"csrf_token": token, "fichier": (io.BytesIO(content), name)}).status_code == 302
        return call

    assert run_in_threads(app, [send(a_pdf(), "rib.pdf"), send(a_jpeg(), "rib.jpg")]) == []
    assert count(PieceFile, PieceFile.piece_id == rib) == 2
    assert count(JournalEntry, JournalEntry.object_type == "piece", JournalEntry.object_id == rib) == 1
    assert count(JournalEntry, JournalEntry.agenda_kind == "dossier_transmis") == 1
