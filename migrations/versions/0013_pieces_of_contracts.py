"""Supporting documents (pièces justificatives) of contracts and the files received for them

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 14:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PIECE_STATUSES = ('en_attente', 'recue', 'validee', 'refusee')


def upgrade():
    op.create_table(
        'piece',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=400), nullable=False),
        sa.Column('mandatory', sa.Boolean(), nullable=False),
        sa.Column('status', sa.Enum(*PIECE_STATUSES, name='piece_status', native_enum=False, create_constraint=True,
                                    length=20), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=True),
        sa.Column('refusal_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_piece_contract_id_contract')),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_piece_firm_id_firm')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_piece')),
    )
    with op.batch_alter_table('piece', schema=None) as batch_op:
        batch_op.create_index('ix_piece_contract', ['contract_id'], unique=False)

    op.create_table(
        'piece_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('piece_id', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('uploaded_by', sa.String(length=80), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['piece_id'], ['piece.id'], name=op.f('fk_piece_file_piece_id_piece')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_piece_file')),
    )
    with op.batch_alter_table('piece_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_piece_file_piece_id'), ['piece_id'], unique=False)


def downgrade():
    op.drop_table('piece_file')
    op.drop_table('piece')
