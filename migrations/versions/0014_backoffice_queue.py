"""The back-office's queue: when a dossier was transmitted, when its adhesion was created, the
decisions on its pieces, and the indexes the queue reads at 100 000 contracts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 15:50:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The contracts already transmitted: the date of their journal row "Dossier transmis", or,
# without one, of the first file received for one of their pieces.
BACKFILL_TRANSMITTED = """
UPDATE contract SET transmitted_at = COALESCE(
    (SELECT MIN(journal.at) FROM journal WHERE journal.object_type = 'contrat'
        AND journal.object_id = contract.id AND journal.to_status = 'dossier_transmis'),
    (SELECT MIN(piece_file.uploaded_at) FROM piece_file JOIN piece ON piece.id = piece_file.piece_id
        WHERE piece.contract_id = contract.id))
WHERE progress IN ('dossier_transmis', 'adhesion_creee') AND transmitted_at IS NULL
"""


def upgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transmitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('adhesion_created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('adhesion_created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contract_adhesion_created_by_id_user'), 'user',
                                    ['adhesion_created_by_id'], ['id'])
        batch_op.drop_index('ix_contract_firm_progress')
        batch_op.create_index('ix_contract_firm_progress', ['firm_id', 'progress', 'transmitted_at'], unique=False)
        batch_op.create_index('ix_contract_queue', ['progress', 'transmitted_at', 'id'], unique=False)
        batch_op.create_index('ix_contract_queue_product', ['progress', 'product_code', 'transmitted_at'],
                              unique=False)
    op.execute(BACKFILL_TRANSMITTED)

    with op.batch_alter_table('piece', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refused_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('validated_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_piece_refused_by_id_user'), 'user', ['refused_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_piece_validated_by_id_user'), 'user', ['validated_by_id'], ['id'])
        batch_op.drop_index('ix_piece_contract')
        batch_op.create_index('ix_piece_contract', ['contract_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('piece', schema=None) as batch_op:
        batch_op.drop_index('ix_piece_contract')
        batch_op.create_index('ix_piece_contract', ['contract_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_piece_validated_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_piece_refused_by_id_user'), type_='foreignkey')
        batch_op.drop_column('validated_by_id')
        batch_op.drop_column('validated_at')
        batch_op.drop_column('refused_by_id')
        batch_op.drop_column('refused_at')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_queue_product')
        batch_op.drop_index('ix_contract_queue')
        batch_op.drop_index('ix_contract_firm_progress')
        batch_op.create_index('ix_contract_firm_progress', ['firm_id', 'progress'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_contract_adhesion_created_by_id_user'), type_='foreignkey')
        batch_op.drop_column('adhesion_created_by_id')
        batch_op.drop_column('adhesion_created_at')
        batch_op.drop_column('transmitted_at')
