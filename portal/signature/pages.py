"""The pages of a document to sign as images, so that any phone shows them without a PDF reader."""
from __future__ import annotations

import threading
from functools import lru_cache
from io import BytesIO

import pypdfium2

WIDTH = 1000  # pixels: sharp on a phone's 390 CSS pixels at 2.5 device pixels each

# pdfium is not thread-safe: one rendering at a time per process.
_pdfium = threading.Lock()


def page_count(pdf: bytes) -> int:
    with _pdfium:
        document = pypdfium2.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


@lru_cache(maxsize=48)
def page_png(key: str, pdf: bytes, number: int) -> bytes:
    """Page `number` (from 1) as a PNG; IndexError when the document has no such page.
    Cached by the stored file's key, which is the SHA-256 of `pdf`."""
    with _pdfium:
        document = pypdfium2.PdfDocument(pdf)
        try:
            if not 1 <= number <= len(document):
                raise IndexError(number)
            page = document[number - 1]
            scale = WIDTH / page.get_width()
            image = page.render(scale=scale).to_pil()
            page.close()
        finally:
            document.close()
    output = BytesIO()
    image.convert("RGB").save(output, format="PNG", optimize=False)
    return output.getvalue()
