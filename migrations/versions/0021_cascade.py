"""directives: the cascade. An assignment can be passed on (parent_id) to agencies under its agency or to
a named officer of it (assignee_id); an officer's result can wait for the agency leader's approval
(approved_at, agencies.approval_required). Existing assignments keep parent_id null: they are roots.

Revision ID: 0021_cascade
Revises: 0020_search
Create Date: 2026-11-30 09:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_cascade'
down_revision = '0020_search'
branch_labels = None
depends_on = None

ASSIGNMENT_STATUSES = ('pending', 'acknowledged', 'in_progress', 'submitted', 'completed', 'cancelled')
OLD_ACTIONS = ('issue', 'seen', 'acknowledge', 'report', 'submit', 'accept', 'return', 'extension_request',
               'extension_approve', 'extension_reject', 'deadline_follow', 'cancel', 'correct', 'add', 'remove')
NEW_ACTIONS = OLD_ACTIONS[:12] + ('pass_on', 'approve') + OLD_ACTIONS[12:]


def _actions_check(batch_op, values):
    batch_op.drop_constraint(op.f('ck_directive_assignment_events_action'), type_='check')
    batch_op.create_check_constraint(op.f('ck_directive_assignment_events_action'),
                                     f"action IN ({', '.join(repr(v) for v in values)})")


def upgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_required', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('directive_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_directive_assignments_parent_id_directive_assignments'),
                                    'directive_assignments', ['parent_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(op.f('fk_directive_assignments_assignee_id_users'), 'users', ['assignee_id'],
                                    ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(op.f('fk_directive_assignments_assigned_by_id_users'), 'users',
                                    ['assigned_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(op.f('fk_directive_assignments_approved_by_id_users'), 'users',
                                    ['approved_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_directive_assignments_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directive_assignments_assignee_id'), ['assignee_id'], unique=False)
        batch_op.drop_constraint('uq_assignments_directive_agency', type_='unique')
    # results submitted before the cascade were never held for an agency leader: they have gone up
    op.execute("UPDATE directive_assignments SET approved_at = submitted_at WHERE submitted_at IS NOT NULL")
    # partial unique indexes: an agency holds a directive once, and so does each officer given a share
    op.create_index('uq_assignments_directive_agency', 'directive_assignments', ['directive_id', 'agency_id'],
                    unique=True, sqlite_where=sa.text('assignee_id IS NULL'),
                    postgresql_where=sa.text('assignee_id IS NULL'))
    op.create_index('uq_assignments_directive_assignee', 'directive_assignments', ['directive_id', 'assignee_id'],
                    unique=True, sqlite_where=sa.text('assignee_id IS NOT NULL'),
                    postgresql_where=sa.text('assignee_id IS NOT NULL'))
    with op.batch_alter_table('directive_assignment_events', schema=None) as batch_op:
        _actions_check(batch_op, NEW_ACTIONS)


def _drop_what_was_passed_on():
    """The old schema has no place for the assignments passed on, nor for the pass_on and approve history.
    Migrations run on SQLite with foreign keys off (migrations/env.py), so what hangs on those assignments
    goes explicitly: their history, reports (their files' rows and search entries), extension requests and
    reminders."""
    children = "SELECT id FROM directive_assignments WHERE parent_id IS NOT NULL"
    reports = f"SELECT id FROM directive_progress_reports WHERE assignment_id IN ({children})"
    op.execute(f"DELETE FROM search_entries WHERE part = 'report' AND object_id IN ({reports})")
    op.execute(f"DELETE FROM directive_attachments WHERE report_id IN ({reports})")
    for table in ('directive_progress_reports', 'directive_extension_requests', 'directive_assignment_events',
                  'directive_reminders_sent'):
        op.execute(f"DELETE FROM {table} WHERE assignment_id IN ({children})")
    op.execute("DELETE FROM directive_assignments WHERE parent_id IS NOT NULL")
    op.execute("DELETE FROM directive_assignment_events WHERE action IN ('pass_on', 'approve')")


def downgrade():
    _drop_what_was_passed_on()
    with op.batch_alter_table('directive_assignment_events', schema=None) as batch_op:
        _actions_check(batch_op, OLD_ACTIONS)
    op.drop_index('uq_assignments_directive_assignee', table_name='directive_assignments')
    op.drop_index('uq_assignments_directive_agency', table_name='directive_assignments')
    with op.batch_alter_table('directive_assignments', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_assignments_directive_agency', ['directive_id', 'agency_id'])
        batch_op.drop_index(batch_op.f('ix_directive_assignments_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_directive_assignments_parent_id'))
        batch_op.drop_constraint(op.f('fk_directive_assignments_approved_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_directive_assignments_assigned_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_directive_assignments_assignee_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_directive_assignments_parent_id_directive_assignments'), type_='foreignkey')
        for column in ('approved_by_id', 'approved_at', 'note', 'assigned_by_id', 'assignee_id', 'parent_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('approval_required')
