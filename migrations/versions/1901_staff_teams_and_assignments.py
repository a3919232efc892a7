"""Staff teams and report assignments inside a department (issue 19 point 3)

``staff_teams`` are crews or groups of a department ("Kolonne Nord") with their members in
``staff_team_members``; ``report_assignments`` gives a report to one person or one team of
the responsible department ("Meine Aufgaben", the unassigned filter). Its own table, so an
assignment touches neither the report triggers (map cells, status counts) nor the reports
row; forwarding a report ends its assignment.

Revision ID: 1901
Revises: 1900
Create Date: 2026-12-06 05:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1901"
down_revision = "1900"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("jurisdiction_id", sa.Integer(), sa.ForeignKey("jurisdictions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.UniqueConstraint("department_id", "name", name=op.f("uq_staff_teams_department_id_name")),
    )
    op.create_index("ix_staff_teams_jurisdiction_id", "staff_teams", ["jurisdiction_id"])
    op.create_table(
        "staff_team_members",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("staff_teams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_staff_team_members_staff_user_id", "staff_team_members", ["staff_user_id"])
    op.create_table(
        "report_assignments",
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("staff_teams.id", ondelete="CASCADE"), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("(staff_user_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_report_assignments_one_assignee")),
    )
    op.create_index("ix_report_assignments_staff_user_id", "report_assignments", ["staff_user_id"])
    op.create_index("ix_report_assignments_team_id", "report_assignments", ["team_id"])


def downgrade() -> None:
    op.drop_table("report_assignments")
    op.drop_table("staff_team_members")
    op.drop_table("staff_teams")
