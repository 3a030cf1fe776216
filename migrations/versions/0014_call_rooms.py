"""meetings: the call through a Janus SFU: a meeting's room (meeting_call_rooms) and each member's token,
published mids and the chair's held mutes (meeting_call_members)

Revision ID: 0014_call_rooms
Revises: 0013_call_members
Create Date: 2026-11-30 05:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_call_rooms'
down_revision = '0013_call_members'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_call_rooms',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('server', sa.String(length=500), nullable=False),
    sa.Column('room', sa.BigInteger(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('recording', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_call_rooms_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_call_rooms'))
    )
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sfu_token', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('audio_mid', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('video_mid', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('audio_held', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('video_held', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.drop_column('video_held')
        batch_op.drop_column('audio_held')
        batch_op.drop_column('video_mid')
        batch_op.drop_column('audio_mid')
        batch_op.drop_column('sfu_token')
    op.drop_table('meeting_call_rooms')
