"""Login counters per identifiant and address, client accounts, first-connection e-mail time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('identifiant_key', sa.String(length=64), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_source')),
    sa.UniqueConstraint('key', name=op.f('uq_login_source_key'))
    )
    with op.batch_alter_table('login_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_source_identifiant_key'), ['identifiant_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_source_last_failed_login_at'), ['last_failed_login_at'], unique=False)

    op.create_table('client_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_client_account_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_account')),
    sa.UniqueConstraint('email', name=op.f('uq_client_account_email'))
    )
    with op.batch_alter_table('client_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_account_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('init_link_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('init_link_sent_at')

    with op.batch_alter_table('client_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_account_person_id'))

    op.drop_table('client_account')
    with op.batch_alter_table('login_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_source_last_failed_login_at'))
        batch_op.drop_index(batch_op.f('ix_login_source_identifiant_key'))

    op.drop_table('login_source')
