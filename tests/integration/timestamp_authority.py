"""A timestamp authority (RFC 3161) on loopback, under a root of its own, for the tests.

It answers timestamp requests over HTTP with pyHanko's DummyTimeStamper and publishes its
root's revocation list at /crl, the address written in its certificate: the portal fetches
it as it would fetch a real authority's, and embeds it in a B-LT signature.
"""
from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from portal.signature.certificate import issue_crl, issue_leaf, make_root, new_key
from portal.signature.seal import asn1_certificate

HOST = "127.0.0.1"


class TimestampAuthority:
    def __init__(self):
        self.root_key, tsa_key = new_key(), new_key()
        self.root = make_root("Autorité d'horodatage de test — racine", self.root_key)
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.url = f"http://{HOST}:{self.server.server_port}/"
        self.certificate = issue_leaf("Autorité d'horodatage de test", tsa_key.public_key(), self.root,
                                      self.root_key, timestamping=True, crl_url=self.url + "crl")
        key_info = asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.stamper = DummyTimeStamper(tsa_cert=asn1_certificate(self.certificate), tsa_key=key_info,
                                        certs_to_embed=[asn1_certificate(self.root)])
        self.requests: list[str] = []
        self._thread: threading.Thread | None = None

    def _handler(self):
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, body: bytes, content_type: str):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                authority.requests.append(f"GET {self.path}")
                if self.path == "/crl":
                    self._reply(issue_crl(authority.root, authority.root_key), "application/pkix-crl")
                else:
                    self.send_error(404)

            def do_POST(self):
                authority.requests.append(f"POST {self.path}")
                request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
                response = asyncio.run(authority.stamper.async_request_tsa_response(request))
                self._reply(response.dump(), "application/timestamp-reply")

        return Handler

    def start(self) -> "TimestampAuthority":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
