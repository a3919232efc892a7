"""Index for "recently fixed": reports by town, status and the time of their last status change

The public map and list show fixed reports by when they were fixed (status=erledigt with
changed_within_days on the map API). Without this index PostgreSQL finds them through the
location index and filters every fixed report in view: on the 1,000,000-report bench data a
city-wide cluster view took ~0.5 s. With it, the recent ones are read directly.

Revision ID: 1001
Revises: 1000
Create Date: 2026-11-25 12:30:00
"""
from alembic import op

revision = "1001"
down_revision = "1000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reports_jurisdiction_status_changed", "reports",
                    ["jurisdiction_id", "status", "status_changed_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_jurisdiction_status_changed", table_name="reports")
