"""Where the (encrypted) bytes live: a local directory, a shared volume, or S3-compatible object
storage. A backend only moves bytes under a key; records, encryption and deletion rules are the
storage module's."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import urlsplit


class Backend(Protocol):
    def write(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, all or nothing."""

    def read(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError when there are none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key`; nothing happens when it is already gone."""

    def keys_written_before(self, cutoff: datetime) -> Iterator[str]:
        """Every key last written before `cutoff` (for sweeping files left without a record)."""


class LocalDirectory:
    """Files under a directory (STORAGE_DIR, or a shared volume mounted on every machine)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, as the files (mkstemp: 0600)
        # A temporary name then a rename: a reader never sees half a file, a crash leaves none.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys_written_before(self, cutoff: datetime) -> Iterator[str]:
        if not self.root.exists():
            return
        limit = cutoff.timestamp()
        for path in self.root.glob("??/*"):
            if not path.name.startswith(".tmp-") and path.stat().st_mtime < limit:
                yield path.name


class S3:
    """An S3-compatible bucket (AWS, MinIO, Scaleway…); credentials come from boto3's usual
    environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION)."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None):
        import boto3  # only the deployments that use S3 pay for importing it

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None)

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def read(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(key) from error

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def keys_written_before(self, cutoff: datetime) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                if item["LastModified"].astimezone(timezone.utc) < cutoff:
                    yield item["Key"][len(self.prefix):]


def backend_for(url: str, directory: str, s3_endpoint_url: str | None = None) -> Backend:
    """STORAGE_URL → a backend: empty for STORAGE_DIR, file:///path, or s3://bucket/prefix."""
    if not url:
        return LocalDirectory(directory)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalDirectory(parts.path)
    if parts.scheme == "s3" and parts.netloc:
        return S3(parts.netloc, parts.path, s3_endpoint_url)
    raise ValueError(f"STORAGE_URL non reconnue : {url!r} (file:///chemin ou s3://bucket/prefixe)")
