"""Personal data encrypted at rest; messages scrubbed after delivery, with what they are about

Contact columns of person and quote become Text holding Fernet tokens (FIELD_ENCRYPTION_KEY),
and the rows already there are encrypted. Message bodies and attachments are encrypted while
they wait; the messages already delivered are scrubbed (links redacted, HTML and attachment
contents dropped, their sizes and SHA-256 kept).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 13:00:00

"""
import hashlib
import re
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Columns encrypted by this revision, with their width before it.
ENCRYPTED = {
    'person': {'birth_name': 80, 'address': 120, 'address2': 120, 'mobile': 20, 'email': 254},
    'quote': {'birth_name': 80, 'address': 120, 'address2': 120, 'mobile': 20, 'email': 254},
}
LINK = re.compile(r"https?://\S+")
REDACTED_LINK = "[lien retiré après l'envoi]"


def _keyring() -> MultiFernet:
    keys = [key.strip() for key in current_app.config["FIELD_ENCRYPTION_KEY"].split(",") if key.strip()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _convert_text_columns(table: str, columns: dict, convert) -> None:
    """Rewrite every non-null value of `columns` of `table` through `convert` (str → str)."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), *(sa.column(name, sa.Text) for name in columns))
    for row in bind.execute(sa.select(rows)).mappings().all():
        values = {name: convert(row[name]) for name in columns if row[name] is not None}
        if values:
            bind.execute(rows.update().where(rows.c.id == row['id']).values(**values))


def upgrade():
    keyring = _keyring()
    encrypt = lambda value: keyring.encrypt(value.encode()).decode()  # noqa: E731

    for table, columns in ENCRYPTED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, width in columns.items():
                batch_op.alter_column(name, existing_type=sa.String(length=width), type_=sa.Text())
        _convert_text_columns(table, columns, encrypt)

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('scrubbed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('about', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('firm_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_message_about'), ['about'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_message_firm_id_firm'), 'firm', ['firm_id'], ['id'])
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=True)

    bind = op.get_bind()
    moment = datetime.now(timezone.utc)
    message = sa.table('message', sa.column('id', sa.Integer), sa.column('status', sa.String),
                       sa.column('body_text', sa.Text), sa.column('body_html', sa.Text),
                       sa.column('failed_at', sa.DateTime(timezone=True)),
                       sa.column('scrubbed_at', sa.DateTime(timezone=True)))
    attachment = sa.table('message_attachment', sa.column('id', sa.Integer), sa.column('message_id', sa.Integer),
                          sa.column('content', sa.LargeBinary), sa.column('size', sa.Integer),
                          sa.column('sha256', sa.String))
    delivered = set()
    for row in bind.execute(sa.select(message)).mappings().all():
        if row['status'] == 'sent':
            delivered.add(row['id'])
            values = {'body_text': encrypt(LINK.sub(REDACTED_LINK, row['body_text'])), 'body_html': None,
                      'scrubbed_at': moment}
        else:
            values = {'body_text': encrypt(row['body_text']),
                      'body_html': None if row['body_html'] is None else encrypt(row['body_html'])}
            if row['status'] == 'failed':
                values['failed_at'] = moment
        bind.execute(message.update().where(message.c.id == row['id']).values(**values))
    for row in bind.execute(sa.select(attachment)).mappings().all():
        content = bytes(row['content'])
        bind.execute(attachment.update().where(attachment.c.id == row['id']).values(
            size=len(content), sha256=hashlib.sha256(content).hexdigest(),
            content=None if row['message_id'] in delivered else keyring.encrypt(content)))

    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.alter_column('size', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    keyring = _keyring()
    decrypt = lambda value: keyring.decrypt(value.encode()).decode()  # noqa: E731

    bind = op.get_bind()
    message = sa.table('message', sa.column('id', sa.Integer), sa.column('body_text', sa.Text),
                       sa.column('body_html', sa.Text))
    for row in bind.execute(sa.select(message)).mappings().all():
        bind.execute(message.update().where(message.c.id == row['id']).values(
            body_text=decrypt(row['body_text']),
            body_html=None if row['body_html'] is None else decrypt(row['body_html'])))
    attachment = sa.table('message_attachment', sa.column('id', sa.Integer), sa.column('content', sa.LargeBinary))
    for row in bind.execute(sa.select(attachment)).mappings().all():
        # A scrubbed attachment has no content left to give back: an empty file stands for it.
        content = b'' if row['content'] is None else keyring.decrypt(bytes(row['content']))
        bind.execute(attachment.update().where(attachment.c.id == row['id']).values(content=content))

    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('sha256')
        batch_op.drop_column('size')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_firm_id_firm'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_message_about'))
        batch_op.drop_column('firm_id')
        batch_op.drop_column('about')
        batch_op.drop_column('scrubbed_at')
        batch_op.drop_column('failed_at')

    for table, columns in ENCRYPTED.items():
        _convert_text_columns(table, columns, decrypt)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, width in columns.items():
                batch_op.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=width))
