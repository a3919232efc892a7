"""Scheduler: each periodic task's slot is claimed in PostgreSQL, not only in Redis

Revision ID: 2200
Revises: 1700
Create Date: 2026-12-06 04:10:00

Two schedulers running at once (a deploy overlap, a second node) enqueued a slot once
thanks to a Redis ``SET NX`` key; when Redis restarted without its keys, the same slot
could be enqueued again. ``scheduled_runs`` holds one row per (task, slot), inserted in
the transaction that commits only after the job was enqueued. Rows older than a week
are removed by the scheduler.
"""
import sqlalchemy as sa
from alembic import op

revision = "2200"
down_revision = "1700"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("task", sa.String(50), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task", "slot", name=op.f("pk_scheduled_runs")),
    )
    op.create_index(op.f("ix_scheduled_runs_enqueued_at"), "scheduled_runs", ["enqueued_at"])


def downgrade() -> None:
    op.drop_table("scheduled_runs")
