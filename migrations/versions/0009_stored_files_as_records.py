"""Stored files as records: owner, kind, name, type, size, hash, when and by whom

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 13:05:00

The PDFs issued before this revision get their record from the quote that points at them
(their size was not kept: NULL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_type', sa.String(length=40), nullable=False),
        sa.Column('owner_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index('ix_stored_file_owner', ['owner_type', 'owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_created_at'), ['created_at'], unique=False)
    # A proposal on paper ("propose") issued the BIA, every other issued quote DEVIS.pdf.
    op.execute(sa.text(
        "INSERT INTO stored_file (owner_type, owner_id, kind, file_name, content_type, size, sha256, created_at, "
        "created_by) SELECT 'quote', CAST(id AS VARCHAR(64)), "
        "CASE WHEN status = 'propose' THEN 'bia' ELSE 'devis' END, "
        "CASE WHEN status = 'propose' THEN 'Bulletin individuel d''adhésion.pdf' ELSE 'DEVIS.pdf' END, "
        "'application/pdf', NULL, pdf_key, COALESCE(issued_at, updated_at), 'user:' || CAST(broker_id AS VARCHAR(20)) "
        "FROM quote WHERE pdf_key IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_created_at'))
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))
        batch_op.drop_index('ix_stored_file_owner')
    op.drop_table('stored_file')
