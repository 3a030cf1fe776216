"""meetings: who is in a live meeting's call, one row per socket (meeting_call_members)

Revision ID: 0013_call_members
Revises: 0012_user_roles
Create Date: 2026-11-30 03:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_call_members'
down_revision = '0012_user_roles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_call_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('audio', sa.Boolean(), nullable=False),
    sa.Column('video', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_call_members_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_call_members_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_call_members')),
    sa.UniqueConstraint('sid', name=op.f('uq_meeting_call_members_sid'))
    )
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_call_members_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_call_members_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('meeting_call_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_call_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_call_members_meeting_id'))
    op.drop_table('meeting_call_members')
