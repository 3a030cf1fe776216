"""auth: browser logins expire, so "keep me signed in" is tied to a login that can end

Revision ID: 0008_login_expiry
Revises: 0007_directive_client_ids
Create Date: 2026-11-27 09:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_login_expiry'
down_revision = '0007_directive_client_ids'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions and remember cookies made before this version carry the user id, not the login,
    # and are refused from now on: their rows serve nothing (everyone signs in once more).
    op.execute(sa.text('DELETE FROM browser_logins'))
    with op.batch_alter_table('browser_logins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=False))
        batch_op.create_index(batch_op.f('ix_browser_logins_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('browser_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_logins_expires_at'))
        batch_op.drop_column('expires_at')
