"""search: the index (search_entries) and, per engine, what searches it: on SQLite the FTS5 table
search_fts (external content, kept by triggers); on PostgreSQL a GIN index on the tsvector column tsv.

The index starts empty here; `flask --app wsgi init-db` (and the server's start) fill it when it is empty
and there is something to index, and `flask --app wsgi search-rebuild` refills it at any time.
These statements are the ones of search/models.py (SQLITE_DDL, POSTGRESQL_DDL), written out so that the
migration imports no app code.

Revision ID: 0020_search
Revises: 0019_meeting_replies
Create Date: 2026-11-30 06:04:12

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(folded, content='search_entries',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ai AFTER INSERT ON search_entries BEGIN"
    " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ad AFTER DELETE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_au AFTER UPDATE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded);"
    " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
)
POSTGRESQL_DDL = ("CREATE INDEX IF NOT EXISTS ix_search_entries_tsv ON search_entries USING gin (tsv)",)

# revision identifiers, used by Alembic.
revision = '0020_search'
down_revision = '0019_meeting_replies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('part', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('directive_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=600), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.CheckConstraint("part IN ('directive', 'report', 'meeting', 'agenda', 'minutes', 'conclusion', 'message', 'document')", name=op.f('ck_search_entries_part')),
    sa.CheckConstraint("type IN ('directive', 'meeting', 'minutes', 'message', 'document')", name=op.f('ck_search_entries_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('part', 'object_id', name='uq_search_entries_part_object')
    )
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_entries_directive_id'), ['directive_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_entries_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_entries_ref'), ['ref'], unique=False)
        batch_op.create_index('ix_search_entries_type_happened', ['type', 'happened_at'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_entries_tsv")
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entries_type_happened')
        batch_op.drop_index(batch_op.f('ix_search_entries_ref'))
        batch_op.drop_index(batch_op.f('ix_search_entries_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_search_entries_directive_id'))

    op.drop_table('search_entries')
