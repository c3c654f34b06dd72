"""Every table comes from a migration: an empty database upgraded to head matches the models."""
from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from portal import create_app
from portal.extensions import db


def _empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    # A schema of its own on PostgreSQL, so the suite's tables are left alone.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    engine.dispose()
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_check"


def test_upgrade_empty_database_to_head_matches_models(tmp_path):
    url = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"firm", "user", "auth_token", "message", "message_attachment", "journal"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_the_audit_log_and_the_agenda_events_are_carried_into_the_journal(tmp_path):
    url = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="})
    at = "2026-11-20 10:00:00+00:00"
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO firm (id, name, orias, phone, address, email, created_at) VALUES "
                "(7, 'Cabinet', '12345678', '0545000000', '1 rue', 'c@exemple.fr', :at)",
                "INSERT INTO \"user\" (id, email, role, firm_id, first_name, last_name, active, failed_logins, "
                "created_at, session_epoch) VALUES (3, 'b@exemple.fr', 'broker', 7, 'Claire', 'Martin', true, 0, :at, 0)",
                "INSERT INTO quote (id, firm_id, broker_id, product_code, number, version, status, step, children, "
                "without_email, created_at, updated_at, issued_at) VALUES "
                "(41, 7, 3, 'smat-active-tns', 'RIS-0000000001', 2, 'valide', 3, 0, false, :at, :at, :at)",
                "INSERT INTO event (id, firm_id, kind, effect_date, description, domain, quote_id, created_at) VALUES "
                "(5, 7, 'devis_envoye', '2026-12-01', 'Pour le client : M. DUPONT Jean', 'Devis n° RIS-0000000001/2', 41, :at)",
                "INSERT INTO audit_log (at, actor_user_id, actor, object_type, object_id, action, from_status, "
                "to_status) VALUES (:at, 3, 'b@exemple.fr', 'devis', 'RIS-0000000001/2', 'Devis envoyé au client', "
                "'Incomplet', 'Validé')",
                "INSERT INTO audit_log (at, actor_user_id, actor, object_type, object_id, action) VALUES "
                "(:at, 3, 'b@exemple.fr', 'événement', '5', 'Événement clôturé')",
            ):
                conn.execute(text(statement), {"at": at})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT object_type, object_id, action, from_status, to_status, firm_id, "
                                     "agenda_kind, agenda_search FROM journal ORDER BY id")).all()
            status, last_sent = conn.execute(text("SELECT status, last_sent_at FROM quote")).one()
        assert [tuple(row[:7]) for row in rows] == [
            ("devis", 41, "Événement d'agenda", None, None, 7, "devis_envoye"),
            ("devis", 41, "Devis envoyé au client", "incomplet", "valide", 7, None),
            ("journal", 1, "Événement clôturé", None, None, None, None),
        ]
        assert rows[0][7] == "01/12/2026 pour le client : m. dupont jean devis n° ris-0000000001/2 20/11/2026 11:00"
        assert status == "valide" and last_sent is not None
        downgrade(revision="base")
        db.engine.dispose()


def test_the_contracts_already_transmitted_get_their_date_from_the_journal_or_their_first_file(tmp_path):
    url = _empty_database_url(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "SECRET_KEY": "x" * 40, "FIELD_ENCRYPTION_KEY": "0mZ0l9Qq1uY8nKq1m2B3p7bq3kqkq4m3k2p0xVQp3nY="})
    with app.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO firm (id, name, orias, phone, address, email, created_at) VALUES "
                "(7, 'Cabinet', '12345678', '0545000000', '1 rue', 'c@exemple.fr', '2026-11-01 09:00:00+00:00')",
                "INSERT INTO \"user\" (id, email, role, firm_id, first_name, last_name, active, failed_logins, "
                "created_at, session_epoch) VALUES (3, 'b@exemple.fr', 'broker', 7, 'Claire', 'Martin', true, 0, "
                "'2026-11-01 09:00:00+00:00', 0)",
                *(f"INSERT INTO quote (id, firm_id, broker_id, product_code, status, step, children, without_email, "
                  f"created_at, updated_at) VALUES ({n}, 7, 3, 'smat-active-tns', 'souscrit', 3, 0, false, "
                  f"'2026-11-01 09:00:00+00:00', '2026-11-01 09:00:00+00:00')" for n in (1, 2, 3)),
                *(f"INSERT INTO subscription (id, quote_id, firm_id, status, step, telephone_sale, created_at, "
                  f"updated_at) VALUES ({n}, {n}, 7, 'signee', 4, false, '2026-11-01 09:00:00+00:00', "
                  f"'2026-11-01 09:00:00+00:00')" for n in (1, 2, 3)),
                *(f"INSERT INTO contract (id, number, subscription_id, quote_id, firm_id, product_code, formula_code, "
                  f"signature_state, progress, annual, created_at, attempt, accepted) VALUES ({n}, 'RIS-{n}', {n}, "
                  f"{n}, 7, 'smat-active-tns', '300', 'signe', '{progress}', 1200, '2026-11-01 09:00:00+00:00', 1, 3)"
                  for n, progress in ((1, "dossier_transmis"), (2, "adhesion_creee"), (3, "en_attente_pieces"))),
                "INSERT INTO journal (at, actor, object_type, object_id, action, from_status, to_status) VALUES "
                "('2026-11-10 08:00:00+00:00', 'b@exemple.fr', 'contrat', 1, 'Avancement', 'en_attente_pieces', "
                "'dossier_transmis')",
                "INSERT INTO piece (id, contract_id, firm_id, code, label, mandatory, status, requested_on) VALUES "
                "(1, 1, 7, 'rib', 'RIB', true, 'recue', '2026-11-01'), (2, 2, 7, 'rib', 'RIB', true, 'validee', "
                "'2026-11-01')",
                "INSERT INTO piece_file (piece_id, storage_key, original_name, uploaded_by, uploaded_at) VALUES "
                "(1, 'a', 'rib.pdf', 'user:3', '2026-11-09 08:00:00+00:00'), "
                "(2, 'b', 'rib.pdf', 'user:3', '2026-11-12 08:00:00+00:00'), "
                "(2, 'c', 'rib.pdf', 'user:3', '2026-11-14 08:00:00+00:00')",
            ):
                conn.execute(text(statement))
        upgrade()
        with db.engine.connect() as conn:
            dates = conn.execute(text("SELECT id, transmitted_at FROM contract ORDER BY id")).all()
        # The journal's row for the first, the first file for the second, nothing for the third.
        assert [(n, str(at)[:10] if at else None) for n, at in dates] == [(1, "2026-11-10"), (2, "2026-11-12"), (3, None)]
        downgrade(revision="base")
        db.engine.dispose()
