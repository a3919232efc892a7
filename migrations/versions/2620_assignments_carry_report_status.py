"""Staff queue: an assignment carries its report's status, department and date, kept by triggers

"Meine Aufgaben" and "Niemandem zugewiesen" counted per status by visiting every assigned
report (4,500 index lookups for a clerk with 1,500 own and 3,000 team reports at a million
reports: about 40 % of the page's database time, and growing with every closed report that
keeps its assignment), and "Meine Aufgaben" fetched all of them to sort by date for a page of
50. With the report's town, department, status and creation time on the assignment row, the
counts read the assignments alone, and the page's 50 are chosen there and then fetched.

The copies are exact: a BEFORE INSERT trigger fills them from the report, and a row trigger
on reports updates them in the same statement when a report's status, department or
creation time changes (a report's town never changes). Reports without an assignment pay
one index probe per such update.

Revision ID: 2620
Revises: 2600
Create Date: 2026-12-06 12:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "2620"
down_revision = "2600"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_assignments", sa.Column("jurisdiction_id", sa.Integer(), nullable=True))
    op.add_column("report_assignments", sa.Column("department_id", sa.Integer(), nullable=True))
    op.add_column("report_assignments", sa.Column("report_status", sa.String(length=32), nullable=True))
    op.add_column("report_assignments", sa.Column("report_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE report_assignments a
        SET jurisdiction_id = r.jurisdiction_id, department_id = r.department_id, report_status = r.status,
            report_created_at = r.created_at
        FROM reports r WHERE r.id = a.report_id
    """)
    for column in ("jurisdiction_id", "department_id", "report_status", "report_created_at"):
        op.alter_column("report_assignments", column, nullable=False)
    op.execute("""
    CREATE FUNCTION report_assignments_copy_report() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT r.jurisdiction_id, r.department_id, r.status, r.created_at
        INTO NEW.jurisdiction_id, NEW.department_id, NEW.report_status, NEW.report_created_at
        FROM reports r WHERE r.id = NEW.report_id;
        RETURN NEW;
    END $$;

    CREATE FUNCTION reports_assignment_follows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE report_assignments
        SET department_id = NEW.department_id, report_status = NEW.status, report_created_at = NEW.created_at
        WHERE report_id = NEW.id;
        RETURN NULL;
    END $$;

    CREATE TRIGGER report_assignments_copy_report BEFORE INSERT OR UPDATE OF report_id ON report_assignments
        FOR EACH ROW EXECUTE FUNCTION report_assignments_copy_report();
    CREATE TRIGGER reports_assignment_follows AFTER UPDATE OF status, department_id, created_at ON reports
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.department_id IS DISTINCT FROM NEW.department_id
                           OR OLD.created_at IS DISTINCT FROM NEW.created_at)
        EXECUTE FUNCTION reports_assignment_follows();
    """)
    # "Meine Aufgaben" starts from the person's and the teams' rows (ix_..._staff_user_id and
    # ix_..._team_id exist); the unassigned counts read a town's or a department's rows by status.
    op.create_index("ix_report_assignments_scope_status", "report_assignments",
                    ["jurisdiction_id", "department_id", "report_status"])


def downgrade() -> None:
    op.drop_index("ix_report_assignments_scope_status", table_name="report_assignments")
    op.execute("""
    DROP TRIGGER IF EXISTS reports_assignment_follows ON reports;
    DROP TRIGGER IF EXISTS report_assignments_copy_report ON report_assignments;
    DROP FUNCTION IF EXISTS reports_assignment_follows();
    DROP FUNCTION IF EXISTS report_assignments_copy_report();
    """)
    for column in ("report_created_at", "report_status", "department_id", "jurisdiction_id"):
        op.drop_column("report_assignments", column)
