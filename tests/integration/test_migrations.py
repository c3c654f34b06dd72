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
