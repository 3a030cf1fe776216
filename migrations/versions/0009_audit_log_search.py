"""audit: indexes for the admins' audit-log search (who, what, which object; newest first)

Revision ID: 0009_audit_log_search
Revises: 0008_login_expiry
Create Date: 2026-11-27 11:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_audit_log_search'
down_revision = '0008_login_expiry'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        # (actor_id, created_at) serves the foreign key too: the single-column index goes
        batch_op.drop_index('ix_audit_log_actor_id')
        batch_op.create_index('ix_audit_log_actor_id_created_at', ['actor_id', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_action_created_at', ['action', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_object_type_object_id', ['object_type', 'object_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object_type_object_id')
        batch_op.drop_index('ix_audit_log_action_created_at')
        batch_op.drop_index('ix_audit_log_actor_id_created_at')
        batch_op.create_index('ix_audit_log_actor_id', ['actor_id'], unique=False)
