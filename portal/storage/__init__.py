"""Files the portal keeps (issued PDFs, uploaded pieces), each one a record (StoredFile) with
its content encrypted at rest, content-addressed by the SHA-256 of its plaintext.

Order of writing: the content is written first, then the record is added to the caller's
transaction. A crash in between leaves content without a record, which nobody can reach and
`sweep_orphans` removes; never a record pointing at missing content. Deleting is the reverse:
the records first (committed), then the content once no record points at it.

On PostgreSQL, writing and deleting the same content take a transaction lock on its key, so a
file stored again at the moment its last record is deleted is never lost. SQLite (a single
laptop process) goes without.

The backend (local directory, shared volume or S3-compatible storage) is chosen by STORAGE_URL;
see backends.py.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import delete, select, text

from ..clock import now
from ..extensions import db
from .backends import Backend, backend_for
from .encryption import CorruptFile, seal, unseal
from .models import StoredFile

__all__ = ["CorruptFile", "StoredFile", "put", "get", "files_of", "delete_files", "erase_owner", "purge_before",
           "sweep_orphans", "backend"]

Owner = tuple[str, int | str]


def backend() -> Backend:
    """The application's backend, made once (an S3 client is slow to build)."""
    config = current_app.config
    settings = (config.get("STORAGE_URL") or "", config["STORAGE_DIR"], config.get("STORAGE_S3_ENDPOINT_URL"))
    cached = current_app.extensions.get("storage")
    if cached is None or cached[0] != settings:
        cached = (settings, backend_for(*settings))
        current_app.extensions["storage"] = cached
    return cached[1]


def _is_key(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


def _check_key(key: str) -> str:
    if not _is_key(key):
        raise ValueError(f"clé de fichier invalide : {key!r}")
    return key


def _lock(key: str) -> None:
    """Serialise writers and deleters of one content until the end of the transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                           {"id": int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)})


def put(content: bytes, *, owner: Owner, kind: str, name: str, content_type: str = "application/pdf",
        created_by: str | None = None) -> str:
    """Store `content` for `owner` and add its record to the session (the caller commits);
    returns the key (the SHA-256 in hex). The same bytes stored again for the same owner and
    kind keep their one record; for another owner they share the content."""
    key = hashlib.sha256(content).hexdigest()
    owner_type, owner_id = owner[0], str(owner[1])
    _lock(key)
    store = backend()
    if not store.exists(key):
        store.write(key, seal(content, key, current_app.config["FIELD_ENCRYPTION_KEY"]))
    already = db.session.scalar(select(StoredFile.id).where(
        StoredFile.owner_type == owner_type, StoredFile.owner_id == owner_id, StoredFile.kind == kind,
        StoredFile.sha256 == key))
    if already is None:
        db.session.add(StoredFile(owner_type=owner_type, owner_id=owner_id, kind=kind, file_name=name,
                                  content_type=content_type, size=len(content), sha256=key, created_by=created_by))
    return key


def get(key: str) -> bytes:
    """The plaintext of a stored file. FileNotFoundError if it was deleted, CorruptFile if altered."""
    return unseal(backend().read(_check_key(key)), key, current_app.config["FIELD_ENCRYPTION_KEY"])


def files_of(owner: Owner, kind: str | None = None) -> list[StoredFile]:
    query = select(StoredFile).where(StoredFile.owner_type == owner[0], StoredFile.owner_id == str(owner[1]))
    if kind is not None:
        query = query.where(StoredFile.kind == kind)
    return list(db.session.scalars(query.order_by(StoredFile.id)))


def delete_files(ids: Iterable[int]) -> int:
    """Delete these records (committed), then the contents no record points at any more.
    Returns the number of records deleted."""
    ids = list(ids)
    if not ids:
        return 0
    keys = set(db.session.scalars(select(StoredFile.sha256).where(StoredFile.id.in_(ids))))
    deleted = db.session.execute(delete(StoredFile).where(StoredFile.id.in_(ids))
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    _delete_unreferenced(keys)
    return deleted


def erase_owner(owner: Owner) -> int:
    """The right to erasure: every file of `owner`, record and content (unless shared)."""
    return delete_files(record.id for record in files_of(owner))


def purge_before(cutoff: datetime, *, kind: str, owner_type: str | None = None) -> int:
    """Retention: delete the files of `kind` (of `owner_type`) stored before `cutoff`."""
    query = select(StoredFile.id).where(StoredFile.kind == kind, StoredFile.created_at < cutoff)
    if owner_type is not None:
        query = query.where(StoredFile.owner_type == owner_type)
    return delete_files(db.session.scalars(query).all())


def sweep_orphans(older_than: timedelta = timedelta(hours=1)) -> int:
    """Remove contents without any record, written more than `older_than` ago (left by a crash
    between writing and committing, or between deleting a record and its content). The delay
    leaves alone the contents whose record is being committed right now."""
    candidates = {key for key in backend().keys_written_before(now() - older_than) if _is_key(key)}
    referenced = set(db.session.scalars(select(StoredFile.sha256).where(StoredFile.sha256.in_(candidates)))) \
        if candidates else set()
    return _delete_unreferenced(candidates - referenced)


def _delete_unreferenced(keys: set[str]) -> int:
    store, removed = backend(), 0
    for key in sorted(keys):
        _lock(key)
        if db.session.scalar(select(StoredFile.id).where(StoredFile.sha256 == key).limit(1)) is None:
            store.delete(key)
            removed += 1
    db.session.commit()
    return removed
