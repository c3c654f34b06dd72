"""An SMS provider on loopback, for the tests: JSON POST with a bearer token and an
idempotency key, as real providers take them.

Each request takes the next scripted behaviour ("ok" once the script is used up):
- an HTTP status (400, 503…): answered at once, nothing sent;
- "slow": the SMS is taken, then the answer comes after the client's timeout.
A request whose Idempotency-Key was already taken answers 200 without sending again.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
TOKEN = "jeton-secret-9f2c"


class SmsProvider:
    def __init__(self, script=(), slow_seconds: float = 1.5):
        self.script = list(script)
        self.slow_seconds = slow_seconds
        self.requests: list[dict] = []   # every request: headers and body
        self.sent: dict[str, dict] = {}  # idempotency key → the SMS, sent once
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http+json://{TOKEN}@{HOST}:{self.server.server_port}/v1/sms?timeout=0.5"

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload: dict):
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                with provider._lock:
                    provider.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                              "key": key, "content_type": self.headers.get("Content-Type"),
                                              "body": body})
                    behaviour = provider.script.pop(0) if provider.script else "ok"
                    if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                        behaviour = 401
                    if isinstance(behaviour, int):
                        return self._answer(behaviour, {"error": f"scripted {behaviour}"})
                    duplicate = key in provider.sent
                    if not duplicate:
                        provider.sent[key] = body
                if behaviour == "slow":
                    time.sleep(provider.slow_seconds)
                self._answer(200, {"id": key, "duplicate": duplicate})

        return Handler

    def start(self) -> "SmsProvider":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
