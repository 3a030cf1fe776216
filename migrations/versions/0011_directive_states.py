"""directives: every state column is one of its enum's values (CHECK constraints)

Revision ID: 0011_directive_states
Revises: 0010_meeting_states
Create Date: 2026-11-30 02:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_directive_states'
down_revision = '0010_meeting_states'
branch_labels = None
depends_on = None

ASSIGNMENT_STATUSES = ('pending', 'acknowledged', 'in_progress', 'submitted', 'completed', 'cancelled')
# the values of the StrEnums in directives/models.py, frozen here as of this revision
STATES = {
    'directives': {
        'priority': ('normal', 'high', 'urgent'),
        'status': ('issued', 'cancelled', 'closed'),
    },
    'directive_assignments': {
        'role': ('lead', 'support'),
        'status': ASSIGNMENT_STATUSES,
    },
    'directive_extension_requests': {
        'status': ('pending', 'approved', 'rejected'),
    },
    'directive_assignment_events': {
        'action': ('issue', 'seen', 'acknowledge', 'report', 'submit', 'accept', 'return', 'extension_request',
                   'extension_approve', 'extension_reject', 'deadline_follow', 'cancel', 'correct', 'add', 'remove'),
        'from_status': ASSIGNMENT_STATUSES,
        'to_status': ASSIGNMENT_STATUSES,
    },
    'directive_reminders_sent': {
        'kind': ('due_soon', 'overdue', 'unacknowledged', 'digest'),
    },
}


def upgrade():
    for table, columns in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(
                    op.f(f'ck_{table}_{column}'), f"{column} IN ({', '.join(repr(v) for v in values)})")


def downgrade():
    for table, columns in reversed(STATES.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
