"""meetings: the papers of a meeting and its agenda items (meeting_documents, with versions and the PDF copy
of office files), the readers of restricted ones (meeting_document_readers), and the document being presented
in the live room with its page (meeting_presentations)

Revision ID: 0017_meeting_documents
Revises: 0016_call_recordings
Create Date: 2026-11-30 05:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_meeting_documents'
down_revision = '0016_call_recordings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('pdf_name', sa.String(length=64), nullable=True),
    sa.Column('restricted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('pdf', 'docx', 'xlsx', 'pptx', 'png', 'jpeg')", name=op.f('ck_meeting_documents_kind')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['meeting_agenda_items.id'], name=op.f('fk_meeting_documents_agenda_item_id_meeting_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_documents_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_meeting_documents_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_meeting_documents_stored_name'))
    )
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_documents_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_meeting_documents_series', ['meeting_id', 'agenda_item_id', 'name'], unique=False)

    op.create_table('meeting_document_readers',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['meeting_documents.id'], name=op.f('fk_meeting_document_readers_document_id_meeting_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_document_readers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'user_id', name=op.f('pk_meeting_document_readers'))
    )
    with op.batch_alter_table('meeting_document_readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_document_readers_user_id'), ['user_id'], unique=False)

    op.create_table('meeting_presentations',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('presenter_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['meeting_documents.id'], name=op.f('fk_meeting_presentations_document_id_meeting_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_presentations_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presenter_id'], ['users.id'], name=op.f('fk_meeting_presentations_presenter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_presentations'))
    )


def downgrade():
    op.drop_table('meeting_presentations')
    with op.batch_alter_table('meeting_document_readers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_document_readers_user_id'))

    op.drop_table('meeting_document_readers')
    with op.batch_alter_table('meeting_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_documents_series')
        batch_op.drop_index(batch_op.f('ix_meeting_documents_meeting_id'))

    op.drop_table('meeting_documents')
