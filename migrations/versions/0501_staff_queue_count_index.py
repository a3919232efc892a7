"""Staff queue: index for counting a department's reports per status without visiting the table

Revision ID: 0501
Revises: 0500
Create Date: 2026-11-25 12:00:00
"""
from alembic import op

revision = "0501"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # jurisdiction_id is part of every staff query's scope; with it in the index the
    # bounded per-status counts of a department are index-only scans.
    op.create_index("ix_reports_department_status_scope", "reports",
                    ["department_id", "status", "jurisdiction_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_department_status_scope", table_name="reports")
