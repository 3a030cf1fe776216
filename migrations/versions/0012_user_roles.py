"""auth: a user's role and an agency's kind are one of their enum's values (CHECK constraints)

Revision ID: 0012_user_roles
Revises: 0011_directive_states
Create Date: 2026-11-30 02:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_user_roles'
down_revision = '0011_directive_states'
branch_labels = None
depends_on = None

# the values of auth.models.Role and AgencyKind when this was written (a migration keeps its own copy)
ROLES = ('admin', 'leader', 'officer')
AGENCY_KINDS = ('provincial_office', 'department', 'district', 'commune', 'other')


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_users_role'), _one_of('role', ROLES))
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_agencies_kind'), _one_of('kind', AGENCY_KINDS))


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agencies_kind'), type_='check')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
