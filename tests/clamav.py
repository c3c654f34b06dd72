"""A real ClamAV daemon for the tests, on a Unix socket, with one local signature: the EICAR
test file's MD5 (a .hdb line). freshclam needs the internet; this needs nothing."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

# The EICAR anti-virus test file (eicar.org): harmless, recognised by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE_NAME = "Eicar-Test-Signature"
CLAMD = shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if Path(p).exists()), None)


@contextmanager
def running_clamd(directory: Path):
    """Start clamd in `directory`; yields its CLAMD_URL (unix://…) and stops it afterwards."""
    database = directory / "db"
    database.mkdir(parents=True)
    (database / "eicar.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{SIGNATURE_NAME}\n")
    socket = directory / "clamd.sock"
    config = directory / "clamd.conf"
    config.write_text(f"LocalSocket {socket}\nDatabaseDirectory {database}\nForeground yes\n"
                      f"LogFile {directory / 'clamd.log'}\nTemporaryDirectory {directory}\nStreamMaxLength 12M\n")
    process = subprocess.Popen([CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (directory / "clamd.log").read_text() if (directory / "clamd.log").exists() else ""
                raise RuntimeError(f"clamd did not start: {log[-2000:]}")
            time.sleep(0.05)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        process.wait(timeout=30)
