"""Merge the feature branches into one head

Each feature package (geo, queue, Open311, staff, public, catalog) grew its own chain of
revisions from the first schema. They never touch the same tables' columns, and `flask
db-upgrade` applies all heads, but seven heads make `alembic upgrade head` fail, and every
next revision would have to pick a branch. From here on there is one line of history.

No schema change.

Revision ID: 1000
Revises: 0106, 0400, 0601, 0700, 0810, 0900 (and 0200 through 0900)
Create Date: 2026-11-25 10:40:00
"""

revision = "1000"
down_revision = ("0106", "0400", "0601", "0700", "0810", "0900")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
