"""The S3 backend against a real S3 API: moto's standalone server, in its own process on
loopback. The same records, encryption and deletion rules as on a local directory."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta

import boto3
import pytest

from portal import storage
from portal.extensions import db
from portal.storage import StoredFile
from portal.storage.backends import S3

BUCKET = "pieces-test"
# SHA-256 of b"RIB de Claire Martin", computed once by `sha256sum`.
RIB = b"RIB de Claire Martin"
RIB_KEY = "8f65db555ecb5df71a0e8781eaf318717d21c4504c677927408134877ce838e3"


@pytest.fixture(scope="session")
def s3_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def s3(app, s3_server, monkeypatch):
    """The portal's storage pointed at a fresh bucket on the S3 server."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_server)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{BUCKET}/portail")
    monkeypatch.setitem(app.config, "STORAGE_S3_ENDPOINT_URL", s3_server)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def objects(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_the_backend_is_chosen_by_storage_url(s3):
    assert isinstance(storage.backend(), S3)


def test_a_file_is_stored_encrypted_in_the_bucket_and_read_back(s3):
    key = storage.put(RIB, owner=("dossier", 3), kind="rib", name="rib.pdf", created_by="user:1")
    db.session.commit()
    assert key == RIB_KEY
    assert objects(s3) == [f"portail/{RIB_KEY}"]
    body = s3.get_object(Bucket=BUCKET, Key=f"portail/{RIB_KEY}")["Body"].read()
    assert body.startswith(b"MSP-ENC1") and b"Claire" not in body
    assert storage.get(key) == RIB


def test_erasure_removes_the_object(s3):
    storage.put(RIB, owner=("dossier", 3), kind="rib", name="rib.pdf")
    db.session.commit()
    assert storage.erase_owner(("dossier", 3)) == 1
    assert objects(s3) == [] and db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0
    with pytest.raises(FileNotFoundError):
        storage.get(RIB_KEY)


def test_an_object_without_record_is_swept(s3):
    storage.put(RIB, owner=("dossier", 3), kind="rib", name="rib.pdf")
    db.session.rollback()  # the record never came
    assert objects(s3) == [f"portail/{RIB_KEY}"]
    assert storage.sweep_orphans(timedelta(hours=1)) == 0
    time.sleep(1.1)  # S3 dates objects to the second
    assert storage.sweep_orphans(timedelta(0)) == 1
    assert objects(s3) == []
