"""Partial index on town-wide routing rules, so routing a point reads only the rules that can apply

Revision ID: 0103
Revises: 0102
Create Date: 2026-11-25 04:25:00
"""
from alembic import op

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_routing_rules_townwide", "routing_rules", ["jurisdiction_id", "category_id"], unique=False,
                    postgresql_where="area_id IS NULL")


def downgrade() -> None:
    op.drop_index("ix_routing_rules_townwide", table_name="routing_rules", postgresql_where="area_id IS NULL")
