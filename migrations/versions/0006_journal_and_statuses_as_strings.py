"""One journal for state changes and the agenda, quote statuses as checked strings, revocable links

The customer link is revoked by a newer one; the quote keeps its last sending for the resend rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 13:20:00

The rows of audit_log and event are carried into journal: objects by their integer id (a quote
reference "RIS-…/2" becomes the quote's id), statuses by their code ("Validé" → "valide").
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

STATUSES = ('incomplet', 'propose', 'valide', 'en_attente', 'accepte', 'souscrit', 'refuse', 'decline', 'expire')
LABELS = {'Incomplet': 'incomplet', 'Proposé': 'propose', 'Validé': 'valide', 'En attente de validation': 'en_attente',
          'Accepté': 'accepte', 'Souscrit': 'souscrit', 'Refusé': 'refuse', 'Décliné': 'decline', 'Expiré': 'expire'}
CHECK = "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")"

journal = sa.table(
    'journal', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_user_id', sa.Integer), sa.column('actor', sa.String), sa.column('firm_id', sa.Integer),
    sa.column('object_type', sa.String), sa.column('object_id', sa.Integer), sa.column('action', sa.String),
    sa.column('from_status', sa.String), sa.column('to_status', sa.String), sa.column('detail', sa.Text),
    sa.column('agenda_kind', sa.String), sa.column('effect_date', sa.Date), sa.column('description', sa.String),
    sa.column('domain', sa.String), sa.column('person_id', sa.Integer), sa.column('quote_id', sa.Integer),
    sa.column('agenda_search', sa.String), sa.column('closed_at', sa.DateTime(timezone=True)))

# The former tables, typed, so that dates and times read back as such on SQLite too.
event = sa.table(
    'event', sa.column('id', sa.Integer), sa.column('firm_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('effect_date', sa.Date), sa.column('description', sa.String), sa.column('domain', sa.String),
    sa.column('person_id', sa.Integer), sa.column('quote_id', sa.Integer),
    sa.column('created_at', sa.DateTime(timezone=True)), sa.column('closed_at', sa.DateTime(timezone=True)))
audit_log = sa.table(
    'audit_log', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_user_id', sa.Integer), sa.column('actor', sa.String), sa.column('object_type', sa.String),
    sa.column('object_id', sa.String), sa.column('action', sa.String), sa.column('from_status', sa.String),
    sa.column('to_status', sa.String), sa.column('detail', sa.Text))


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.Enum(*STATUSES, name='quote_status'),
                              type_=sa.String(length=20), existing_nullable=False, postgresql_using='status::text')
        batch_op.create_check_constraint(op.f('ck_quote_status'), CHECK)
        batch_op.add_column(sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True))
    if postgresql:
        sa.Enum(name='quote_status').drop(bind, checkfirst=True)
    op.execute("UPDATE quote SET last_sent_at = issued_at WHERE status = 'valide'")
    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('journal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('from_status', sa.String(length=40), nullable=True),
    sa.Column('to_status', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('agenda_kind', sa.String(length=40), nullable=True),
    sa.Column('effect_date', sa.Date(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('domain', sa.String(length=60), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('agenda_search', sa.String(length=700), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user.id'], name=op.f('fk_journal_actor_user_id_user')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_journal_firm_id_firm')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_journal_person_id_person')),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], name=op.f('fk_journal_quote_id_quote')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal'))
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_at'), ['at'], unique=False)
        batch_op.create_index('ix_journal_firm_at', ['firm_id', 'at'], unique=False)
        batch_op.create_index('ix_journal_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_quote_id'), ['quote_id'], unique=False)

    _carry_rows_into_journal(bind)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_quote_id'))
        batch_op.drop_index('ix_event_firm_created')
    op.drop_table('event')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
    op.drop_table('audit_log')


def _carry_rows_into_journal(bind):
    from portal.journal.service import searchable

    quotes = {(number, version): id_ for id_, number, version in bind.execute(
        sa.text("SELECT id, number, version FROM quote WHERE version IS NOT NULL"))}
    firms = dict(bind.execute(sa.text("SELECT id, firm_id FROM quote")).all())
    # Ids are given in the order of the rows (events first), so that the row recording the
    # closing of an event can name the event's new id.
    rows, new_event_ids = [], {}
    for row in bind.execute(sa.select(event).order_by(event.c.id)).mappings():
        new_event_ids[row['id']] = len(rows) + 1
        rows.append({
            'at': row['created_at'], 'actor_user_id': None, 'actor': 'système', 'firm_id': row['firm_id'],
            'object_type': 'devis' if row['quote_id'] else 'person',
            'object_id': row['quote_id'] or row['person_id'], 'action': "Événement d'agenda",
            'from_status': None, 'to_status': None, 'detail': None, 'agenda_kind': row['kind'],
            'effect_date': row['effect_date'], 'description': row['description'], 'domain': row['domain'],
            'person_id': row['person_id'], 'quote_id': row['quote_id'], 'closed_at': row['closed_at'],
            'agenda_search': searchable(row['effect_date'], row['description'], row['domain'], row['created_at'])})
    for row in bind.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings():
        object_type, object_id, firm_id = row['object_type'], row['object_id'], None
        if object_type == 'devis':
            number, _, version = object_id.partition('/')
            object_id = quotes.get((number, int(version))) if version.isdigit() else int(object_id)
            firm_id = firms.get(object_id)
        elif object_type == 'événement':
            object_type, object_id = 'journal', new_event_ids.get(int(object_id))
        if object_id is None:
            continue  # a quote or event that no longer exists: nothing to attach the row to
        rows.append({
            'at': row['at'], 'actor_user_id': row['actor_user_id'], 'actor': row['actor'], 'firm_id': firm_id,
            'object_type': object_type, 'object_id': int(object_id), 'action': row['action'],
            'from_status': LABELS.get(row['from_status'], row['from_status']),
            'to_status': LABELS.get(row['to_status'], row['to_status']), 'detail': row['detail'],
            'agenda_kind': None, 'effect_date': None, 'description': None, 'domain': None, 'person_id': None,
            'quote_id': None, 'closed_at': None, 'agenda_search': None})
    for new_id, row in enumerate(rows, 1):
        row['id'] = new_id
    if rows:
        op.bulk_insert(journal, rows)
        if bind.dialect.name == 'postgresql':
            op.execute("SELECT setval(pg_get_serial_sequence('journal', 'id'), (SELECT max(id) FROM journal))")


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('from_status', sa.String(length=60), nullable=True),
    sa.Column('to_status', sa.String(length=60), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user.id'], name=op.f('fk_audit_log_actor_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
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
    op.execute("INSERT INTO event (firm_id, kind, effect_date, description, domain, person_id, quote_id, created_at, "
               "closed_at) SELECT firm_id, agenda_kind, effect_date, description, domain, person_id, quote_id, at, "
               "closed_at FROM journal WHERE agenda_kind IS NOT NULL ORDER BY id")
    op.execute("INSERT INTO audit_log (at, actor_user_id, actor, object_type, object_id, action, from_status, "
               "to_status, detail) SELECT at, actor_user_id, actor, object_type, CAST(object_id AS VARCHAR(64)), "
               "action, from_status, to_status, detail FROM journal WHERE agenda_kind IS NULL ORDER BY id")
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_quote_id'))
        batch_op.drop_index('ix_journal_object')
        batch_op.drop_index('ix_journal_firm_at')
        batch_op.drop_index(batch_op.f('ix_journal_at'))
    op.drop_table('journal')

    with op.batch_alter_table('customer_link', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    status_enum = sa.Enum(*STATUSES, name='quote_status')
    if postgresql:
        status_enum.create(bind, checkfirst=True)
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_column('last_sent_at')
        batch_op.drop_constraint(op.f('ck_quote_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=status_enum,
                              existing_nullable=False, postgresql_using='status::quote_status')
