"""Checks of an uploaded file before anything is stored: every piece becomes one clean PDF.

A file is accepted when its content is a PDF, a JPEG, a PNG or a HEIC photo (iPhones' format),
recognised by its bytes (filetype), then re-opened by the library that reads that format
(pikepdf, Pillow, pillow-heif) so a file that only starts like one is refused. The content
decides, not the name: a PNG named "photo.jpg" is accepted (phones and apps name photos by
themselves, and the client often cannot rename them); a name that promises an accepted type the
content is not ("notes.pdf" holding text) is refused, saying so. Each refusal has its reason in
French, to show next to the field.

Photos become a PDF page without re-encoding (img2pdf embeds the JPEG or PNG data as it is);
PNGs with transparency are flattened on white first (img2pdf refuses an alpha channel) and HEIC
photos decoded then written as JPEG at quality 90 (PDF has no HEIC). PDFs are rewritten by
pikepdf with a classic cross-reference table (no hybrid xref, which PDF signing refuses).

When CLAMD_URL is set, ClamAV scans the file as received, before any library parses it.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import clamd
import filetype
import img2pdf
import pikepdf
import pillow_heif
from flask import request

from .. import storage
from PIL import Image, ImageOps
from werkzeug.exceptions import RequestEntityTooLarge

pillow_heif.register_heif_opener()

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond, decoding one costs too much memory
#: Room for the form's other fields and the multipart headers around the files.
FORM_OVERHEAD_BYTES = 64 * 1024
SCAN_TIMEOUT_SECONDS = 30

PDF, JPEG, PNG, HEIC = "application/pdf", "image/jpeg", "image/png", "image/heic"
#: Accepted types as filetype names them, with the names the messages use.
ACCEPTED = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", HEIC: "HEIC"}
_PROMISED_BY_EXTENSION = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".heic": HEIC, ".heif": HEIC}
_ACCEPTED_LIST = "un PDF, une photo (JPEG, PNG ou HEIC)"


class UploadRefused(ValueError):
    """The file cannot be kept; the message says why, in French, for the client."""


@dataclass(frozen=True)
class CheckedUpload:
    pdf: bytes  # the piece as one PDF, ready to store
    source_type: str  # what the client sent (one of ACCEPTED)
    file_name: str  # a clean name ending in .pdf


def check_upload(name: str, content: bytes, *, clamd_url: str = "") -> CheckedUpload:
    """Check an uploaded file and turn it into one PDF, or raise UploadRefused with the reason."""
    label = f"« {clean_file_name(name, keep_extension=True)} »"
    if not content:
        raise UploadRefused(f"Le fichier {label} est vide.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"Le fichier {label} pèse {_megabytes(len(content))} : la limite est de 10 Mo par fichier.")
    if clamd_url:
        scan_for_viruses(content, label, clamd_url)
    guessed = filetype.guess(content)
    source_type = guessed.mime if guessed else None
    if source_type not in ACCEPTED:
        promised = _PROMISED_BY_EXTENSION.get(_extension(name))
        if promised:
            raise UploadRefused(f"Le nom du fichier {label} annonce le type {ACCEPTED[promised]}, mais son contenu est "
                                f"d'un autre type : envoyez {_ACCEPTED_LIST}.")
        raise UploadRefused(f"Le fichier {label} n'est pas accepté : envoyez {_ACCEPTED_LIST}.")
    pdf = _pdf_from_pdf(content, label) if source_type == PDF else _pdf_from_image(content, source_type, label)
    return CheckedUpload(pdf=pdf, source_type=source_type, file_name=clean_file_name(name) + ".pdf")


def receive_upload(name: str, content: bytes, *, owner: storage.Owner, kind: str, created_by: str | None,
                   clamd_url: str = "") -> str:
    """Check an uploaded file, then store its PDF for `owner` (the caller commits); returns the
    storage key. A refused file raises UploadRefused and nothing is stored."""
    checked = check_upload(name, content, clamd_url=clamd_url)
    return storage.put(checked.pdf, owner=owner, kind=kind, name=checked.file_name, content_type=PDF,
                       created_by=created_by)


def clean_file_name(name: str, *, keep_extension: bool = False) -> str:
    """The name as shown and stored: no folder (browsers may send "C:\\fakepath\\…"), no control
    characters, at most 100 characters; without its extension unless asked."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    if not keep_extension and "." in base.strip("."):
        base = base.rsplit(".", 1)[0]
    return base[:100].strip() or "document"


def refuse_oversized_request(files: int = 1) -> None:
    """For the views that receive files, called before touching request.files: caps this
    request's body to `files` files of 10 Mo, so a bigger one is refused (413) from its
    Content-Length before a byte of it is read, or, sent without a length, as soon as the
    stream passes the cap."""
    limit = files * MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"Les fichiers envoyés dépassent {files * 10} Mo.")


def scan_for_viruses(content: bytes, label: str, clamd_url: str) -> None:
    """Refuse `content` if ClamAV finds a virus in it, or cannot be asked."""
    address = urlsplit(clamd_url)
    scanner = (clamd.ClamdUnixSocket(address.path, timeout=SCAN_TIMEOUT_SECONDS) if address.scheme == "unix"
               else clamd.ClamdNetworkSocket(address.hostname, address.port or 3310, timeout=SCAN_TIMEOUT_SECONDS))
    try:
        status, signature = scanner.instream(io.BytesIO(content))["stream"]
    except (clamd.ClamdError, OSError, KeyError, TypeError) as error:
        raise UploadRefused("L'analyse antivirus est indisponible pour le moment : le fichier n'a pas été enregistré. "
                            "Réessayez dans quelques minutes.") from error
    if status == "FOUND":
        raise UploadRefused(f"Le fichier {label} contient un virus ({signature}) : il n'a pas été enregistré.")
    if status != "OK":
        raise UploadRefused(f"L'analyse antivirus n'a pas pu lire le fichier {label} : il n'a pas été enregistré.")


def _pdf_from_pdf(content: bytes, label: str) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(content)) as document:
            if len(document.pages) == 0:
                raise UploadRefused(f"Le PDF {label} n'a aucune page.")
            out = io.BytesIO()
            # Object streams off: a classic cross-reference table, never a hybrid one.
            document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
            return out.getvalue()
    except UploadRefused:
        raise
    except pikepdf.PasswordError as error:
        raise UploadRefused(f"Le PDF {label} est protégé par un mot de passe : envoyez-le sans protection.") from error
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise UploadRefused(f"Le fichier {label} est endommagé : il ne s'ouvre pas comme un PDF.") from error


def _pdf_from_image(content: bytes, source_type: str, label: str) -> bytes:
    damaged = UploadRefused(f"L'image {label} est endommagée : elle ne s'ouvre pas.")
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadRefused(f"L'image {label} est trop grande ({width} × {height} pixels) : "
                                    "envoyez une photo de 50 mégapixels au plus.")
            image.verify()
        if source_type == JPEG:
            _check_jpeg(content, damaged)
        else:
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                if source_type == HEIC:
                    content = _encoded(ImageOps.exif_transpose(image).convert("RGB"), "JPEG", quality=90)
                elif source_type == PNG and _has_transparency(image):
                    flat = Image.new("RGB", image.size, "white")
                    flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
                    content = _encoded(flat, "PNG")
        return img2pdf.convert(content, rotation=img2pdf.Rotation.ifvalid)
    except UploadRefused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, img2pdf.ImageOpenError) as error:
        raise damaged from error


#: Where a scan's entropy-coded data ends: the first 0xFF that is neither a stuffed 0xFF00
#: nor a restart marker (0xFFD0-0xFFD7).
_END_OF_SCAN_DATA = re.compile(rb"\xff[^\x00\xd0-\xd7]")
#: Start-of-frame markers (every coding process); 0xC4, 0xC8 and 0xCC are other segments.
_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SMALLEST_FRAME = b"\x00\x08\x00\x08"  # height and width of one 8 × 8 block


def _check_jpeg(content: bytes, damaged: UploadRefused) -> None:
    """A JPEG is kept as it is (img2pdf embeds its bytes), so it is checked without decoding
    its 12 million pixels, ten times faster: the walk below follows its segments and scans to
    the end marker, so a file cut short or with garbage between segments is refused; libjpeg
    reads every header and table up to the first scan (given an empty scan, in a frame of one
    block). Decoding the scan data itself found nothing more: libjpeg only warns about damaged
    scan data, and fills it in."""
    layout = _jpeg_layout(content)
    if layout is None:
        raise damaged
    frame, scan = layout
    headers = content[:frame + 5] + _SMALLEST_FRAME + content[frame + 9:scan] + b"\xff\xd9"
    with Image.open(io.BytesIO(headers)) as image:
        image.load()


def _jpeg_layout(content: bytes) -> tuple[int, int] | None:
    """Where the frame header and the first scan's data start, if the segments follow one
    another from the start marker to the end marker (EOI), through a frame and a scan; None
    otherwise."""
    position, size, frame, scan = 2, len(content), None, None  # after SOI, which filetype has seen
    while position + 2 <= size:
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
        elif marker == 0xD9:  # EOI; what a phone may append after it is not the image's
            return (frame, scan) if frame is not None and scan is not None else None
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
        else:
            length = int.from_bytes(content[position + 2:position + 4], "big")
            if length < 2 or position + 2 + length > size:
                return None
            if marker in _FRAME_MARKERS and frame is None:
                if length < 8:
                    return None
                frame = position
            position += 2 + length
            if marker == 0xDA:  # SOS: its entropy-coded data runs to the next marker
                if frame is None:
                    return None
                scan = scan or position
                end = _END_OF_SCAN_DATA.search(content, position)
                if end is None:
                    return None
                position = end.start()
    return None


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _encoded(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _extension(name: str) -> str:
    base = clean_file_name(name, keep_extension=True)
    return "." + base.rsplit(".", 1)[1].lower() if "." in base else ""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
