"""Quotes, people, agenda events, customer links and number sequences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:15:56.025168

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_sequence',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_number_sequence'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('civility', sa.String(length=10), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('birth_name', sa.String(length=80), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('search_name', sa.String(length=170), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('address', sa.String(length=120), nullable=False),
    sa.Column('address2', sa.String(length=120), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=60), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_person_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_firm_search', ['firm_id', 'search_name'], unique=False)

    op.create_table('quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('product_code', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('incomplet', 'propose', 'valide', 'en_attente', 'accepte', 'souscrit', 'refuse', 'decline', 'expire', name='quote_status'), nullable=False),
    sa.Column('creation_key', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('pending_inputs', sa.JSON(), nullable=True),
    sa.Column('needs', sa.JSON(), nullable=True),
    sa.Column('effect_date', sa.Date(), nullable=True),
    sa.Column('regime', sa.String(length=30), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('has_spouse', sa.Boolean(), nullable=True),
    sa.Column('spouse_birth_date', sa.Date(), nullable=True),
    sa.Column('has_children', sa.Boolean(), nullable=True),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('formula_code', sa.String(length=10), nullable=True),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('recommended_formula_code', sa.String(length=10), nullable=True),
    sa.Column('recommended_options', sa.JSON(), nullable=True),
    sa.Column('monthly', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('annual', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('civility', sa.String(length=10), nullable=True),
    sa.Column('last_name', sa.String(length=80), nullable=True),
    sa.Column('birth_name', sa.String(length=80), nullable=True),
    sa.Column('first_name', sa.String(length=80), nullable=True),
    sa.Column('address', sa.String(length=120), nullable=True),
    sa.Column('address2', sa.String(length=120), nullable=True),
    sa.Column('client_postcode', sa.String(length=5), nullable=True),
    sa.Column('client_city', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=60), nullable=True),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('without_email', sa.Boolean(), nullable=False),
    sa.Column('catalog_version', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('pdf_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['broker_id'], ['user.id'], name=op.f('fk_quote_broker_id_user')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_quote_firm_id_firm')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_quote_person_id_person')),
    sa.ForeignKeyConstraint(['source_id'], ['quote.id'], name=op.f('fk_quote_source_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote')),
    sa.UniqueConstraint('creation_key', name=op.f('uq_quote_creation_key')),
    sa.UniqueConstraint('number', 'version', name=op.f('uq_quote_number'))
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_person_id'), ['person_id'], unique=False)

    op.create_table('customer_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_customer_link_quote_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_customer_link_token_hash'))
    )
    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_link_quote_id'), ['quote_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('effect_date', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('domain', sa.String(length=60), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_event_firm_id_firm')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_event_person_id_person')),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_event_quote_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_firm_created', ['firm_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_quote_id'), ['quote_id'], unique=False)



def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_quote_id'))
        batch_op.drop_index('ix_event_firm_created')

    op.drop_table('event')
    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_link_quote_id'))

    op.drop_table('customer_link')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_person_id'))
        batch_op.drop_index(batch_op.f('ix_quote_number'))
        batch_op.drop_index(batch_op.f('ix_quote_firm_id'))

    op.drop_table('quote')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_firm_search')

    op.drop_table('person')
    op.drop_table('number_sequence')
    sa.Enum(name='quote_status').drop(op.get_bind(), checkfirst=True)
