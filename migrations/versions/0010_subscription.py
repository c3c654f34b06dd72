"""Subscriptions: the four steps typed from the customer's link, kept as typed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 13:45:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

STATUSES = ('en_cours', 'a_signer', 'signee', 'manuscrite', 'echec', 'refusee')


def upgrade():
    op.create_table(
        'subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quote_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='status', native_enum=False, create_constraint=True,
                                    length=20), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('answers', sa.Text(), nullable=True),
        sa.Column('civility', sa.String(length=10), nullable=True),
        sa.Column('last_name', sa.String(length=80), nullable=True),
        sa.Column('birth_name', sa.Text(), nullable=True),
        sa.Column('first_name', sa.String(length=80), nullable=True),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('nir', sa.Text(), nullable=True),
        sa.Column('mobile', sa.Text(), nullable=True),
        sa.Column('tns_declared', sa.Boolean(), nullable=True),
        sa.Column('teletransmission', sa.Boolean(), nullable=True),
        sa.Column('prospecting_opt_out', sa.Boolean(), nullable=True),
        sa.Column('spouse', sa.Text(), nullable=True),
        sa.Column('children', sa.Text(), nullable=True),
        sa.Column('documents_acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('account_holder', sa.Text(), nullable=True),
        sa.Column('iban', sa.Text(), nullable=True),
        sa.Column('bic', sa.Text(), nullable=True),
        sa.Column('periodicity', sa.String(length=12), nullable=True),
        sa.Column('debit_day', sa.Integer(), nullable=True),
        sa.Column('mandate_reference', sa.String(length=35), nullable=True),
        sa.Column('signature_choice', sa.String(length=12), nullable=True),
        sa.Column('broker_id', sa.Integer(), nullable=True),
        sa.Column('telephone_sale', sa.Boolean(), nullable=False),
        sa.Column('documents_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_subscription_quote_id_quote')),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_subscription_firm_id_firm')),
        sa.ForeignKeyConstraint(['broker_id'], ['user.id'], name=op.f('fk_subscription_broker_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
        sa.UniqueConstraint('quote_id', name=op.f('uq_subscription_quote_id')),
        sa.UniqueConstraint('mandate_reference', name=op.f('uq_subscription_mandate_reference')),
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_firm_id'), ['firm_id'], unique=False)


def downgrade():
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_firm_id'))
    op.drop_table('subscription')
