"""Re-routing audit: one row per applied re-routing run and one per report it moved

Revision ID: 0102
Revises: 0101
Create Date: 2026-11-25 04:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rerouting_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_date", sa.Date(), nullable=False),
        sa.Column("statuses", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("considered", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("relabelled", sa.Integer(), nullable=False),
        sa.Column("outside", sa.Integer(), nullable=False),
        sa.Column("no_rule", sa.Integer(), nullable=False),
        sa.Column("flows", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_rerouting_runs_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rerouting_runs")),
    )
    op.create_index(op.f("ix_rerouting_runs_jurisdiction_id"), "rerouting_runs", ["jurisdiction_id"])
    op.create_table(
        "rerouting_moves",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("from_department_id", sa.Integer(), nullable=False),
        sa.Column("to_department_id", sa.Integer(), nullable=False),
        sa.Column("from_rule_id", sa.Integer(), nullable=True),
        sa.Column("to_rule_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["rerouting_runs.id"], name=op.f("fk_rerouting_moves_run_id_rerouting_runs"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_rerouting_moves_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rerouting_moves")),
    )
    op.create_index(op.f("ix_rerouting_moves_run_id"), "rerouting_moves", ["run_id"])
    op.create_index(op.f("ix_rerouting_moves_report_id"), "rerouting_moves", ["report_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rerouting_moves_report_id"), table_name="rerouting_moves")
    op.drop_index(op.f("ix_rerouting_moves_run_id"), table_name="rerouting_moves")
    op.drop_table("rerouting_moves")
    op.drop_index(op.f("ix_rerouting_runs_jurisdiction_id"), table_name="rerouting_runs")
    op.drop_table("rerouting_runs")
