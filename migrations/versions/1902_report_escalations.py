"""Report escalations: overdue reports passed to the dispatchers once (issue 19 point 7)

A report still open when its category's target days plus the town's grace period
(``ESCALATION_GRACE_DAYS``) have passed is escalated by the hourly job: the dispatchers get a
mail and the queue can show just these. One row per report keeps it to once.

Revision ID: 1902
Revises: 1901
Create Date: 2026-12-06 05:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1902"
down_revision = "1901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_escalations",
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_escalations")
