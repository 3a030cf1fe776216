"""meetings: the calendar-invite sequence on the meeting; CHECK constraints on every state column

Revision ID: 0010_meeting_states
Revises: 0009_audit_log_search
Create Date: 2026-11-30 02:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_meeting_states'
down_revision = '0009_audit_log_search'
branch_labels = None
depends_on = None

# the values of the StrEnums in meetings/models.py, frozen here as of this revision
STATES = {
    ('meetings', 'status'): ('scheduled', 'live', 'ended', 'cancelled'),
    ('meeting_participants', 'role'): ('chair', 'secretary', 'member', 'guest'),
    ('meeting_minutes', 'status'): ('draft', 'final'),
    ('meeting_votes', 'status'): ('open', 'closed'),
    ('meeting_speaker_requests', 'status'): ('waiting', 'speaking', 'done', 'withdrawn', 'removed'),
}


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_sequence', sa.Integer(), server_default='0', nullable=False))
    # calendars already hold SEQUENCE = the number of changes and cancellations sent (counted in the
    # audit trail until now): start from there so the next update still replaces their copy
    op.execute(
        "UPDATE meetings SET ics_sequence = (SELECT count(*) FROM audit_log"
        " WHERE audit_log.object_type = 'meeting' AND audit_log.object_id = meetings.id"
        " AND audit_log.action IN ('meeting.update', 'meeting.cancel'))"
    )
    for (table, column), values in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(
                op.f(f'ck_{table}_{column}'), f"{column} IN ({', '.join(repr(v) for v in values)})")


def downgrade():
    for (table, column) in reversed(STATES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('ics_sequence')
