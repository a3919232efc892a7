"""Staff queue text search: trigram GIN indexes on reports.description and reports.address

Revision ID: 0800
Revises: 0501
Create Date: 2026-11-25 13:00:00

The queue's text filter is ``description ILIKE '%x%' OR address ILIKE '%x%' OR
reference = 'X'``. A B-tree cannot serve a pattern with a leading ``%``; a pg_trgm
GIN index can (for patterns of three or more characters), so the planner combines
the two trigram indexes and the reference's unique index in a BitmapOr instead of
reading every report. pg_trgm itself is created by revision 0001.

The indexes are built CONCURRENTLY, in an autocommit block: a plain CREATE INDEX
holds a SHARE lock on ``reports`` for the whole build (about a minute per index at
a million reports), which would stop citizens' submissions and every status change
for that long. CONCURRENTLY cannot run inside a transaction, hence the autocommit
block; it commits whatever earlier revisions of the same ``upgrade`` run did, which
is harmless because each of them is complete by then. If a concurrent build is
interrupted it leaves an INVALID index behind; ``upgrade`` drops such a leftover
before building again, so rerunning the migration repairs it.
"""
from alembic import op
from sqlalchemy import text

revision = "0800"
down_revision = "0501"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_reports_description_trgm": "description",
    "ix_reports_address_trgm": "address",
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        for name, column in INDEXES.items():
            invalid = bind.execute(text(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = :name AND NOT i.indisvalid"), {"name": name}).first()
            if invalid:
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                       f"ON reports USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
