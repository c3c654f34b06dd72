"""The migration that encrypts personal data converts the rows already there: contact details
become tokens, waiting messages are encrypted, delivered ones lose their links and files."""
from __future__ import annotations

from datetime import datetime, timezone

from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text as sql

from portal import create_app
from portal.dossiers.models import Piece, PieceFile
from portal.extensions import db
from portal.messaging.models import Message
from portal.quotes.models import Person

from .test_migrations import _empty_database_url

KEY = "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="
MOMENT = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def _insert_before_encryption(conn) -> None:
    conn.execute(sql("INSERT INTO firm (id, name, orias, phone, address, email, created_at) VALUES "
                     "(1, 'Cabinet', '07000001', '05 45 00 00 00', '12 rue', 'c@cabinet.fr', :m)"), {"m": MOMENT})
    conn.execute(sql(
        "INSERT INTO person (id, firm_id, civility, last_name, birth_name, first_name, search_name, birth_date, "
        "address, address2, postcode, city, country, mobile, email, created_at, updated_at) VALUES "
        "(1, 1, 'Monsieur', 'Dupont', 'Martin', 'Jean', 'DUPONT JEAN', '1978-05-04', '3 rue de Montmoreau', '', "
        "'16000', 'Angoulême', 'France', '+33612345678', 'jean.dupont@exemple.fr', :m, :m)"), {"m": MOMENT})
    for message_id, status in ((1, "sent"), (2, "pending")):
        conn.execute(sql(
            "INSERT INTO message (id, channel, message_id, sender, \"to\", cc, subject, body_text, body_html, status, "
            "attempts, next_attempt_at, created_at) VALUES (:id, 'email', :mid, 'noreply@exemple.fr', "
            "'jean.dupont@exemple.fr', '', 'Votre devis', :body, '<a href=\"http://x/souscription/SECRET\">lien</a>', "
            ":status, 0, :m, :m)"),
            {"id": message_id, "mid": f"<{message_id}@exemple.fr>", "status": status, "m": MOMENT,
             "body": "Bonjour, votre lien : http://x/souscription/SECRET ."})
        conn.execute(sql("INSERT INTO message_attachment (id, message_id, filename, content_type, content) VALUES "
                         "(:id, :id, 'DEVIS.pdf', 'application/pdf', :content)"),
                     {"id": message_id, "content": b"%PDF devis"})


def test_rows_written_before_the_encryption_are_converted(tmp_path):
    url = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": KEY})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            _insert_before_encryption(conn)
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(sql("SELECT email, mobile, address, birth_name, last_name FROM person")).one()
            sent = conn.execute(sql("SELECT body_text, body_html, scrubbed_at FROM message WHERE id = 1")).one()
            waiting = conn.execute(sql("SELECT body_text FROM message WHERE id = 2")).scalar_one()
            contents = dict(conn.execute(sql("SELECT message_id, content FROM message_attachment")).all())
            sizes = conn.execute(sql("SELECT size, sha256 FROM message_attachment WHERE id = 1")).one()
        fernet = Fernet(KEY.encode())
        assert fernet.decrypt(stored.email.encode()) == b"jean.dupont@exemple.fr"
        assert fernet.decrypt(stored.mobile.encode()) == b"+33612345678"
        assert fernet.decrypt(stored.birth_name.encode()) == b"Martin"
        assert stored.last_name == "Dupont"
        assert fernet.decrypt(sent.body_text.encode()).decode() == "Bonjour, votre lien : [lien retiré après l'envoi] ."
        assert sent.body_html is None and sent.scrubbed_at is not None
        assert fernet.decrypt(waiting.encode()).decode() == "Bonjour, votre lien : http://x/souscription/SECRET ."
        assert contents[1] is None and fernet.decrypt(bytes(contents[2])) == b"%PDF devis"
        assert tuple(sizes) == (10, "8e8340363160e7685021aa183f0ba60990d296d4174b4a2aef836359c209bcd7")
        db.session.remove()
        assert db.session.get(Person, 1).address == "3 rue de Montmoreau"
        assert db.session.get(Message, 2).attachments[0].content == b"%PDF devis"
        db.session.remove()

        downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert conn.execute(sql("SELECT email FROM person")).scalar_one() == "jean.dupont@exemple.fr"
            assert conn.execute(sql("SELECT body_text FROM message WHERE id = 2")).scalar_one().endswith("SECRET .")
        assert "size" not in {c["name"] for c in inspect(db.engine).get_columns("message_attachment")}
        downgrade(revision="base")
        db.engine.dispose()


def test_the_names_of_received_files_and_the_refusals_already_there_are_encrypted(tmp_path):
    url = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": KEY})
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO firm (id, name, orias, phone, address, email, created_at) VALUES "
                "(7, 'Cabinet', '12345678', '0545000000', '1 rue', 'c@exemple.fr', '2026-11-01 09:00:00+00:00')",
                "INSERT INTO \"user\" (id, email, role, firm_id, first_name, last_name, active, failed_logins, "
                "created_at, session_epoch) VALUES (3, 'b@exemple.fr', 'broker', 7, 'Claire', 'Martin', true, 0, "
                "'2026-11-01 09:00:00+00:00', 0)",
                "INSERT INTO quote (id, firm_id, broker_id, product_code, status, step, children, without_email, "
                "created_at, updated_at) VALUES (1, 7, 3, 'smat-active-tns', 'souscrit', 3, 0, false, "
                "'2026-11-01 09:00:00+00:00', '2026-11-01 09:00:00+00:00')",
                "INSERT INTO subscription (id, quote_id, firm_id, status, step, telephone_sale, created_at, "
                "updated_at) VALUES (1, 1, 7, 'signee', 4, false, '2026-11-01 09:00:00+00:00', "
                "'2026-11-01 09:00:00+00:00')",
                "INSERT INTO contract (id, number, subscription_id, quote_id, firm_id, product_code, formula_code, "
                "signature_state, progress, annual, created_at, attempt, accepted) VALUES (1, 'RIS-1', 1, 1, 7, "
                "'smat-active-tns', '300', 'signe', 'dossier_transmis', 1200, '2026-11-01 09:00:00+00:00', 1, 3)",
                "INSERT INTO piece (id, contract_id, firm_id, code, label, mandatory, status, requested_on, "
                "refusal_reason) VALUES (1, 1, 7, 'identite', 'Pièce d''identité', true, 'en_attente', '2026-11-01', "
                "'Photo de Jean Dupont floue'), (2, 1, 7, 'rib', 'RIB', true, 'recue', '2026-11-01', NULL)",
                "INSERT INTO piece_file (id, piece_id, storage_key, original_name, uploaded_by, uploaded_at) VALUES "
                "(1, 1, 'a', 'CNI_Jean_Dupont.jpg', 'user:3', '2026-11-09 08:00:00+00:00')",
                "INSERT INTO stored_file (id, owner_type, owner_id, kind, file_name, content_type, size, sha256, "
                "created_at) VALUES (1, 'piece', '1', 'piece', 'CNI_Jean_Dupont.pdf', 'application/pdf', 3, 'a', "
                "'2026-11-09 08:00:00+00:00')",
                "INSERT INTO journal (at, actor, object_type, object_id, action, from_status, to_status, detail) "
                "VALUES ('2026-11-10 08:00:00+00:00', 'g@exemple.fr', 'piece', 1, 'Pièce refusée', 'recue', "
                "'refusee', 'Pièce d''identité : Photo de Jean Dupont floue')",
            ):
                conn.execute(sql(statement))
        upgrade()
        fernet = Fernet(KEY.encode())
        with db.engine.connect() as conn:
            original = conn.execute(sql("SELECT original_name FROM piece_file")).scalar_one()
            stored = conn.execute(sql("SELECT file_name FROM stored_file")).scalar_one()
            reasons = conn.execute(sql("SELECT refusal_reason FROM piece ORDER BY id")).scalars().all()
            detail = conn.execute(sql("SELECT detail FROM journal WHERE action = 'Pièce refusée'")).scalar_one()
        assert fernet.decrypt(original.encode()) == b"CNI_Jean_Dupont.jpg"
        assert fernet.decrypt(stored.encode()) == b"CNI_Jean_Dupont.pdf"
        assert fernet.decrypt(reasons[0].encode()).decode() == "Photo de Jean Dupont floue" and reasons[1] is None
        assert detail == "Pièce d'identité — motif : voir la pièce"
        db.session.remove()
        assert db.session.get(PieceFile, 1).original_name == "CNI_Jean_Dupont.jpg"
        assert db.session.get(Piece, 1).refusal_reason == "Photo de Jean Dupont floue"
        db.session.remove()

        downgrade(revision="0016")
        with db.engine.connect() as conn:
            assert conn.execute(sql("SELECT original_name FROM piece_file")).scalar_one() == "CNI_Jean_Dupont.jpg"
            assert conn.execute(sql("SELECT file_name FROM stored_file")).scalar_one() == "CNI_Jean_Dupont.pdf"
            assert conn.execute(sql("SELECT refusal_reason FROM piece WHERE id = 1")).scalar_one() == (
                "Photo de Jean Dupont floue")
        downgrade(revision="base")
        db.engine.dispose()
