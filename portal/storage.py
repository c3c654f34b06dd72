"""Files the portal keeps (issued PDFs, later the uploaded pieces), content-addressed.

A file is written first, under the SHA-256 of its bytes, atomically (temporary name, then
rename); the row that points at it is committed after. A crash in between leaves an
unreferenced file nobody can reach, never a row pointing at a missing file.
Local directory by default (STORAGE_DIR, `instance/storage`); production mounts a shared volume.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def _root() -> Path:
    root = Path(current_app.config["STORAGE_DIR"])
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _path(key: str) -> Path:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError(f"clé de fichier invalide : {key!r}")
    return _root() / key[:2] / key


def put(content: bytes) -> str:
    """Store `content`; returns its key (the SHA-256 in hex). Storing the same bytes twice is free."""
    key = hashlib.sha256(content).hexdigest()
    path = _path(key)
    if path.exists():
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, as the files (mkstemp: 0600)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def get(key: str) -> bytes:
    return _path(key).read_bytes()
