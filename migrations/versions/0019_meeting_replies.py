"""meetings: invitation replies (attend, decline with a reason, a substitute in one's place), the agency's
meeting contacts (users.meeting_contact), and the agenda item under discussion (opened_at, closed_at)

Revision ID: 0019_meeting_replies
Revises: 0018_reminders_series_calendar
Create Date: 2026-11-30 06:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_meeting_replies'
down_revision = '0018_reminders_series_calendar'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('response_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('responded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('substitute_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('substitute_for_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_meeting_participants_substitute_id_users'), 'users',
                                    ['substitute_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_meeting_participants_substitute_for_id_users'), 'users',
                                    ['substitute_for_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(op.f('ck_meeting_participants_response'),
                                         "response IN ('attend', 'decline', 'substitute')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_contact', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('opened_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('meeting_contact')
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_meeting_participants_response'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_meeting_participants_substitute_for_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meeting_participants_substitute_id_users'), type_='foreignkey')
        batch_op.drop_column('substitute_for_id')
        batch_op.drop_column('substitute_id')
        batch_op.drop_column('responded_at')
        batch_op.drop_column('response_reason')
        batch_op.drop_column('response')
