"""meetings: connection points (điểm cầu: an agency's hall, its operator and the people present there),
the link of an external bridge on a meeting, and when each participant first joined the call

Revision ID: 0015_connection_points
Revises: 0014_call_rooms
Create Date: 2026-11-30 05:00:49

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_connection_points'
down_revision = '0014_call_rooms'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_connection_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('people_present', sa.Integer(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('people_present BETWEEN 1 AND 10000', name=op.f('ck_meeting_connection_points_people_present')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_meeting_connection_points_agency_id_agencies'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_meeting_connection_points_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['users.id'], name=op.f('fk_meeting_connection_points_operator_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_meeting_connection_points_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_connection_points')),
    sa.UniqueConstraint('meeting_id', 'agency_id', name='uq_connection_points_meeting_agency'),
    sa.UniqueConstraint('meeting_id', 'operator_id', name='uq_connection_points_meeting_operator')
    )
    with op.batch_alter_table('meeting_connection_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_connection_points_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_connection_points_operator_id'), ['operator_id'], unique=False)
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_call_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bridge_url', sa.String(length=500), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('bridge_url')
    with op.batch_alter_table('meeting_participants', schema=None) as batch_op:
        batch_op.drop_column('joined_call_at')
    with op.batch_alter_table('meeting_connection_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_connection_points_operator_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_connection_points_agency_id'))
    op.drop_table('meeting_connection_points')
