"""Person.search_name in byte order on PostgreSQL, for the prefix search's range condition

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('person', 'search_name', type_=sa.String(length=170, collation='C'),
                        existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('person', 'search_name', type_=sa.String(length=170), existing_nullable=False)
