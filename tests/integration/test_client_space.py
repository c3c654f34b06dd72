"""The client space (SPEC §8): from the adhesion e-mail's link to the client's password, its own
login (throttled as the broker's, never a broker's session), its pieces sent from a phone (every
bad file refused next to the piece, nothing stored), its details, quotes and contracts; another
client's dossiers answer 404."""
from __future__ import annotations

import importlib.util
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from portal.auth.models import ClientAccount
from portal.auth.passwords import hash_password
from portal.dossiers.models import Piece, PieceFile, PieceStatus
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Person
from portal.signature.models import Contract, Progress
from portal.storage import StoredFile
from tests.clamav import CLAMD, EICAR, running_clamd
from tests.conftest import PASSWORD, IsolatedClient, csrf_token
from tests.integration.test_auth_bad_input import unlimited  # noqa: F401  fixture
from tests.integration.test_auth_login import WRONG, form_error, post_login
from tests.integration.test_auth_rate_limits import limiter_clock  # noqa: F401  fixture
from tests.integration.test_dossiers import a_jpeg, a_pdf, paper_contract, post_11_mb, stored_piece_files

from .signing import fill_subscription, last_code
from .test_backoffice_queue import manager, post, validate_all_received  # noqa: F401  (fixture)
from .wizard import text as page_text

CLIENT_EMAIL = "jean.dupont@exemple.fr"
CLIENT_PASSWORD = "Adhérent+2026!"
LOCKED = "Compte temporairement verrouillé après plusieurs tentatives infructueuses"
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def adhesion_link(outbox) -> str:
    [adhesion] = [m for m in outbox() if m.subject.startswith("Votre adhésion")]
    return re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", adhesion.body_text).group(1)


def e_signed(signing_dossier, outbox) -> Contract:
    """Jean Dupont's contract, signed electronically: "Signé", "En attente de pièces"."""
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    assert prospect.sign(last_code(outbox)).status_code == 302
    return db.session.scalars(select(Contract)).one()


def set_password(app, link: str, password: str = CLIENT_PASSWORD):
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    page = browser.get(link)
    return browser.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                    "nouveau_mot_de_passe": password, "confirmation": password})


def client_login(browser, identifiant=CLIENT_EMAIL, password=CLIENT_PASSWORD):
    page = browser.get("/espace-client/connexion")
    return browser.post("/espace-client/connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                          "identifiant": identifiant, "mot_de_passe": password})


def logged_in_client(app, identifiant=CLIENT_EMAIL, password=CLIENT_PASSWORD) -> IsolatedClient:
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    response = client_login(browser, identifiant, password)
    assert response.status_code == 302 and response.headers["Location"] == "/espace-client/", form_error(response)
    return browser


@pytest.fixture
def client_space(app, signing_dossier, outbox):
    """Jean Dupont's e-signed contract, its client password created from the adhesion e-mail,
    and Jean logged in to its client space: (contract, browser)."""
    contract = e_signed(signing_dossier, outbox)
    assert set_password(app, adhesion_link(outbox)).status_code == 200
    browser = logged_in_client(app)
    assert browser.get("/espace-client/").status_code == 200  # the first read builds the pieces
    return contract, browser


def upload(browser, piece: Piece, name: str, content: bytes):
    page = browser.get("/espace-client/")
    return browser.post(f"/espace-client/pieces/{piece.id}/fichiers", content_type="multipart/form-data",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                              "fichier": (io.BytesIO(content), name)})


def client_pieces() -> dict[str, Piece]:
    db.session.expire_all()
    return {piece.code: piece for piece in db.session.scalars(select(Piece).order_by(Piece.id))}


def make_client(email: str, password: str | None = PASSWORD) -> ClientAccount:
    account = ClientAccount(email=email, password_hash=hash_password(password) if password else None)
    db.session.add(account)
    db.session.commit()
    return account


# ---------------------------------------------------------------------------------------
# From the adhesion e-mail to the pieces


def test_the_adhesion_link_leads_to_the_client_space_and_a_phone_s_photo_makes_the_dossier_sent(
        app, signing_dossier, outbox, client):
    contract = e_signed(signing_dossier, outbox)
    made = set_password(app, adhesion_link(outbox))
    assert made.status_code == 200 and "Mot de passe enregistré" in page_text(made)
    assert 'href="/espace-client/connexion"' in made.get_data(as_text=True)
    browser = logged_in_client(app)
    home = browser.get("/espace-client/")
    shown = page_text(home)
    assert "Bienvenue Jean Dupont" in shown and "Vos pièces justificatives en attente" in shown
    for heading in ("Type de pièce", "Document", "Statut de la pièce", "Transmettre mon document", "Mes infos",
                    "Mes devis", "Mes contrats", "Se déconnecter"):
        assert heading in shown, heading
    html = home.get_data(as_text=True)
    assert 'type="file"' in html and "image/jpeg" in html and "image/heic" in html and "application/pdf" in html
    assert 'name="viewport"' in html
    # The e-signed contract's pieces: the catalog's, not the paper ones.
    assert "bia_signe" not in client_pieces() and "identite" in client_pieces()

    assert upload(browser, client_pieces()["identite"], "IMG_0001.jpg", a_jpeg()).status_code == 302
    assert upload(browser, client_pieces()["rib"], "rib.pdf", a_pdf()).status_code == 302
    after = page_text(browser.get("/espace-client/"))
    assert "Votre document est bien reçu" in after and after.count("Reçue") == 2
    identite = client_pieces()["identite"]
    assert identite.status is PieceStatus.RECUE
    account = db.session.scalar(select(ClientAccount))
    assert [f.uploaded_by for f in identite.files] == [f"client:{account.id}"]
    assert db.session.get(Contract, contract.id).progress is Progress.DOSSIER_TRANSMIS
    moved = db.session.scalars(select(JournalEntry).where(JournalEntry.agenda_kind == "dossier_transmis")).one()
    assert moved.actor == "client"
    # The client opens what it sent, as one PDF.
    opened = browser.get(f"/espace-client/pieces/fichiers/{identite.files[0].id}")
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    # The broker sees it on the contract page.
    broker_page = page_text(client.get(f"/contrats/{contract.id}"))
    assert "Avancement Dossier transmis" in broker_page and "IMG_0001.jpg" in broker_page and "rib.pdf" in broker_page


BAD_FILES = [
    ("notes.pdf", b"juste du texte, pas un PDF", "annonce le type PDF, mais son contenu est d'un autre type"),
    ("vide.pdf", b"", "est vide"),
    ("casse.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, "est endommagé : il ne s'ouvre pas comme un PDF"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=["texte-nomme-pdf", "vide", "pdf-casse"])
def test_a_bad_file_is_refused_next_to_its_piece_and_nothing_is_stored(client_space, name, content, reason):
    contract, browser = client_space
    answer = upload(browser, client_pieces()["identite"], name, content)
    assert answer.status_code == 422 and reason in page_text(answer)
    assert f'id="fichier-{client_pieces()["identite"].id}-error"' in answer.get_data(as_text=True)
    assert stored_piece_files() == 0 and db.session.scalar(select(func.count()).select_from(PieceFile)) == 0
    assert client_pieces()["identite"].status is PieceStatus.EN_ATTENTE
    assert db.session.get(Contract, contract.id).progress is Progress.EN_ATTENTE_PIECES


def test_a_png_named_jpg_is_accepted_by_its_content(client_space):
    _, browser = client_space
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "teal").save(out, "PNG")
    assert upload(browser, client_pieces()["rib"], "photo.jpg", out.getvalue()).status_code == 302
    assert client_pieces()["rib"].status is PieceStatus.RECUE and stored_piece_files() == 1


def test_no_file_chosen_is_said_next_to_the_piece(client_space):
    _, browser = client_space
    page = browser.get("/espace-client/")
    answer = browser.post(f"/espace-client/pieces/{client_pieces()['rib'].id}/fichiers",
                          data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert answer.status_code == 422 and "Choisissez le document à transmettre" in page_text(answer)


def test_an_11_mb_file_is_refused_before_its_body_is_read(client_space):
    _, browser = client_space
    piece = client_pieces()["identite"]
    token = csrf_token(browser.get("/espace-client/").get_data(as_text=True))
    answer, stream = post_11_mb(browser, f"/espace-client/pieces/{piece.id}/fichiers", token)
    assert answer.status_code == 422, page_text(answer)[-600:]
    assert "Le fichier dépasse 10 Mo" in page_text(answer), page_text(answer)[-1500:]
    assert f'id="fichier-{piece.id}-error"' in answer.get_data(as_text=True)
    assert stream.taken < 1024 * 1024, stream.taken
    assert stored_piece_files() == 0 and client_pieces()["identite"].status is PieceStatus.EN_ATTENTE


def test_an_upload_without_its_csrf_token_is_refused(client_space):
    _, browser = client_space
    answer = browser.post(f"/espace-client/pieces/{client_pieces()['rib'].id}/fichiers",
                          content_type="multipart/form-data", data={"fichier": (io.BytesIO(a_pdf()), "rib.pdf")})
    assert answer.status_code == 400 and stored_piece_files() == 0


@pytest.fixture(scope="session")
def clamd_url(tmp_path_factory):
    if CLAMD is None:
        pytest.skip("clamd is not installed (Debian package clamav-daemon): the antivirus tests need a real daemon")
    with running_clamd(tmp_path_factory.mktemp("clamd-client")) as url:
        yield url


def test_the_eicar_file_is_refused_by_a_real_clamd_from_the_client_page(app, client_space, clamd_url):
    _, browser = client_space
    app.config["CLAMD_URL"] = clamd_url
    try:
        answer = upload(browser, client_pieces()["identite"], "facture.pdf", EICAR)
        assert answer.status_code == 422 and "contient un virus (Eicar-Test-Signature" in page_text(answer)
        assert stored_piece_files() == 0
        assert upload(browser, client_pieces()["identite"], "identite.pdf", a_pdf()).status_code == 302
    finally:
        app.config["CLAMD_URL"] = ""


# ---------------------------------------------------------------------------------------
# Mes infos, Mes devis, Mes contrats


def test_mes_infos_shows_the_person_and_the_address_is_corrected_as_the_quote_checks_it(client_space):
    _, browser = client_space
    page = browser.get("/espace-client/mes-infos")
    shown = page_text(page)
    assert "Mes informations personnelles" in shown and "DUPONT Jean" in shown and "04/05/1978" in shown
    token = csrf_token(page.get_data(as_text=True))
    for typed, field, message in (
            ({"adresse": "", "code_postal": "16000"}, "adresse", "Saisissez l'adresse."),
            ({"adresse": "3 rue <b>", "code_postal": "16000"}, "adresse", "caractères non autorisés"),
            ({"adresse": "3 rue Neuve", "code_postal": "1600"}, "code_postal", "Code postal invalide : 5 chiffres attendus."),
            ({"adresse": "3 rue Neuve", "code_postal": "99999"}, "code_postal", "Aucune commune ne correspond à ce code postal."),
            ({"adresse": "3 rue Neuve", "code_postal": "16000", "ville": "75056"}, "ville",
             "Cette ville ne correspond pas au code postal"),
            ({"adresse": "3 rue Neuve", "code_postal": "16100"}, "ville", "Choisissez la ville dans la liste.")):
        answer = browser.post("/espace-client/mes-infos", data={"csrf_token": token, **typed})
        assert answer.status_code == 422, typed
        html = answer.get_data(as_text=True)
        assert message in page_text(answer) and f'id="{field}-error"' in html, typed
        assert f'value="{typed["code_postal"]}"' in html  # kept as typed
    person = db.session.scalar(select(Person))
    assert person.postcode == "16000" and not db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "personne")).all()

    saved = browser.post("/espace-client/mes-infos", data={"csrf_token": token, "adresse": " 3  rue Neuve ",
                                                           "adresse_complementaire": "Bâtiment B",
                                                           "code_postal": "16100", "ville": "16102"})
    assert saved.status_code == 302
    db.session.expire_all()
    person = db.session.scalar(select(Person))
    assert (person.address, person.address2, person.postcode, person.city) == ("3 rue Neuve", "Bâtiment B", "16100",
                                                                               "Cognac")
    [row] = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "personne")).all()
    assert row.actor == "client" and row.object_id == person.id and "16100 Cognac" in row.detail
    assert "3 rue Neuve" not in (row.detail or "")  # the address stays in its encrypted row
    assert "Votre adresse est enregistrée." in page_text(browser.get("/espace-client/mes-infos"))


def test_mes_devis_and_mes_contrats_open_their_documents(client_space):
    contract, browser = client_space
    quotes = browser.get("/espace-client/devis")
    assert "Devis n° RIS-0000000001/1" in page_text(quotes) and "Visualiser les documents" in page_text(quotes)
    devis = browser.get(f"/espace-client/devis/{contract.quote_id}/document")
    assert devis.status_code == 200 and devis.data.startswith(b"%PDF")

    page = browser.get("/espace-client/contrats")
    shown = page_text(page)
    for expected in (f"Contrat n° {contract.number}", "SMAT ACTIVE TNS", "Signature électronique Signé",
                     "Avancement En attente de pièces", "Visualiser les documents", "Fichier de preuve.pdf"):
        assert expected in shown, expected
    links = re.findall(r'href="(/espace-client/contrats/\d+/documents/\d+)"', page.get_data(as_text=True))
    assert len(links) == 4  # the three signed PDFs and the proof file
    for link in links:
        opened = browser.get(link)
        assert opened.status_code == 200 and opened.data.startswith(b"%PDF")


def test_a_signature_by_hand_also_invites_to_the_client_space_with_its_paper_documents(app, signing_dossier, outbox):
    contract = paper_contract(signing_dossier)
    [adhesion] = [m for m in outbox() if m.subject.startswith("Votre adhésion")]
    assert "Transmettez-les depuis votre espace client" in adhesion.body_text
    assert set_password(app, adhesion_link(outbox)).status_code == 200
    browser = logged_in_client(app)
    shown = page_text(browser.get("/espace-client/contrats"))
    assert "Signature électronique Manuscrite" in shown and "Bulletin Individuel d'adhésion.pdf" in shown
    home = page_text(browser.get("/espace-client/"))
    assert "Bulletin individuel d'adhésion daté et signé" in home
    assert upload(browser, client_pieces()["bia_signe"], "bia.jpg", a_jpeg()).status_code == 302
    assert db.session.get(Contract, contract.id).progress is Progress.DOSSIER_TRANSMIS


def test_an_account_that_has_a_password_is_told_to_log_in_at_its_next_contract(app, signing_dossier, outbox):
    make_client(CLIENT_EMAIL)
    paper_contract(signing_dossier)
    [adhesion] = [m for m in outbox() if m.subject.startswith("Votre adhésion")]
    assert "/espace-client/mot-de-passe/" not in adhesion.body_text
    assert "http://localhost/espace-client/connexion" in adhesion.body_text
    assert "Contrat n° RIS-" in page_text(logged_in_client(app, password=PASSWORD).get("/espace-client/contrats"))


# ---------------------------------------------------------------------------------------
# Isolation: another client, a broker, nobody


def test_another_client_gets_404_on_every_dossier_of_the_first(app, client_space):
    contract, browser = client_space
    upload(browser, client_pieces()["rib"], "rib.pdf", a_pdf())
    piece = client_pieces()["rib"]
    document = db.session.scalars(select(StoredFile).where(StoredFile.owner_type == "contract")).first()
    make_client("autre.client@exemple.fr")
    other = logged_in_client(app, "autre.client@exemple.fr", PASSWORD)
    assert "Aucune pièce n'est attendue de vous" in page_text(other.get("/espace-client/"))
    assert "Aucun contrat" in page_text(other.get("/espace-client/contrats"))
    assert "Aucun devis" in page_text(other.get("/espace-client/devis"))
    token = csrf_token(other.get("/espace-client/").get_data(as_text=True))
    for method, url in (("GET", f"/espace-client/pieces/fichiers/{piece.files[0].id}"),
                        ("GET", f"/espace-client/devis/{contract.quote_id}/document"),
                        ("GET", f"/espace-client/contrats/{contract.id}/documents/{document.id}"),
                        ("POST", f"/espace-client/pieces/{piece.id}/fichiers")):
        response = other.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, url
        # exactly as an id that does not exist
        missing = re.sub(r"/\d+(/|$)", r"/987654\1", url)
        assert other.open(missing, method=method, data={"csrf_token": token} if method == "POST" else None
                          ).status_code == 404, missing
    assert len(client_pieces()["rib"].files) == 1


def client_space_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("client_space.")]


def test_a_broker_session_is_refused_on_every_client_page(app, client, client_space):
    contract, _ = client_space
    assert client.get("/").status_code == 200  # the broker is logged in
    token = csrf_token(client.get("/").get_data(as_text=True))
    rules = client_space_rules(app)
    assert len(rules) >= 8
    for rule in rules:
        url = rule.rule.replace("<int:piece_id>", "1").replace("<int:piece_file_id>", "1").replace(
            "<int:quote_id>", str(contract.quote_id)).replace("<int:contract_id>", str(contract.id)).replace(
            "<int:stored_file_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 403, f"{method} {url} → {response.status_code}"


def test_nobody_logged_in_is_sent_to_the_client_login_and_back(app, client_space):
    visitor = IsolatedClient(app, app.response_class, use_cookies=True)
    response = visitor.get("/espace-client/contrats")
    assert response.status_code == 302 and response.headers["Location"] == "/espace-client/connexion?next=/espace-client/contrats?"
    page = visitor.get(response.headers["Location"])
    assert "Connectez-vous à votre espace client" in page_text(page)
    back = visitor.post(response.headers["Location"], data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                            "identifiant": CLIENT_EMAIL, "mot_de_passe": CLIENT_PASSWORD})
    assert back.headers["Location"].startswith("/espace-client/contrats")


def test_a_client_session_on_broker_pages_is_refused(app, client_space):
    contract, browser = client_space
    for url in ("/", "/portefeuille", f"/contrats/{contract.id}", f"/devis/{contract.quote_id}"):
        assert browser.get(url).status_code == 403, url
    assert browser.get("/espace-client/").status_code == 200  # still logged in to its own space


def test_logging_out_ends_the_client_session_and_a_copied_cookie(app, client_space):
    _, browser = client_space
    already = browser.get("/espace-client/connexion")  # logged in: the login page leads to the space
    assert already.status_code == 302 and already.headers["Location"] == "/espace-client/"
    copied = browser.get_cookie("session").value
    token = csrf_token(browser.get("/espace-client/").get_data(as_text=True))
    answer = browser.post("/espace-client/deconnexion", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/espace-client/connexion"
    assert browser.get("/espace-client/").status_code == 302
    replay = IsolatedClient(app, app.response_class, use_cookies=True)
    replay.set_cookie("session", copied)
    assert replay.get("/espace-client/").status_code == 302


# ---------------------------------------------------------------------------------------
# The client login


def from_address(app, address: str) -> IsolatedClient:
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_a_broker_cannot_log_in_to_the_client_space_nor_a_client_to_the_broker_s(app, broker, unlimited):
    make_client("client@exemple.fr")
    answer = client_login(from_address(app, "198.51.100.1"), broker.email, PASSWORD)
    assert answer.status_code == 200 and form_error(answer) == BAD_CREDENTIALS
    answer = post_login(from_address(app, "198.51.100.2"), "client@exemple.fr", PASSWORD)
    assert answer.status_code == 200 and form_error(answer) == BAD_CREDENTIALS
    # A wrong password and an unknown address answer the same.
    assert form_error(client_login(from_address(app, "198.51.100.3"), "client@exemple.fr", WRONG)) == BAD_CREDENTIALS
    assert form_error(client_login(from_address(app, "198.51.100.4"), "inconnu@exemple.fr", WRONG)) == BAD_CREDENTIALS


def test_client_guesses_slow_down_then_lock_the_address_not_the_owner_nor_a_broker(app, make_user, make_firm,
                                                                                  unlimited, quote_day):
    # The same address is a broker's identifiant and a client's: their counters are apart.
    make_user(email="double@exemple.fr", firm=make_firm())
    make_client("double@exemple.fr", password="Client+Motdepasse1")
    guesser, owner = from_address(app, "203.0.113.9"), from_address(app, "198.51.100.7")
    answers = []
    for _ in range(5):
        answers.append(form_error(client_login(guesser, "double@exemple.fr", WRONG)))
        quote_day.tick(timedelta(seconds=31))
    assert answers[:2] == [BAD_CREDENTIALS] * 2
    assert "patientez 30 secondes" in answers[2] and answers[4].startswith(LOCKED)
    assert form_error(client_login(guesser, "double@exemple.fr", "Client+Motdepasse1")).startswith(LOCKED)
    # The owner, at its own address, logs in; the broker of the same e-mail too, from the guesser's.
    assert client_login(owner, "double@exemple.fr", "Client+Motdepasse1").status_code == 302
    assert post_login(guesser, "double@exemple.fr", PASSWORD).status_code == 302
    # 15 minutes later the guesser's address may try again.
    quote_day.tick(timedelta(minutes=15))
    assert client_login(from_address(app, "203.0.113.9"), "double@exemple.fr", "Client+Motdepasse1").status_code == 302
    locked_rows = db.session.scalars(select(JournalEntry).where(JournalEntry.action == "account_locked")).all()
    assert [(row.object_type) for row in locked_rows] == ["client_account"]


def test_the_client_login_is_rate_limited_like_the_broker_s(app, limiter_clock):
    make_client("client@exemple.fr")
    browser = from_address(app, "203.0.113.50")
    codes = []
    for number in range(12):
        codes.append(client_login(browser, f"essai{number}@exemple.fr", WRONG).status_code)
        limiter_clock.advance(2)
    assert codes == [200] * 10 + [429] * 2
    limiter_clock.advance(60)
    assert client_login(browser, "client@exemple.fr", PASSWORD).status_code == 302


def test_a_client_without_a_password_is_e_mailed_its_link_once_per_quarter_hour(app, outbox, unlimited, quote_day):
    make_client("nouveau@exemple.fr", password=None)
    for _ in range(3):
        assert form_error(client_login(from_address(app, "198.51.100.9"), "nouveau@exemple.fr", WRONG)
                          ).startswith(BAD_CREDENTIALS)
    assert [m.subject for m in outbox()] == ["Mes Solutions Plus - Mot de passe de votre espace client"]


# ---------------------------------------------------------------------------------------
# Mot de passe oublié ?


def ask_link(browser, email):
    page = browser.get("/espace-client/mot-de-passe-oublie")
    return browser.post("/espace-client/mot-de-passe-oublie",
                        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email})


def test_a_forgotten_password_is_e_mailed_once_per_quarter_hour_and_answers_the_same_for_anyone(
        app, outbox, unlimited, quote_day):
    make_client("client@exemple.fr")
    browser = from_address(app, "198.51.100.20")
    assert "Mot de passe oublié ?" in page_text(browser.get("/espace-client/connexion"))
    known, unknown = ask_link(browser, "Client@Exemple.fr"), ask_link(browser, "personne@exemple.fr")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert page_text(browser.get(known.headers["Location"])).count("Si un espace client existe pour cette adresse") == 1
    ask_link(browser, "client@exemple.fr")  # again at once: nothing more leaves
    sent = outbox()
    assert [m.to for m in sent] == ["client@exemple.fr"]
    quote_day.tick(timedelta(minutes=15, seconds=1))
    ask_link(browser, "client@exemple.fr")
    sent = outbox()
    assert len(sent) == 2
    # Only the latest link works; it sets a new password and leads to the client login.
    first, latest = (re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", m.body_text).group(1) for m in sent)
    assert browser.get(first).status_code == 410
    made = set_password(app, latest, "Nouveau+Client2026")
    assert made.status_code == 200 and 'href="/espace-client/connexion"' in made.get_data(as_text=True)
    assert client_login(from_address(app, "198.51.100.21"), "client@exemple.fr", "Nouveau+Client2026").status_code == 302
    assert form_error(client_login(from_address(app, "198.51.100.22"), "client@exemple.fr", PASSWORD)) == BAD_CREDENTIALS


def test_the_forgotten_password_form_checks_the_address(app, unlimited):
    browser = from_address(app, "198.51.100.30")
    for typed, message in (("", "Saisissez votre adresse e-mail."), ("pas-une-adresse", "Adresse e-mail invalide")):
        answer = ask_link(browser, typed)
        assert answer.status_code == 200 and message in page_text(answer)
        [email_input] = re.findall(r'<input[^>]*name="email"[^>]*>', answer.get_data(as_text=True))
        assert f'value="{typed}"' in email_input  # kept as typed, empty included


def test_migration_0016_links_the_contracts_signed_before_to_their_client_s_account(app, signing_dossier, outbox):
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0016_contracts_of_client_accounts.py"
    spec = importlib.util.spec_from_file_location("migration_0016", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    contract = e_signed(signing_dossier, outbox)
    account_id = contract.client_account_id
    assert account_id == db.session.scalar(select(ClientAccount.id))
    contract.client_account_id = None  # as a contract signed before the column existed
    db.session.commit()
    db.session.execute(text(migration.BACKFILL))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).client_account_id == account_id


# ---------------------------------------------------------------------------------------
# What the client is still asked, and what management reads of it


def test_the_home_lists_only_the_pieces_still_expected_or_examined_until_the_adhesion(
        app, client_space, manager, outbox):
    contract, browser = client_space
    for code in ("identite", "rib", "attestation_ss", "kbis"):
        assert upload(browser, client_pieces()[code], f"{code}.pdf", a_pdf()).status_code == 302
    dossier = f"/gestion/dossiers/{contract.id}"
    assert post(manager, dossier, f"/gestion/pieces/{client_pieces()['identite'].id}/valider").status_code == 302
    assert post(manager, dossier, f"/gestion/pieces/{client_pieces()['rib'].id}/refuser",
                motif="Illisible").status_code == 302
    html = browser.get("/espace-client/").get_data(as_text=True)
    shown = {code: f'id="piece-{piece.id}"' in html for code, piece in client_pieces().items()}
    # Validated: done, not listed; refused, received or never sent: listed.
    assert shown["identite"] is False and shown["rib"] and shown["attestation_ss"] and shown["domicile"]
    assert "refusée le 20/11/2026 : Illisible" in page_text(browser.get("/espace-client/"))

    assert upload(browser, client_pieces()["rib"], "rib.jpg", a_jpeg()).status_code == 302
    validate_all_received(manager, contract)
    assert post(manager, dossier, f"{dossier}/adhesion").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).progress is Progress.ADHESION_CREEE, page_text(manager.get(dossier))
    home = browser.get("/espace-client/")
    assert "Aucune pièce n'est attendue de vous pour le moment." in page_text(home)
    assert 'type="file"' not in home.get_data(as_text=True)
    # A form kept open from before: refused, and said although the piece is no longer listed.
    refused = upload(browser, client_pieces()["domicile"], "domicile.pdf", a_pdf())
    assert refused.status_code == 422
    assert "L'adhésion est créée : le dossier est complet" in page_text(refused)
    assert client_pieces()["domicile"].files == []


def test_the_address_the_client_corrects_is_the_one_management_reads(client_space, manager):
    contract, browser = client_space
    before = page_text(manager.get(f"/gestion/dossiers/{contract.id}"))
    assert "Cognac" not in before
    page = browser.get("/espace-client/mes-infos")
    saved = browser.post("/espace-client/mes-infos", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "adresse": "3 rue Neuve",
        "adresse_complementaire": "Bâtiment B", "code_postal": "16100", "ville": "16102"})
    assert saved.status_code == 302
    after = page_text(manager.get(f"/gestion/dossiers/{contract.id}"))
    assert "Adresse 3 rue Neuve, Bâtiment B 16100 Cognac" in after
