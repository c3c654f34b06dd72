"""Personal data at rest: contact details and message contents are Fernet tokens in the
database, clear on the pages, in the e-mails and in the exports; the key can be rotated; the
instance folder and its files are the owner's only."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select, text as sql

from portal import create_app, storage
from portal.auth.models import Role
from portal.dossiers.models import PieceFile
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Message
from portal.quotes.models import Person, Quote
from portal.security import reencrypt_all
from portal.storage import StoredFile
from tests.conftest import csrf_token, run_jobs

from .test_dossiers import a_jpeg, paper_contract, pieces, send
from .test_exports_and_daily import logged_in
from .wizard import text

TEST_KEY = "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="
ENCRYPTED_COLUMNS = ("email", "mobile", "address", "address2", "birth_name")


def issue(wizard):
    """The quote issued, and its e-mail queued by the worker."""
    response = wizard.walk(nom_naissance="Martin", adresse_complementaire="Bâtiment B")
    assert response.status_code == 302
    run_jobs(current_app._get_current_object())
    return db.session.get(Quote, wizard.quote_id)


def raw(table: str, column: str, row_id: int):
    return db.session.execute(sql(f'SELECT "{column}" FROM "{table}" WHERE id = :id'), {"id": row_id}).scalar_one()


def test_contact_details_are_tokens_in_the_database_and_clear_through_the_models(wizard):
    quote = issue(wizard)
    clear = {"email": "jean.dupont@exemple.fr", "mobile": "+33612345678", "address": "3 rue de Montmoreau",
             "address2": "Bâtiment B", "birth_name": "Martin"}
    for table, row_id in (("quote", quote.id), ("person", quote.person_id)):
        for column in ENCRYPTED_COLUMNS:
            stored = raw(table, column, row_id)
            assert clear[column] not in stored and stored.startswith("gAAAAA"), (table, column, stored)
            assert Fernet(TEST_KEY.encode()).decrypt(stored.encode()).decode() == clear[column]
    db.session.expire_all()
    person = db.session.get(Person, quote.person_id)
    assert (person.email, person.mobile, person.address, person.birth_name) == (
        "jean.dupont@exemple.fr", "+33612345678", "3 rue de Montmoreau", "Martin")
    # Names and birth date stay clear: the portfolio searches the one, the customer link checks the other.
    assert raw("person", "last_name", person.id) == "Dupont"
    assert raw("person", "search_name", person.id) == "DUPONT JEAN"


def test_pages_emails_and_exports_show_the_clear_text(wizard, client, outbox):
    quote = issue(wizard)
    page = text(client.get(f"/devis/{quote.id}"))
    assert "jean.dupont@exemple.fr" in page and "3 rue de Montmoreau" in page and "06 12 34 56 78" in page
    client_page = text(client.get(f"/clients/{quote.person_id}"))
    assert "jean.dupont@exemple.fr" in client_page
    export = client.get("/exports/devis-non-transformes.csv").get_data().decode("utf-8-sig")
    assert "jean.dupont@exemple.fr" in export and "06 12 34 56 78" in export
    [message] = outbox()
    assert "Bonjour Monsieur DUPONT," in message.body_text and "/souscription/" in message.body_text
    stored = raw("message", "body_text", message.id)
    assert "/souscription/" not in stored and "DUPONT" not in stored
    assert b"%PDF" not in bytes(raw("message_attachment", "content", message.attachments[0].id))


def test_a_second_quote_for_the_same_client_finds_the_same_person(wizard):
    first = issue(wizard)
    wizard.quote_id = None
    second = issue(wizard)
    assert second.person_id == first.person_id
    assert db.session.scalar(db.select(db.func.count()).select_from(Person)) == 1


def test_another_email_is_another_person(wizard):
    first = issue(wizard)
    wizard.quote_id = None
    assert wizard.walk(email="jean.dupont@autre-exemple.fr").status_code == 302
    assert db.session.get(Quote, wizard.quote_id).person_id != first.person_id


def test_key_rotation_new_key_first_then_old_keys_removed(app, wizard):
    quote = issue(wizard)
    person_id = quote.person_id
    new_key = Fernet.generate_key().decode()
    app.config["FIELD_ENCRYPTION_KEY"] = f"{new_key},{TEST_KEY}"
    try:
        db.session.expire_all()
        assert db.session.get(Person, person_id).email == "jean.dupont@exemple.fr"  # the old key still reads
        assert reencrypt_all(db.session, db.metadata) >= 2 * len(ENCRYPTED_COLUMNS)
        stored = raw("person", "email", person_id)
        assert Fernet(new_key.encode()).decrypt(stored.encode()) == b"jean.dupont@exemple.fr"
        with pytest.raises(InvalidToken):
            Fernet(TEST_KEY.encode()).decrypt(stored.encode())
        app.config["FIELD_ENCRYPTION_KEY"] = new_key  # the old key gone, everything still reads
        db.session.expire_all()
        assert db.session.get(Quote, quote.id).address == "3 rue de Montmoreau"
        message = db.session.scalars(db.select(Message)).one()
        assert "/souscription/" in message.body_text and message.attachments[0].content.startswith(b"%PDF")
    finally:
        app.config["FIELD_ENCRYPTION_KEY"] = TEST_KEY


def test_a_value_under_an_unknown_key_is_an_error_not_garbage(app, wizard):
    quote = issue(wizard)
    app.config["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    try:
        db.session.expire_all()
        with pytest.raises(ValueError, match="illisible avec la clé configurée"):
            db.session.get(Person, quote.person_id)
    finally:
        app.config["FIELD_ENCRYPTION_KEY"] = TEST_KEY
        db.session.rollback()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_and_its_files_are_the_owners_only(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}",
                      "STORAGE_DIR": str(instance / "storage")})
    with app.app_context():
        db.create_all()
        db.session.execute(sql("SELECT 1"))
        key = storage.put(b"%PDF devis", owner=("quote", 1), kind="devis", name="DEVIS.pdf", created_by=None)
        db.session.commit()
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "portal.db") == 0o600
    assert mode(instance / "secret_key") == 0o600 and mode(instance / "field_encryption_key") == 0o600
    assert mode(instance / "storage") == 0o700
    assert mode(instance / "storage" / key[:2]) == 0o700 and mode(instance / "storage" / key[:2] / key) == 0o600


def test_an_existing_world_readable_instance_is_closed_at_start(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "portal.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert (mode(instance), mode(database)) == (0o700, 0o600)


def test_the_rotation_command_rewrites_and_says_what_to_do_next(app, wizard):
    quote = issue(wizard)
    new_key = Fernet.generate_key().decode()
    app.config["FIELD_ENCRYPTION_KEY"] = f"{new_key},{TEST_KEY}"
    try:
        result = app.test_cli_runner().invoke(args=["portal", "rotate-encryption-key"])
        assert result.exit_code == 0, result.output
        assert "les anciennes clés peuvent maintenant être retirées de FIELD_ENCRYPTION_KEY" in result.output
        stored = raw("quote", "mobile", quote.id)
        assert Fernet(new_key.encode()).decrypt(stored.encode()) == b"+33612345678"
    finally:
        app.config["FIELD_ENCRYPTION_KEY"] = TEST_KEY


def test_a_piece_s_file_name_and_its_refusal_are_tokens_in_the_database_and_clear_on_the_pages(
        client, signing_dossier, make_user, outbox):
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    identity = pieces()["identite"]
    assert send(client, page, identity, "CNI_Jean_Dupont.jpg", a_jpeg()).status_code == 302
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    manager = logged_in(client.application, "gestion@mes-solutions-plus.fr")
    token = csrf_token(manager.get(f"/gestion/dossiers/{contract.id}").get_data(as_text=True))
    reason = "Photo de Jean Dupont floue"
    assert manager.post(f"/gestion/pieces/{identity.id}/refuser",
                        data={"csrf_token": token, "motif": reason}).status_code == 302
    received = db.session.scalars(select(PieceFile).where(PieceFile.piece_id == identity.id)).one()
    record = db.session.scalars(select(StoredFile).where(StoredFile.owner_type == "piece",
                                                         StoredFile.owner_id == str(identity.id))).one()
    fernet = Fernet(TEST_KEY.encode())
    for stored, clear in ((raw("piece_file", "original_name", received.id), "CNI_Jean_Dupont.jpg"),
                          (raw("stored_file", "file_name", record.id), "CNI_Jean_Dupont.pdf"),
                          (raw("piece", "refusal_reason", identity.id), reason)):
        assert "Dupont" not in stored and stored.startswith("gAAAAA"), stored
        assert fernet.decrypt(stored.encode()).decode() == clear
    # Nor is the reason copied in clear into the journal; the pages read it from the piece.
    assert not any("Dupont" in (detail or "") for detail in db.session.scalars(select(JournalEntry.detail)))
    for browser, url in ((client, f"/contrats/{contract.id}"), (manager, f"/gestion/dossiers/{contract.id}")):
        shown = text(browser.get(url))
        assert f"refusée le 20/11/2026 : {reason}" in shown and "CNI_Jean_Dupont.jpg" in shown
