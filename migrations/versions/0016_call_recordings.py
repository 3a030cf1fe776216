"""meetings: recording the call through Janus: whose each feed was (meeting_call_feeds) and the converted
tracks (meeting_call_recordings); each call member's feed id and whether it presents its screen

Revision ID: 0016_call_recordings
Revises: 0015_connection_points
Create Date: 2026-11-30 05:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_call_recordings'
down_revision = '0015_connection_points'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_call_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_call_feeds_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_call_feeds_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_call_feeds'))
    )
    with op.batch_alter_table('meeting_call_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_call_feeds_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_call_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('stored_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('audio', 'video')", name=op.f('ck_meeting_call_recordings_kind')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_meeting_call_recordings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_call_recordings_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_call_recordings')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_meeting_call_recordings_stored_name'))
    )
    with op.batch_alter_table('meeting_call_recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_call_recordings_meeting_id'), ['meeting_id'], unique=False)
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('screen', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.drop_column('screen')
        batch_op.drop_column('feed_id')
    with op.batch_alter_table('meeting_call_recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_call_recordings_meeting_id'))
    op.drop_table('meeting_call_recordings')
    with op.batch_alter_table('meeting_call_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_call_feeds_meeting_id'))
    op.drop_table('meeting_call_feeds')
