"""Contracts linked to the client account that signed them; the client's own link requests

Revision ID: 0016
Revises: 0013
Create Date: 2026-11-25 16:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = "0015"
branch_labels = None
depends_on = None

# Contracts signed before: the account made at their signature is the one of their person.
BACKFILL = ("UPDATE contract SET client_account_id = (SELECT MIN(client_account.id) FROM client_account "
            "WHERE client_account.person_id = contract.person_id) "
            "WHERE progress IS NOT NULL AND person_id IS NOT NULL AND client_account_id IS NULL")


def upgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contract_client_account_id'), ['client_account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contract_client_account_id_client_account'), 'client_account',
                                    ['client_account_id'], ['id'])
    with op.batch_alter_table('client_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_sent_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('client_account', schema=None) as batch_op:
        batch_op.drop_column('link_sent_at')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contract_client_account_id_client_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contract_client_account_id'))
        batch_op.drop_column('client_account_id')
