"""Categories: English help text and group name, so English pages say nothing in German

Revision ID: 1700
Revises: 1200
Create Date: 2026-12-06 04:20:00

``categories.name_en`` already gave the English name; the help text (``description``) and the
group (``group``) shown on the intake page's tiles stayed German on English pages. Both new
columns are optional: where a town leaves one empty, the German text is shown, as before.

Downgrade: the English texts are dropped.
"""
import sqlalchemy as sa
from alembic import op

revision = "1700"
down_revision = "1200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("categories", sa.Column("description_en", sa.Text(), nullable=True))
    op.add_column("categories", sa.Column("group_en", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("categories", "group_en")
    op.drop_column("categories", "description_en")
