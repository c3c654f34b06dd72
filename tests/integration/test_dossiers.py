"""The broker's contract page: its fields, its documents, the pieces built from the catalog,
files received for them (or refused, with the reason, storing nothing), the first piece
moving the contract to "Dossier transmis", and the signed BIA of a signature by hand."""
from __future__ import annotations

import io

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.auth.models import Role
from portal.dossiers.models import Piece, PieceFile, PieceStatus
from portal.dossiers.service import LABEL_MAX_LENGTH
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from portal.signature.models import Contract, Progress
from portal.storage import StoredFile
from portal.validators import without_control
from tests.conftest import csrf_token
from tests.strategies import anything

from .signing import fill_subscription
from .test_exports_and_daily import logged_in
from .wizard import text as page_text


def paper_contract(signing_dossier) -> Contract:
    """Jean Dupont's contract, signed by hand: "Manuscrite", "En attente de pièces"."""
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id, "manuscrite")
    token = csrf_token(prospect.get().get_data(as_text=True))
    assert prospect.client.post(prospect.base + "/manuscrite", data={"csrf_token": token}).status_code == 302
    return db.session.scalars(select(Contract)).one()


def a_pdf() -> bytes:
    out = io.BytesIO()
    document = pikepdf.new()
    document.add_blank_page()
    document.save(out)
    return out.getvalue()


def a_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "navy").save(out, "JPEG")
    return out.getvalue()


def send(client, page, piece: Piece, name: str, content: bytes):
    return client.post(f"/pieces/{piece.id}/fichiers", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                             "fichier": (io.BytesIO(content), name)})


def pieces() -> dict[str, Piece]:
    db.session.expire_all()
    return {piece.code: piece for piece in db.session.scalars(select(Piece).order_by(Piece.id))}


def stored_piece_files() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.owner_type == "piece"))


def test_the_contract_page_shows_every_field_and_the_pieces_of_the_dossier(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    assert page.status_code == 200
    text = page_text(page)
    quote = db.session.get(Quote, contract.quote_id)
    assert f'Contrat "SMAT ACTIVE TNS" n° {contract.number}' in text
    for shown in ("Échéance principale 01/01", f"Devis original {quote.number}/1", "Avenant n° 0001",
                  "Signature électronique Manuscrite", "Prochain renouvellement le 01/01/2027",
                  "Avancement En attente de pièces", "Mode de paiement Prélèvement", "Modalité de paiement Mensuel",
                  "Cotisation totale TTC"):
        assert shown in text, shown
    # The documents sent to sign by hand, then the pieces: the signed BIA and mandate first,
    # then the catalog's for a TNS product (Kbis), without spouse or children here.
    assert "Bulletin Individuel d'adhésion.pdf" in text and "Mandat SEPA.pdf" in text
    assert list(pieces()) == ["bia_signe", "mandat_signe", "identite", "rib", "attestation_ss", "domicile", "kbis",
                              "autre"]
    assert [p.mandatory for p in pieces().values()] == [True, True, True, True, True, False, True, False]
    assert all(p.status is PieceStatus.EN_ATTENTE for p in pieces().values())
    for heading in ("Type", "Statut", "Demande", "Réception", "Document", "Sélectionner le fichier à importer",
                    "Enregistrer", "+ Nouvelle Pièce justificative", "Historique", "Documents envoyés",
                    "Visualiser le document", "Date d'édition"):
        assert heading in text, heading
    assert "signature manuscrite choisie, documents envoyés au client" in text  # the agenda entry, in the history
    # A second read builds nothing more.
    client.get(f"/contrats/{contract.id}")
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 8
    # The sent documents open.
    sent = db.session.scalars(select(StoredFile).where(StoredFile.owner_type == "contract",
                                                       StoredFile.kind == "papier")).first()
    opened = client.get(f"/contrats/{contract.id}/documents/{sent.id}")
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")


def test_the_first_piece_moves_the_dossier_and_the_signed_bulletin_subscribes_the_quote(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    answer = send(client, page, pieces()["rib"], "rib.jpg", a_jpeg())
    assert answer.status_code == 302
    rib = pieces()["rib"]
    assert rib.status is PieceStatus.RECUE and rib.received_on is not None
    [received] = rib.files
    assert received.original_name == "rib.jpg" and received.uploaded_by.startswith("user:")
    contract = db.session.get(Contract, contract.id)
    assert contract.progress is Progress.DOSSIER_TRANSMIS
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.agenda_kind == "dossier_transmis", JournalEntry.object_id == contract.id)) == 1
    assert db.session.get(Quote, contract.quote_id).status is QuoteStatus.ACCEPTE  # not yet "Souscrit"
    # The photo downloads as one PDF.
    opened = client.get(f"/pieces/fichiers/{received.id}")
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    assert opened.headers["Content-Disposition"].endswith("rib.pdf")

    # A second piece leaves the Avancement as it is; the signed BIA subscribes the quote.
    page = client.get(f"/contrats/{contract.id}")
    assert "Dossier transmis" in page_text(page) and "Reçue" in page_text(page)
    assert send(client, page, pieces()["bia_signe"], "bia.pdf", a_pdf()).status_code == 302
    assert db.session.get(Quote, contract.quote_id).status is QuoteStatus.SOUSCRIT
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.agenda_kind == "dossier_transmis")) == 1
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.agenda_kind == "bulletin_signe_recu")) == 1


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("notes.pdf", b"juste du texte, pas un PDF", "annonce le type PDF, mais son contenu est d'un autre type"),
    ("vide.pdf", b"", "est vide"),
    ("casse.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, "est endommagé : il ne s'ouvre pas comme un PDF"),
])
def test_a_refused_file_says_why_next_to_the_field_and_stores_nothing(client, signing_dossier, name, content, reason):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    answer = send(client, page, pieces()["identite"], name, content)
    assert answer.status_code == 422
    assert reason in page_text(answer)
    assert f'id="fichier-{pieces()["identite"].id}-error"' in answer.get_data(as_text=True)
    assert stored_piece_files() == 0 and db.session.scalar(select(func.count()).select_from(PieceFile)) == 0
    assert pieces()["identite"].status is PieceStatus.EN_ATTENTE
    assert db.session.get(Contract, contract.id).progress is Progress.EN_ATTENTE_PIECES


class CountingStream(io.BytesIO):
    """A request body that counts what the server reads of it."""
    taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.taken += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.taken += count
        return count


def post_11_mb(browser, url: str, token: str):
    """An 11 Mo PDF posted to `url` with its CSRF token and its length: the answer, and how
    much of the body the server read."""
    big = FileStorage(io.BytesIO(b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)), filename="gros.pdf")
    boundary, body = encode_multipart({"csrf_token": token, "fichier": big})
    stream = CountingStream(body)
    answer = browser.post(url, input_stream=stream, content_type=f"multipart/form-data; boundary={boundary}",
                          content_length=len(body))
    return answer, stream


def test_a_file_over_10_mb_is_refused_before_it_is_read(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    piece = pieces()["identite"]
    answer, stream = post_11_mb(client, f"/pieces/{piece.id}/fichiers", csrf_token(page.get_data(as_text=True)))
    assert answer.status_code == 422
    assert "Le fichier dépasse 10 Mo" in page_text(answer)
    assert f'id="fichier-{piece.id}-error"' in answer.get_data(as_text=True)
    assert stream.taken < 1024 * 1024, stream.taken  # refused from its length, the body left unread
    assert stored_piece_files() == 0 and pieces()["identite"].status is PieceStatus.EN_ATTENTE


def test_no_file_chosen_and_a_new_piece(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    token = csrf_token(page.get_data(as_text=True))
    answer = client.post(f"/pieces/{pieces()['rib'].id}/fichiers", data={"csrf_token": token})
    assert answer.status_code == 422 and "Sélectionnez le fichier à importer." in page_text(answer)
    refused = client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": "  \x07 "})
    assert refused.status_code == 422 and "Indiquez le type de la pièce demandée." in page_text(refused)
    too_long = client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": "x" * 401})
    assert too_long.status_code == 422 and "400 caractères au plus" in page_text(too_long)
    added = client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": "Avis d'imposition 2025"})
    assert added.status_code == 302
    assert "Avis d'imposition 2025" in page_text(client.get(f"/contrats/{contract.id}"))
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 9


def test_the_client_synthesis_lists_the_contract_with_its_link(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/clients/{contract.person_id}")
    assert f'href="/contrats/{contract.id}"' in page.get_data(as_text=True)
    assert f"{contract.number} SMAT ACTIVE TNS" in page_text(page)
    assert "En attente de pièces" in page_text(page)


def test_the_back_office_reads_the_contract_without_acting_on_it(client, signing_dossier, make_user, login):
    contract = paper_contract(signing_dossier)
    client.get(f"/contrats/{contract.id}")  # the broker's first read builds the pieces
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/deconnexion", data={"csrf_token": token})
    login(make_user(email="gestion@assureur.fr", role=Role.BACKOFFICE).email)
    page = client.get(f"/contrats/{contract.id}")
    assert page.status_code == 200 and "Avancement En attente de pièces" in page_text(page)
    assert "Enregistrer" not in page_text(page) and "+ Nouvelle Pièce justificative" not in page_text(page)
    token = csrf_token(page.get_data(as_text=True))
    refused = client.post(f"/pieces/{pieces()['rib'].id}/fichiers", content_type="multipart/form-data",
                          data={"csrf_token": token, "fichier": (io.BytesIO(a_jpeg()), "rib.jpg")})
    assert refused.status_code == 403 and stored_piece_files() == 0
    assert client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": "RIB"}).status_code == 403


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=anything, file_name=anything)
def test_any_text_as_a_piece_type_or_a_file_name_is_answered_never_a_500(client, signing_dossier, typed, file_name):
    contract = db.session.scalars(select(Contract)).one_or_none() or paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    token = csrf_token(page.get_data(as_text=True))
    waiting = {label.casefold() for label in db.session.scalars(select(Piece.label).where(
        Piece.contract_id == contract.id, Piece.status == PieceStatus.EN_ATTENTE))}
    added = client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": typed})
    label = " ".join(without_control(typed).split())  # control characters dropped, spaces collapsed
    # A label already asked and still waiting (an earlier example's) is refused as a double click.
    assert added.status_code == (302 if 0 < len(label) <= LABEL_MAX_LENGTH and label.casefold() not in waiting
                                 else 422)
    for piece in pieces().values():
        assert not any(ord(c) < 32 or c == "\x7f" for c in piece.label) and len(piece.label) <= 400
    received = send(client, page, pieces()["rib"], file_name, a_pdf())
    if received.status_code == 422:  # a file part without a name is no file chosen
        assert "Sélectionnez le fichier à importer." in page_text(received)
        return
    assert received.status_code == 302
    for stored in pieces()["rib"].files:
        assert not any(ord(c) < 32 for c in stored.original_name) and 0 < len(stored.original_name) <= 100


def test_the_same_file_sent_twice_by_a_double_click_is_kept_once(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    content = a_pdf()
    for click in (1, 2):
        assert send(client, page, pieces()["identite"], "identite.pdf", content).status_code == 302
    assert len(pieces()["identite"].files) == 1 and stored_piece_files() == 1
    assert db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.object_type == "piece", JournalEntry.to_status == "recue")) == 1


def test_a_broker_upload_without_its_csrf_token_is_refused(client, signing_dossier):
    """The upload view checks its token itself, after capping the body: without it, nothing is kept."""
    client.get(f"/contrats/{paper_contract(signing_dossier).id}")  # its pieces are built on this first read
    answer = client.post(f"/pieces/{pieces()['rib'].id}/fichiers", content_type="multipart/form-data",
                         data={"fichier": (io.BytesIO(a_pdf()), "rib.pdf")})
    assert answer.status_code == 400
    assert stored_piece_files() == 0 and pieces()["rib"].status is PieceStatus.EN_ATTENTE


def added_piece() -> Piece | None:
    """The piece the broker asked for ("Avis d'imposition 2025"); the catalog's "Autre pièce" shares its code."""
    db.session.expire_all()
    return db.session.scalars(select(Piece).where(Piece.label == "Avis d'imposition 2025").order_by(Piece.id.desc())).first()


def add(client, contract: Contract, typed: str):
    token = csrf_token(client.get(f"/contrats/{contract.id}").get_data(as_text=True))
    return client.post(f"/contrats/{contract.id}/pieces", data={"csrf_token": token, "type": typed})


def test_a_piece_asked_twice_while_it_waits_for_its_file_is_asked_once(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    assert add(client, contract, "Avis d'imposition 2025").status_code == 302
    # The double click, or the same label typed again in other letters and spaces.
    for typed in ("Avis d'imposition 2025", "  avis D'IMPOSITION   2025 "):
        again = add(client, contract, typed)
        assert again.status_code == 422
        assert "est déjà demandée et attend son fichier." in page_text(again)
        assert 'id="type-error"' in again.get_data(as_text=True)
    # A catalog piece still waiting counts too.
    assert "est déjà demandée" in page_text(add(client, contract, pieces()["rib"].label.upper()))
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 9
    # Once its file came, the same piece may be asked again (another year's, a second page).
    page = client.get(f"/contrats/{contract.id}")
    assert send(client, page, added_piece(), "avis.pdf", a_pdf()).status_code == 302
    assert add(client, contract, "Avis d'imposition 2025").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 10


def remove(client, piece_id: int, token: str | None = None):
    token = csrf_token(client.get("/").get_data(as_text=True)) if token is None else token
    return client.post(f"/pieces/{piece_id}/supprimer", data={"csrf_token": token})


def test_the_broker_deletes_a_piece_it_added_while_no_file_came(client, signing_dossier):
    contract = paper_contract(signing_dossier)
    assert add(client, contract, "Avis d'imposition 2025").status_code == 302
    added = added_piece()
    added_id = added.id
    page = client.get(f"/contrats/{contract.id}").get_data(as_text=True)
    # The button is on the added piece only.
    assert page.count(">Supprimer</button>") == 1 and f'action="/pieces/{added.id}/supprimer"' in page
    assert remove(client, added.id, token="").status_code == 400  # CSRF
    # A piece of the catalog cannot be deleted.
    refused = remove(client, pieces()["rib"].id)
    assert refused.status_code == 422
    assert "Seule une pièce ajoutée par le conseiller et sans fichier reçu peut être supprimée." in page_text(refused)
    assert remove(client, added_id).status_code == 302
    after = client.get(f"/contrats/{contract.id}")
    assert added_piece() is None and f'id="piece-{added_id}"' not in after.get_data(as_text=True)
    assert "Pièce justificative supprimée Avis d'imposition 2025" in page_text(after)  # its history says which
    row = db.session.scalars(select(JournalEntry).where(JournalEntry.action == "Pièce justificative supprimée")).one()
    assert row.object_type == "contrat" and row.object_id == contract.id and row.detail == "Avis d'imposition 2025"
    assert row.actor == "courtier@cabinet-demo.fr"
    assert remove(client, added_id).status_code == 404  # gone: a second click finds nothing

    # Once a file came for it, it stays.
    assert add(client, contract, "Avis d'imposition 2025").status_code == 302
    sent = added_piece()
    assert send(client, client.get(f"/contrats/{contract.id}"), sent, "avis.pdf", a_pdf()).status_code == 302
    assert ">Supprimer</button>" not in client.get(f"/contrats/{contract.id}").get_data(as_text=True)
    assert remove(client, sent.id).status_code == 422 and added_piece() is not None


def test_another_firm_s_broker_and_the_back_office_cannot_delete_a_piece(app, client, signing_dossier, make_firm,
                                                                         make_user):
    contract = paper_contract(signing_dossier)
    assert add(client, contract, "Avis d'imposition 2025").status_code == 302
    added = added_piece()
    make_user(email="autre@cabinet-voisin.fr", firm=make_firm(name="Cabinet Voisin", email="contact@voisin.fr"))
    make_user(email="gestion@assureur.fr", role=Role.BACKOFFICE)
    assert remove(logged_in(app, "autre@cabinet-voisin.fr"), added.id).status_code == 404
    manager = logged_in(app, "gestion@assureur.fr")
    assert remove(manager, added.id).status_code == 403
    assert ">Supprimer</button>" not in manager.get(f"/contrats/{contract.id}").get_data(as_text=True)
    assert added_piece() is not None
