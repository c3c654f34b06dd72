"""Load a WSGI application served by gunicorn on loopback and count answered requests per second.

The client is a pool of threads sending raw requests on a new connection each (gunicorn's
sync workers close it after each answer), counted after a warm-up; the same settings serve both the portal
and the hello-world, so their ratio reflects the page, not the machine.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass

WORKERS = 2
CLIENT_THREADS = 8
WARM_UP_SECONDS = 1.5
GUNICORN_SETTINGS = f"--workers {WORKERS} --worker-class sync"


@dataclass
class Result:
    rps: float
    errors: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body: str | None = None, cookie: str = "", form: bool = False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def _cookies(response, jar: dict) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _login(port: int, email: str, password: str) -> str:
    jar: dict = {}
    response, page = _request(port, "GET", "/connexion")
    cookie = _cookies(response, jar)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    body = urllib.parse.urlencode({"csrf_token": token, "identifiant": email, "mot_de_passe": password})
    response, _ = _request(port, "POST", "/connexion", body, cookie, form=True)
    if response.status != 302:
        raise RuntimeError(f"connexion refusée ({response.status})")
    return _cookies(response, jar)


def measure(app: str, path: str, seconds: float, login: tuple[str, str] | None = None, env: dict | None = None) -> Result:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN_SETTINGS.split(), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, process)
        cookie = _login(port, *login) if login else ""
        response, _ = _request(port, "GET", path, cookie=cookie)
        if response.status != 200:
            raise RuntimeError(f"{path} répond {response.status}")
        counts = [0] * CLIENT_THREADS
        errors = [0] * CLIENT_THREADS
        state = {"counting": False, "stop": False}
        raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()

        def client(index: int) -> None:
            # A bare socket client: the load generator's own cost must stay small next to
            # the server's, or a big page would be measured slower than it is.
            while not state["stop"]:
                ok = _raw_get(port, raw)
                if state["counting"]:
                    if ok:
                        counts[index] += 1
                    else:
                        errors[index] += 1

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        time.sleep(WARM_UP_SECONDS)
        state["counting"] = True
        start = time.perf_counter()
        time.sleep(seconds)
        state["counting"] = False
        elapsed = time.perf_counter() - start
        state["stop"] = True
        for thread in threads:
            thread.join(timeout=30)
        return Result(sum(counts) / elapsed, sum(errors))
    finally:
        process.terminate()
        process.wait(timeout=30)


def _raw_get(port: int, request: bytes) -> bool:
    """Send one request, read the whole answer (the server closes), True for a 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request)
            first = sock.recv(65536)
            while sock.recv(65536):
                pass
        return first.startswith(b"HTTP/1.1 200") or first.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn s'est arrêté : " + process.stderr.read().decode(errors="replace")[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn ne répond pas")
