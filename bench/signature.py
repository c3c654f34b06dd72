"""Sealing the three documents of a signature the portal's way, against pyHanko signing the
same three PDFs bare with the same key."""
from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from portal.catalog.loader import get_catalog
from portal.documents.product_documents import product_document
from portal.signature.certificate import local_identity
from portal.signature.seal import Sealer

from . import setup


def three_documents() -> list[bytes]:
    product = get_catalog().product("smat-active-tns")
    formula = product.formulas[0].code
    return [product_document(product, "ipid").content, product_document(product, "regles_generales").content,
            product_document(product, "exemples", formula).content]


def portal_way(sealer: Sealer, documents: list[bytes]) -> None:
    """What signing does per document: hash before, seal with name and reason, hash after."""
    for pdf in documents:
        hashlib.sha256(pdf).hexdigest()
        sealed = sealer.seal(pdf, "Jeanne Dupont", "Demande d'adhésion signée électroniquement")
        hashlib.sha256(sealed).hexdigest()


def bare_way(signer: signers.Signer, documents: list[bytes]) -> None:
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
    for pdf in documents:
        output = BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=signer, output=output)


def measure(rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        app = setup.make_app(directory)
        with app.app_context():
            documents = three_documents()
        identity = local_identity(Path(directory) / "signing")
    sealer = Sealer(identity)
    # pyHanko's stock signer, same key: it parses the key at each signature.
    stock = signers.SimpleSigner(signing_cert=sealer.signer.signing_cert, signing_key=sealer.signer.signing_key,
                                 cert_registry=sealer.signer.cert_registry)
    runs = {"portal": lambda: portal_way(sealer, documents), "bare": lambda: bare_way(sealer.signer, documents),
            "stock": lambda: bare_way(stock, documents)}
    timings = {name: [] for name in runs}
    for round_number in range(rounds + 1):  # interleaved, so a noisy moment hits all; the first warms up
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            if round_number:
                timings[name].append(time.perf_counter() - start)
    return {f"{name}_s": statistics.median(values) for name, values in timings.items()} | {"rounds": rounds}
