"""directives: each history event keeps the deadline in force after it (directive_assignment_events.deadline),
so the execution report can tell an assignment's state (status and deadline) at any past instant; a reminder
kind for the monthly execution report put in the leaders' notifications once.

Existing events are filled from what each one says: an issue and a put-back say the deadline they gave, an
approved extension, a deadline that followed another and a correction the one they set (and the one they
replaced, for older events that come before any of these, filled backwards from today's deadline).

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
    """The deadline an event replaced, from its data (None: the event did not say)."""
    data = data or {}
    if action in ('extension_approve', 'deadline_follow') and data.get('old_deadline'):
        return _naive_utc(data['old_deadline'])
    if action == 'correct':
        moved = (data.get('changes') or {}).get('assignment_deadline') or {}
        if moved.get('from'):
            return _naive_utc(moved['from'])
    return None


def deadline_set(action, data):
    """The deadline an event set, from its data (None: the event did not set one)."""
    data = data or {}
    if action in ('issue', 'add') and data.get('deadline'):
        return _naive_utc(data['deadline'])
    if action in ('extension_approve', 'deadline_follow') and data.get('new_deadline'):
        return _naive_utc(data['new_deadline'])
    if action == 'correct':
        moved = (data.get('changes') or {}).get('assignment_deadline') or {}
        if moved.get('to'):
            return _naive_utc(moved['to'])
    return None


def deadlines_after(events, today):
    """The deadline in force after each of one assignment's events ``[(action, data)]``, oldest first.

    Forwards: an issue, a put-back (add), an approved extension, a deadline that followed and a correction
    each say the deadline they set. Events before the first that says so (older data) are filled backwards
    from today's deadline, with what each change says it replaced."""
    backwards, deadline = [], today
    for action, data in reversed(events):
        backwards.append(deadline)
        deadline = deadline_before(action, data) or deadline
    backwards.reverse()
    out, known = [], None
    for (action, data), fallback in zip(events, backwards, strict=True):
        known = deadline_set(action, data) or known
        out.append(known or fallback)
    return out


def _fill_deadlines():
    conn = op.get_bind()
    events = sa.table('directive_assignment_events', sa.column('id', sa.Integer), sa.column('assignment_id'),
                      sa.column('action'), sa.column('data', sa.JSON), sa.column('created_at'),
                      sa.column('deadline', sa.DateTime))
    assignments = sa.table('directive_assignments', sa.column('id'), sa.column('deadline', sa.DateTime))
    query = (sa.select(events.c.id, events.c.assignment_id, events.c.action, events.c.data, assignments.c.deadline)
             .join(assignments, assignments.c.id == events.c.assignment_id)
             .order_by(events.c.assignment_id, events.c.created_at, events.c.id))
    updates, current, rows, today = [], None, [], None
    for event_id, assignment_id, action, data, deadline in conn.execute(query):
        if assignment_id != current:
            updates += _one(rows, today)
            current, rows, today = assignment_id, [], deadline
        rows.append((event_id, action, data))
        if len(updates) >= 5000:
            _write(conn, events, updates)
            updates = []
    _write(conn, events, updates + _one(rows, today))


def _one(rows, today):
    values = deadlines_after([(action, data) for _id, action, data in rows], today)
    return [{'event_id': event_id, 'value': value} for (event_id, _a, _d), value in zip(rows, values, strict=True)]


def _write(conn, events, updates):
    if updates:
        conn.execute(events.update().where(events.c.id == sa.bindparam('event_id'))
                     .values(deadline=sa.bindparam('value')), updates)
