"""Uploads that are safe: a piece is a PDF, a JPEG, a PNG or a HEIC photo by its content,
re-opened to prove it, at most 10 Mo, scanned by a real clamd, and stored as one PDF; every
refusal says why in French and stores nothing."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from flask import Flask, request
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image
from werkzeug.test import EnvironBuilder, run_wsgi_app

from portal.dossiers import uploads
from portal.dossiers.uploads import UploadRefused, check_upload, receive_upload
from portal import storage
from portal.extensions import db
from portal.storage import StoredFile
from tests.clamav import CLAMD, EICAR, running_clamd


@pytest.fixture(scope="session")
def clamd_url(tmp_path_factory):
    if CLAMD is None:
        pytest.skip("clamd is not installed (Debian package clamav-daemon): the antivirus tests need a real daemon")
    with running_clamd(tmp_path_factory.mktemp("clamd")) as url:
        yield url


@pytest.fixture
def store(app, tmp_path):
    previous = app.config["STORAGE_DIR"]
    app.config["STORAGE_DIR"] = str(tmp_path / "storage")
    yield tmp_path / "storage"
    app.config["STORAGE_DIR"] = previous


def image(fmt: str, mode: str = "RGB", size=(120, 80), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (30, 120, 200, 128) if mode == "RGBA" else (30, 120, 200)).save(out, fmt, **options)
    return out.getvalue()


def a_pdf(pages: int = 1, **save) -> bytes:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    document.save(out, **save)
    return out.getvalue()


def only_image_of(pdf: bytes) -> tuple[bytes, str]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        [page] = document.pages
        [image_object] = page.get_images().values()
        return image_object.read_raw_bytes(), str(image_object.Filter)


def stored_nothing(store) -> bool:
    return db.session.scalar(db.select(db.func.count()).select_from(StoredFile)) == 0 and \
        not any(store.glob("??/*"))


@pytest.mark.parametrize("name, content, reason", [
    ("notes.pdf", "Mes notes de la réunion\n".encode(), "Le nom du fichier « notes.pdf » annonce le type PDF, mais son "
     "contenu est d'un autre type : envoyez un PDF, une photo (JPEG, PNG ou HEIC)."),
    ("vide.pdf", b"", "Le fichier « vide.pdf » est vide."),
    ("scan.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024), "Le fichier « scan.pdf » pèse 11,0 Mo : la limite est de "
     "10 Mo par fichier."),
    ("casse.pdf", b"%PDF-1.7\nceci ne se lit pas comme un PDF\n%%EOF\n",
     "Le fichier « casse.pdf » est endommagé : il ne s'ouvre pas comme un PDF."),
    ("photo.jpg", image("JPEG")[:300], "L'image « photo.jpg » est endommagée : elle ne s'ouvre pas."),
    ("tableur.xlsx", b"PK\x03\x04" + b"\x00" * 100, "Le fichier « tableur.xlsx » n'est pas accepté : envoyez un PDF, "
     "une photo (JPEG, PNG ou HEIC)."),
    ("anim.gif", image("GIF"), "Le fichier « anim.gif » n'est pas accepté : envoyez un PDF, une photo (JPEG, PNG ou HEIC)."),
    ("sans page.pdf", a_pdf(pages=0), "Le PDF « sans page.pdf » n'a aucune page."),
])
def test_each_bad_file_is_refused_with_its_reason_and_nothing_is_stored(store, name, content, reason):
    with pytest.raises(UploadRefused) as refused:
        receive_upload(name, content, owner=("dossier", 1), kind="piece", created_by="client:1")
    assert str(refused.value) == reason
    db.session.commit()
    assert stored_nothing(store)


def test_a_password_protected_pdf_is_refused(store):
    protected = a_pdf(encryption=pikepdf.Encryption(owner="proprietaire", user="secret"))
    with pytest.raises(UploadRefused, match="protégé par un mot de passe"):
        check_upload("releve.pdf", protected)


def test_a_png_named_jpg_is_accepted_by_its_content(store):
    png = image("PNG")
    key = receive_upload("photo.jpg", png, owner=("dossier", 1), kind="piece", created_by="client:1")
    db.session.commit()
    [record] = db.session.scalars(db.select(StoredFile)).all()
    assert (record.file_name, record.content_type, record.owner_id) == ("photo.pdf", "application/pdf", "1")
    assert storage.get(key).startswith(b"%PDF-")
    assert check_upload("photo.jpg", png).source_type == "image/png"


def test_a_jpeg_becomes_a_pdf_page_without_being_re_encoded():
    jpeg = image("JPEG", size=(640, 480), quality=90)
    checked = check_upload("C:\\fakepath\\Carte vitale.jpeg", jpeg)
    assert checked.file_name == "Carte vitale.pdf" and checked.source_type == "image/jpeg"
    data, compression = only_image_of(checked.pdf)
    assert compression == "/DCTDecode" and data == jpeg  # the very bytes sent


def grainy_jpeg(**options) -> bytes:
    """A photo whose scan data is long enough to be cut in its middle."""
    out = io.BytesIO()
    Image.effect_noise((320, 240), 60).convert("RGB").save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def with_byte(content: bytes, at: int, value: int) -> bytes:
    return content[:at] + bytes([value]) + content[at + 1:]


def damaged_jpegs() -> dict[str, bytes]:
    photo = grainy_jpeg()
    scan = photo.index(b"\xff\xda")
    return {"cut in its scan data": photo[:len(photo) // 2],
            "without its end marker": photo[:-2],
            "a segment length past the end": with_byte(with_byte(photo, scan + 2, 0xFF), scan + 3, 0xFF),
            "garbage where a segment should start": photo[:scan] + b"garbage" + photo[scan:],
            "no scan at all": photo[:scan] + b"\xff\xd9"}


@pytest.mark.parametrize("damage", list(damaged_jpegs()))
def test_a_jpeg_damaged_after_its_first_bytes_is_refused_without_decoding_its_pixels(damage):
    with pytest.raises(UploadRefused, match="L'image « photo.jpg » est endommagée : elle ne s'ouvre pas."):
        check_upload("photo.jpg", damaged_jpegs()[damage])


def test_libjpeg_reads_the_tables_of_a_jpeg_before_it_is_kept():
    """Run apart: once WeasyPrint is loaded in a process (as in the portal's), libjpeg's errors
    on a table come back as warnings and the image as grey, whatever Pillow is asked."""
    program = (
        "from tests.integration.test_uploads import grainy_jpeg, with_byte\n"
        "from portal.dossiers.uploads import UploadRefused, check_upload\n"
        "photo = grainy_jpeg()\n"
        "table, frame = photo.index(b'\\xff\\xc4'), photo.index(b'\\xff\\xc0')\n"
        "for damaged in (with_byte(photo, table + 4, 0x77), with_byte(photo, frame + 11, 3)):\n"
        "    try:\n"
        "        check_upload('photo.jpg', damaged)\n"
        "    except UploadRefused as refused:\n"
        "        print(refused)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[2])
    assert done.stdout.splitlines() == ["L'image « photo.jpg » est endommagée : elle ne s'ouvre pas."] * 2, done.stderr


@pytest.mark.parametrize("photo", [grainy_jpeg(), grainy_jpeg(progressive=True), grainy_jpeg() + b"video appended",
                                   grainy_jpeg(restart_marker_blocks=4)],
                         ids=["baseline", "progressive", "data after its end marker", "restart markers"])
def test_whole_jpegs_of_every_kind_are_accepted_as_they_are(photo):
    data, compression = only_image_of(check_upload("photo.jpg", photo).pdf)
    assert compression == "/DCTDecode" and photo.startswith(data)


def test_a_png_with_transparency_is_flattened_then_becomes_a_pdf():
    checked = check_upload("signature.png", image("PNG", mode="RGBA"))
    _, compression = only_image_of(checked.pdf)
    assert compression == "/FlateDecode"
    with pikepdf.open(io.BytesIO(checked.pdf)) as document:
        [image_object] = document.pages[0].get_images().values()
        assert "/SMask" not in image_object and image_object.ColorSpace == "/DeviceRGB"


def test_a_heic_phone_photo_becomes_a_pdf():
    heic = image("HEIF")
    assert heic[4:12] == b"ftypheic"
    checked = check_upload("IMG_0042.HEIC", heic)
    assert (checked.source_type, checked.file_name) == ("image/heic", "IMG_0042.pdf")
    _, compression = only_image_of(checked.pdf)
    assert compression == "/DCTDecode"


def test_a_pdf_is_rewritten_with_a_classic_cross_reference_table():
    compact = a_pdf(pages=2, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"/ObjStm" in compact and b"\nxref\n" not in compact
    checked = check_upload("attestation.pdf", compact)
    assert b"\nxref\n" in checked.pdf and b"/ObjStm" not in checked.pdf and b"/XRefStm" not in checked.pdf
    with pikepdf.open(io.BytesIO(checked.pdf)) as document:
        assert len(document.pages) == 2


def test_the_eicar_file_is_refused_by_a_real_clamd_and_nothing_is_stored(store, clamd_url):
    with pytest.raises(UploadRefused) as refused:
        receive_upload("facture.pdf", EICAR, owner=("dossier", 1), kind="piece", created_by="client:1",
                       clamd_url=clamd_url)
    assert str(refused.value) == ("Le fichier « facture.pdf » contient un virus (Eicar-Test-Signature.UNOFFICIAL) : "
                                  "il n'a pas été enregistré.")
    db.session.commit()
    assert stored_nothing(store)


def test_a_clean_file_passes_the_real_clamd(clamd_url):
    assert check_upload("rib.pdf", a_pdf(), clamd_url=clamd_url).source_type == "application/pdf"


def test_no_antivirus_answering_means_no_file_kept(tmp_path):
    with pytest.raises(UploadRefused, match="L'analyse antivirus est indisponible pour le moment"):
        check_upload("rib.pdf", a_pdf(), clamd_url=f"unix://{tmp_path / 'absent.sock'}")


def test_a_request_too_big_is_refused_before_its_body_is_read():
    app = Flask(__name__)
    seen = []

    @app.post("/depot")
    def deposit():
        uploads.refuse_oversized_request(files=1)
        seen.append(sorted(request.files))
        return "ok"

    class Body(io.RawIOBase):
        """A body of 11 Mo announced by its Content-Length; reading any of it is recorded."""
        def readable(self):
            return True

        def readinto(self, buffer):
            seen.append("body read")
            buffer[:1] = b"x"
            return 1

    environ = EnvironBuilder(method="POST", path="/depot", content_type="multipart/form-data; boundary=x").get_environ()
    environ.update({"wsgi.input": Body(), "CONTENT_LENGTH": str(11 * 1024 * 1024)})
    _, status, _ = run_wsgi_app(app, environ)
    assert status.startswith("413") and seen == []
    small = app.test_client().post("/depot", data={"piece": (io.BytesIO(b"%PDF-1.7"), "a.pdf")})
    assert small.status_code == 200 and seen == [["piece"]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300),
       content=st.one_of(st.binary(max_size=2000), st.binary(max_size=600).map(lambda b: b"%PDF-1.4\n" + b),
                         st.binary(max_size=600).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
                         st.binary(max_size=600).map(lambda b: b"\xff\xd8\xff\xe0" + b)))
def test_any_name_and_bytes_give_a_pdf_or_a_french_reason(name, content):
    try:
        checked = check_upload(name, content)
    except UploadRefused as refused:
        assert str(refused).startswith(("Le ", "L'"))
    else:
        assert checked.pdf.startswith(b"%PDF-") and checked.file_name.endswith(".pdf")
        assert all(c not in checked.file_name for c in "/\\\x00\n")
