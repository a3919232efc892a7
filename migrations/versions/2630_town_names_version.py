"""Towns: a names version that moves whenever a category, department, Ortsteil, staff account or team changes

The staff queue lists the town's categories, departments and Ortsteile (filters, row labels)
and the people and teams a report can be given to (bulk action). Read per request they were
five statements, about a fifth of the queue's processor time at a million reports (bench_staff,
"Meine Aufgaben" and unassigned, p95 target 50 ms). They change a few times a year; the page
now keeps them per process and town, keyed by ``jurisdictions.names_version``, which a request
reads anyway with its town row.

The version comes from a sequence, not ``+ 1``: a change rolled back never hands its number to
a later change, so a process that read the rolled-back names (the same transaction did) can
never take them for the later ones. New towns draw a number too, and TRUNCATE of a listed table
moves every town's version (row triggers do not fire on TRUNCATE). Only the listed columns
count: a staff account's sign-in time is no change of its name.

Revision ID: 2630
Revises: 2610
Create Date: 2026-12-06 13:45:00
"""
from alembic import op

revision = "2630"
down_revision = "2610"
branch_labels = None
depends_on = None

# Table -> the columns the staff pages list (a change of any other column does not count).
_LISTED = {
    "categories": ("jurisdiction_id", "code", "name", "name_en", "active"),
    "departments": ("jurisdiction_id", "code", "name", "retired_at"),
    "areas": ("jurisdiction_id", "name", "kind"),
    "staff_users": ("jurisdiction_id", "username", "display_name", "department_id", "active"),
    "staff_teams": ("jurisdiction_id", "name", "department_id"),
}


def upgrade() -> None:
    op.execute("CREATE SEQUENCE jurisdiction_names_version")
    op.execute("ALTER TABLE jurisdictions ADD COLUMN names_version bigint NOT NULL "
               "DEFAULT nextval('jurisdiction_names_version')")
    op.execute("""
        CREATE FUNCTION jurisdiction_names_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- A row of a town being deleted (cascade) finds no town row left: nothing to move.
            UPDATE jurisdictions SET names_version = nextval('jurisdiction_names_version')
            WHERE id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.jurisdiction_id END,
                         CASE WHEN TG_OP <> 'DELETE' THEN NEW.jurisdiction_id END);
            RETURN NULL;
        END $$;

        CREATE FUNCTION jurisdiction_names_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE jurisdictions SET names_version = nextval('jurisdiction_names_version');
            RETURN NULL;
        END $$;
    """)
    for table, columns in _LISTED.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        op.execute(f"""
            CREATE TRIGGER {table}_names_version AFTER INSERT OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION jurisdiction_names_changed();
            CREATE TRIGGER {table}_names_version_update AFTER UPDATE ON {table}
                FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION jurisdiction_names_changed();
            CREATE TRIGGER {table}_names_version_truncate AFTER TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION jurisdiction_names_truncated();
        """)


def downgrade() -> None:
    for table in _LISTED:
        op.execute(f"""
            DROP TRIGGER IF EXISTS {table}_names_version ON {table};
            DROP TRIGGER IF EXISTS {table}_names_version_update ON {table};
            DROP TRIGGER IF EXISTS {table}_names_version_truncate ON {table};
        """)
    op.execute("DROP FUNCTION IF EXISTS jurisdiction_names_truncated()")
    op.execute("DROP FUNCTION IF EXISTS jurisdiction_names_changed()")
    op.execute("ALTER TABLE jurisdictions DROP COLUMN names_version")
    op.execute("DROP SEQUENCE jurisdiction_names_version")
