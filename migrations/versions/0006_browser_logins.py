"""auth: browser logins, so that logging out ends a session cookie for good

Revision ID: 0006_browser_logins
Revises: 0005_meeting_outcomes
Create Date: 2026-11-26 15:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_browser_logins'
down_revision = '0005_meeting_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('browser_logins',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_browser_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_browser_logins'))
    )
    with op.batch_alter_table('browser_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_logins_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_browser_logins_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('browser_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_logins_user_id'))
        batch_op.drop_index(batch_op.f('ix_browser_logins_created_at'))

    op.drop_table('browser_logins')
