"""directives: each history event keeps the deadline in force after it (directive_assignment_events.deadline),
so the execution report can tell an assignment's state (status and deadline) at any past instant; a reminder
kind for the monthly execution report put in the leaders' notifications once.

Existing events are filled by walking each assignment's history backwards from today's deadline: an approved
extension, a deadline that followed another, and a correction that moved the assignment's deadline each say
what the deadline was before them.

Revision ID: 0022_event_deadline
Revises: 0021_cascade
Create Date: 2026-11-30 12:20:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0022_event_deadline'
down_revision = '0021_cascade'
branch_labels = None
depends_on = None

OLD_KINDS = ('due_soon', 'overdue', 'unacknowledged', 'digest')
NEW_KINDS = OLD_KINDS + ('monthly_report',)


def _kinds_check(values):
    with op.batch_alter_table('directive_reminders_sent', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_directive_reminders_sent_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_directive_reminders_sent_kind'),
                                         f"kind IN ({', '.join(repr(v) for v in values)})")


def upgrade():
    with op.batch_alter_table('directive_assignment_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_assignment_events_deadline', ['deadline'], unique=False)
    _fill_deadlines()
    _kinds_check(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM directive_reminders_sent WHERE kind = 'monthly_report'")
    _kinds_check(OLD_KINDS)
    with op.batch_alter_table('directive_assignment_events', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_events_deadline')
        batch_op.drop_column('deadline')


def _naive_utc(text):
    """An ISO time from an event's data as the naive UTC the DateTime columns hold (None if unreadable)."""
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def deadline_before(action, data):
    """The deadline an event replaced, from its data (None: the event did not move the deadline)."""
    data = data or {}
    if action in ('extension_approve', 'deadline_follow') and data.get('old_deadline'):
        return _naive_utc(data['old_deadline'])
    if action == 'correct':
        moved = (data.get('changes') or {}).get('assignment_deadline') or {}
        if moved.get('from'):
            return _naive_utc(moved['from'])
    return None


def _fill_deadlines():
    conn = op.get_bind()
    events = sa.table('directive_assignment_events', sa.column('id', sa.Integer), sa.column('assignment_id'),
                      sa.column('action'), sa.column('data', sa.JSON), sa.column('created_at'),
                      sa.column('deadline', sa.DateTime))
    assignments = sa.table('directive_assignments', sa.column('id'), sa.column('deadline', sa.DateTime))
    query = (sa.select(events.c.id, events.c.assignment_id, events.c.action, events.c.data, assignments.c.deadline)
             .join(assignments, assignments.c.id == events.c.assignment_id)
             .order_by(events.c.assignment_id, events.c.created_at.desc(), events.c.id.desc()))
    updates, current, deadline = [], None, None
    for event_id, assignment_id, action, data, today in conn.execute(query):
        if assignment_id != current:  # the newest event of the next assignment: today's deadline
            current, deadline = assignment_id, today
        updates.append({'event_id': event_id, 'value': deadline})
        deadline = deadline_before(action, data) or deadline
        if len(updates) >= 5000:
            _write(conn, events, updates)
            updates = []
    _write(conn, events, updates)


def _write(conn, events, updates):
    if updates:
        conn.execute(events.update().where(events.c.id == sa.bindparam('event_id'))
                     .values(deadline=sa.bindparam('value')), updates)
