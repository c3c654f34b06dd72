"""Stored files as records: one row per file, content encrypted at rest under the plaintext's
SHA-256, written before its row, deleted with its last row (erasure, retention, orphans)."""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time

from portal import storage
from portal.extensions import db
from portal.quotes.models import Quote
from portal.storage import CorruptFile, StoredFile
from tests.conftest import run_jobs

# SHA-256 of b"Carte vitale de Claire Martin" (29 bytes), computed once by `sha256sum`.
CARD = b"Carte vitale de Claire Martin"
CARD_KEY_SHA = "255b507d05e299ec7ac18cd1b1c9545e3e754ebfb7569da9a531e206ce5363e2"


@pytest.fixture
def store(app, tmp_path):
    """A storage directory of the test's own, so the files on disk are this test's only."""
    previous = app.config["STORAGE_DIR"]
    app.config["STORAGE_DIR"] = str(tmp_path / "storage")
    yield tmp_path / "storage"
    app.config["STORAGE_DIR"] = previous


def blobs(root: Path) -> list[Path]:
    return sorted(path for path in root.glob("??/*") if not path.name.startswith(".tmp-"))


def records() -> list[tuple]:
    db.session.expire_all()
    return [(r.owner_type, r.owner_id, r.kind, r.file_name, r.content_type, r.size, r.sha256, r.created_by)
            for r in db.session.scalars(db.select(StoredFile).order_by(StoredFile.id))]


def put_card(owner=("dossier", 7), kind="carte_vitale", by="user:3") -> str:
    key = storage.put(CARD, owner=owner, kind=kind, name="carte vitale.pdf", created_by=by)
    db.session.commit()
    return key


def test_a_file_is_a_record_and_its_content_is_encrypted_on_disk(store):
    with freeze_time("2026-11-25 13:00:00"):
        key = put_card()
    assert key == CARD_KEY_SHA
    assert records() == [("dossier", "7", "carte_vitale", "carte vitale.pdf", "application/pdf", 29, CARD_KEY_SHA, "user:3")]
    assert db.session.scalar(db.select(StoredFile.created_at)).replace(tzinfo=timezone.utc) == \
        datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
    [blob] = blobs(store)
    assert blob.name == CARD_KEY_SHA and blob.parent.name == CARD_KEY_SHA[:2]
    on_disk = blob.read_bytes()
    assert on_disk.startswith(b"MSP-ENC1") and b"Carte vitale" not in on_disk
    assert storage.get(key) == CARD


def test_the_same_bytes_share_one_content_but_each_owner_has_its_record(store):
    first = put_card(owner=("dossier", 7))
    again = put_card(owner=("dossier", 7))  # a second click: still one record
    other = put_card(owner=("dossier", 8))
    assert first == again == other
    assert [r[:2] for r in records()] == [("dossier", "7"), ("dossier", "8")]
    assert len(blobs(store)) == 1


def test_content_altered_on_disk_is_refused_not_served(store):
    key = put_card()
    [blob] = blobs(store)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(CorruptFile):
        storage.get(key)
    # Another file's content renamed to this key is refused too (the key is authenticated).
    other = storage.put(b"autre", owner=("dossier", 1), kind="rib", name="rib.pdf")
    db.session.commit()
    blob.write_bytes((store / other[:2] / other).read_bytes())
    with pytest.raises(CorruptFile):
        storage.get(key)


def test_a_crash_between_the_file_and_its_row_leaves_no_row(store):
    storage.put(CARD, owner=("dossier", 7), kind="carte_vitale", name="cv.pdf")
    db.session.rollback()  # the transaction never commits
    assert records() == []
    assert len(blobs(store)) == 1  # content nobody can reach, until the sweep
    assert storage.sweep_orphans(timedelta(hours=1)) == 0  # too recent: its row may be on its way
    old = time.time() - 2 * 3600
    os.utime(blobs(store)[0], (old, old))
    assert storage.sweep_orphans(timedelta(hours=1)) == 1
    assert blobs(store) == []


def test_erasure_deletes_rows_then_the_content_no_row_points_at(store):
    put_card(owner=("dossier", 7))
    put_card(owner=("dossier", 8))
    storage.put(b"RIB de Claire", owner=("dossier", 7), kind="rib", name="rib.pdf")
    db.session.commit()
    assert len(blobs(store)) == 2
    assert storage.erase_owner(("dossier", 7)) == 2
    assert [r[:3] for r in records()] == [("dossier", "8", "carte_vitale")]
    [blob] = blobs(store)  # the card is still dossier 8's; the RIB is gone
    assert blob.name == CARD_KEY_SHA
    assert storage.erase_owner(("dossier", 8)) == 1
    assert records() == [] and blobs(store) == []
    with pytest.raises(FileNotFoundError):
        storage.get(CARD_KEY_SHA)


def test_retention_purges_the_files_of_a_kind_stored_before_a_date(store):
    with freeze_time("2020-01-10 09:00:00"):
        put_card(owner=("dossier", 1), kind="carte_vitale")
        storage.put(b"vieux RIB", owner=("dossier", 1), kind="rib", name="rib.pdf")
        db.session.commit()
    with freeze_time("2026-01-10 09:00:00"):
        storage.put(b"RIB recent", owner=("dossier", 2), kind="rib", name="rib.pdf")
        db.session.commit()
    assert storage.purge_before(datetime(2021, 1, 1, tzinfo=timezone.utc), kind="rib") == 1
    assert [(r[1], r[2]) for r in records()] == [("1", "carte_vitale"), ("2", "rib")]
    assert len(blobs(store)) == 2


def test_files_of_an_owner(store):
    put_card(owner=("dossier", 7), kind="carte_vitale")
    storage.put(b"RIB", owner=("dossier", 7), kind="rib", name="rib.pdf", content_type="application/pdf")
    db.session.commit()
    assert [f.kind for f in storage.files_of(("dossier", 7))] == ["carte_vitale", "rib"]
    assert [f.kind for f in storage.files_of(("dossier", 7), kind="rib")] == ["rib"]
    assert storage.files_of(("dossier", 8)) == []


def test_files_written_before_encryption_are_still_served_if_they_match_their_key(store):
    (store / CARD_KEY_SHA[:2]).mkdir(parents=True)
    (store / CARD_KEY_SHA[:2] / CARD_KEY_SHA).write_bytes(CARD)
    assert storage.get(CARD_KEY_SHA) == CARD
    (store / CARD_KEY_SHA[:2] / CARD_KEY_SHA).write_bytes(b"autre chose")
    with pytest.raises(CorruptFile):
        storage.get(CARD_KEY_SHA)


def test_a_key_that_is_not_a_sha256_is_refused(store):
    with pytest.raises(ValueError):
        storage.get("../../etc/passwd")


def test_an_issued_quote_has_the_record_of_its_devis(app, store, wizard, broker):
    wizard.walk()
    run_jobs(app)  # the worker lays DEVIS.pdf out and stores it
    quote = db.session.get(Quote, wizard.quote_id)
    [record] = records()
    assert record[:5] == ("quote", str(quote.id), "devis", "DEVIS.pdf", "application/pdf")
    assert record[6] == quote.pdf_key and record[7] == f"user:{broker.id}"
    assert record[5] == len(storage.get(quote.pdf_key)) and storage.get(quote.pdf_key).startswith(b"%PDF")


def test_content_stored_again_while_its_last_record_is_deleted_is_kept(app, store):
    """PostgreSQL: a writer storing the same bytes holds the content's lock until it commits, so
    the deleter, which would otherwise see no record and remove the content, waits and keeps it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the content lock is PostgreSQL's (set TEST_DATABASE_URL); SQLite runs one process")
    put_card(owner=("dossier", 1))
    [first] = storage.files_of(("dossier", 1))
    first_id = first.id
    db.session.commit()
    writing, errors = threading.Event(), []

    def writer():
        with app.app_context():
            try:
                storage.put(CARD, owner=("dossier", 2), kind="carte_vitale", name="cv.pdf")
                writing.set()
                time.sleep(1)  # the deleter runs meanwhile and must wait for this commit
                db.session.commit()
            except Exception as error:
                errors.append(repr(error))
                writing.set()
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(timeout=30)
    started = time.monotonic()
    assert storage.delete_files([first_id]) == 1
    waited = time.monotonic() - started
    thread.join(timeout=30)
    assert errors == []
    assert waited > 0.5
    assert [r[:2] for r in records()] == [("dossier", "2")]
    assert storage.get(CARD_KEY_SHA) == CARD
