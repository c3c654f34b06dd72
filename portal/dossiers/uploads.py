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
        with Image.open(io.BytesIO(content)) as image:
            if source_type == JPEG:
                # Decoding at 1/8 scale still reads every block of the file, eight times faster.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
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
