"""meetings: access_version, which grows with every change to who may join a meeting (its invitations,
chair, secretary, status), so a socket may keep its invitation check while the number stays the same.

Revision ID: 0023_meeting_access_version
Revises: 0022_event_deadline
Create Date: 2026-11-30 19:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0023_meeting_access_version'
down_revision = '0022_event_deadline'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('access_version')
