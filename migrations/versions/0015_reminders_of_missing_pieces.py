"""Reminders of missing supporting documents: when the pieces were asked, and each reminder sent

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-25 16:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pieces_asked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_7_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_14_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_contract_pieces_asked_at', ['pieces_asked_at'], unique=False)
    # Contracts already signed: the pieces were asked when their "Avancement" first appeared
    # (the electronic signature, or the paper documents sent); the signature or creation time
    # when that row is missing.
    op.execute(
        "UPDATE contract SET pieces_asked_at = COALESCE("
        "(SELECT MIN(journal.at) FROM journal WHERE journal.object_type = 'contrat' "
        "AND journal.object_id = contract.id AND journal.to_status = 'en_attente_pieces'), signed_at, created_at) "
        "WHERE progress IS NOT NULL")


def downgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_pieces_asked_at')
        batch_op.drop_column('reminded_14_at')
        batch_op.drop_column('reminded_7_at')
        batch_op.drop_column('pieces_asked_at')
