"""Category notice and stop notice: what the report form says when a category is chosen

Revision ID: 2300
Revises: 2200
Create Date: 2026-12-06 04:30:00

``categories.notice``: a hint shown with the category ("Bitte die Mastnummer angeben").
``categories.stop_notice``: a text that ends the form for this category instead of asking on
("Gasgeruch? Rufen Sie sofort 112 an."); the form and the intake API refuse a report in it.
Both empty by default, so nothing changes for existing categories. Downgrade drops them.
"""
import sqlalchemy as sa
from alembic import op

revision = "2300"
down_revision = "2200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("categories", sa.Column("notice", sa.Text(), nullable=False, server_default=""))
    op.add_column("categories", sa.Column("stop_notice", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("categories", "stop_notice")
    op.drop_column("categories", "notice")
