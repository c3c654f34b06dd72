"""The names of the files received and the reasons of the pieces' refusals encrypted at rest

A piece's file keeps the name its sender gave ("CNI_Jean_Dupont.jpg"), in piece_file and in
its stored_file record, and a refusal's reason speaks of the client: the three columns become
Text holding Fernet tokens (FIELD_ENCRYPTION_KEY) and the rows already there are encrypted.
The journal's rows of past refusals, which copied the reason, keep the piece's type only.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Columns encrypted by this revision, with their type before it (None: Text already).
ENCRYPTED = {
    'piece_file': {'original_name': 255},
    'stored_file': {'file_name': 255},
    'piece': {'refusal_reason': None},
}
BATCH = 1000
REFUSAL_DETAIL = " — motif : voir la pièce"


def _keyring() -> MultiFernet:
    keys = [key.strip() for key in current_app.config["FIELD_ENCRYPTION_KEY"].split(",") if key.strip()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _convert_text_columns(table: str, columns: dict, convert) -> None:
    """Rewrite every non-null value of `columns` of `table` through `convert` (str → str), by
    batches of ids so that a large table is not held in memory."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), *(sa.column(name, sa.Text) for name in columns))
    last = 0
    while True:
        batch = bind.execute(sa.select(rows).where(rows.c.id > last).order_by(rows.c.id).limit(BATCH)).mappings().all()
        if not batch:
            return
        for row in batch:
            values = {name: convert(row[name]) for name in columns if row[name] is not None}
            if values:
                bind.execute(rows.update().where(rows.c.id == row['id']).values(**values))
        last = batch[-1]['id']


def _alter(table: str, columns: dict, *, to_text: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, width in columns.items():
            if width is not None:
                text, string = sa.Text(), sa.String(length=width)
                batch_op.alter_column(name, existing_type=string if to_text else text,
                                      type_=text if to_text else string)


def upgrade():
    keyring = _keyring()
    encrypt = lambda value: keyring.encrypt(value.encode()).decode()  # noqa: E731
    for table, columns in ENCRYPTED.items():
        _alter(table, columns, to_text=True)
        _convert_text_columns(table, columns, encrypt)
    # The refusals already journaled: their detail was "type : reason".
    op.execute("UPDATE journal SET detail = (SELECT substr(piece.label, 1, 200) FROM piece "
               f"WHERE piece.id = journal.object_id) || '{REFUSAL_DETAIL}' "
               "WHERE object_type = 'piece' AND action = 'Pièce refusée' "
               "AND EXISTS (SELECT 1 FROM piece WHERE piece.id = journal.object_id)")


def downgrade():
    keyring = _keyring()
    decrypt = lambda value: keyring.decrypt(value.encode()).decode()  # noqa: E731
    for table, columns in ENCRYPTED.items():
        _convert_text_columns(table, columns, decrypt)
        _alter(table, columns, to_text=False)
