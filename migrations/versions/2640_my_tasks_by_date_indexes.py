"""Meine Aufgaben: the person's and each team's assignments in date order, through an index each

The page's 50 were chosen by reading every assignment of the person and their teams and
sorting them (a scan of 4,500 rows for 50 at the benchmark, and growing with every closed
report, which keeps its assignment). With these two indexes each assignee's rows are read in
date order and the read stops after a page (app/staff/assignments.py ``my_page``).

Revision ID: 2640
Revises: 2630
Create Date: 2026-12-06 14:40:00
"""
from alembic import op

revision = "2640"
down_revision = "2630"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_report_assignments_person_by_date ON report_assignments "
               "(staff_user_id, report_created_at, report_id) WHERE staff_user_id IS NOT NULL")
    op.execute("CREATE INDEX ix_report_assignments_team_by_date ON report_assignments "
               "(team_id, report_created_at, report_id) WHERE team_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_report_assignments_team_by_date")
    op.execute("DROP INDEX IF EXISTS ix_report_assignments_person_by_date")
