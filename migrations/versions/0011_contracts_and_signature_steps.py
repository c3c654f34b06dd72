"""Contracts (demandes d'adhésion) with their signature state and progress, the steps of an
electronic signature, and the client-space password links

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 14:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SIGNATURE_STATES = ('en_cours', 'signe', 'manuscrite', 'echec')
PROGRESS = ('en_attente_pieces', 'dossier_transmis', 'adhesion_creee')


def upgrade():
    op.create_table(
        'contract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('quote_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('product_code', sa.String(length=40), nullable=False),
        sa.Column('formula_code', sa.String(length=10), nullable=False),
        sa.Column('signature_state', sa.Enum(*SIGNATURE_STATES, name='signature_state', native_enum=False,
                                             create_constraint=True, length=20), nullable=False),
        sa.Column('progress', sa.Enum(*PROGRESS, name='progress', native_enum=False, create_constraint=True,
                                      length=20), nullable=True),
        sa.Column('periodicity', sa.String(length=12), nullable=True),
        sa.Column('annual', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=True),
        sa.Column('data_fingerprint', sa.String(length=64), nullable=True),
        sa.Column('accepted', sa.Integer(), nullable=False),
        sa.Column('last_step_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failure', sa.Text(), nullable=True),
        sa.Column('signed_documents', sa.JSON(), nullable=True),
        sa.Column('proof_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], name=op.f('fk_contract_subscription_id_subscription')),
        sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_contract_quote_id_quote')),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_contract_firm_id_firm')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_contract_person_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
        sa.UniqueConstraint('number', name=op.f('uq_contract_number')),
        sa.UniqueConstraint('subscription_id', name=op.f('uq_contract_subscription_id')),
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_contract_firm_progress', ['firm_id', 'progress'], unique=False)

    op.create_table(
        'signature_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('step', sa.String(length=60), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_signature_step_contract_id_contract')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_step')),
    )
    with op.batch_alter_table('signature_step', schema=None) as batch_op:
        batch_op.create_index('ix_signature_step_contract', ['contract_id', 'attempt'], unique=False)

    op.create_table(
        'client_password_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['client_account.id'],
                                name=op.f('fk_client_password_link_account_id_client_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_client_password_link')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_client_password_link_token_hash')),
    )
    with op.batch_alter_table('client_password_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_password_link_account_id'), ['account_id'], unique=False)


def downgrade():
    op.drop_table('client_password_link')
    op.drop_table('signature_step')
    op.drop_table('contract')
