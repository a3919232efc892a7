"""Staff queue: reports per town, department, category and status, kept exact by statement triggers

The queue shows, above the list, how many reports each status holds under the
current filters. Counted from ``reports`` that is one bounded index scan per status
(up to 10,001 index entries each, revision 0501): at a million reports about 8 ms of
database time and a few hundred index pages on every queue view, the largest part of
the page's cost. Staff look at the queue far more often than reports change, so the
counts are now kept as they change: ``report_status_counts`` holds one row per
(town, department, category, status), and the queue sums a handful of rows for the
default view and for the department and category filters (the other filters still
count from ``reports``).

Statement-level triggers with transition tables keep the rows exact for single
reports and bulk updates alike, in the transaction that changes the reports (a
rolled-back change leaves no trace, an uncommitted one is seen only by its own
transaction). Deltas are applied in key order, so two transactions take the row
locks in the same order. ``report_status_counts_rebuild(town)`` recounts after a
bulk load with the triggers disabled. Rows that drop to 0 stay (as in map_cells).

An UPDATE trigger cannot name columns when it has transition tables, so it runs for
every UPDATE statement on reports; it only writes counts that changed (a row's town,
department, category or status), and costs one aggregation over the updated rows.

Revision ID: 0810
Revises: 0800
Create Date: 2026-11-25 14:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0810"
down_revision = "0800"
branch_labels = None
depends_on = None

_KEY = "jurisdiction_id, department_id, category_id, status"

_UPSERT = f"""
    INSERT INTO report_status_counts AS c ({_KEY}, n)
    SELECT {{select}}
    ON CONFLICT ({_KEY}) DO UPDATE SET n = c.n + excluded.n
"""


def _add(source: str, sign: str) -> str:
    return _UPSERT.format(select=f"{_KEY}, {sign}count(*) FROM {source} GROUP BY {_KEY} ORDER BY {_KEY}")


# Net change per count: every updated row leaves its old count and joins its new one, so
# rows that did not move cancel out. No join of old_rows and new_rows: transition tables
# have no statistics, and the planner's nested loop over them made a 5,000-row update
# take seconds.
_MOVE = _UPSERT.format(select=f"""{_KEY}, sum(sign)
    FROM (SELECT {_KEY}, -1 AS sign FROM old_rows UNION ALL SELECT {_KEY}, 1 FROM new_rows) AS d
    GROUP BY {_KEY}
    HAVING sum(sign) <> 0
    ORDER BY {_KEY}""")


def upgrade() -> None:
    op.create_table(
        "report_status_counts",
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        # CASCADE: a row left at 0 must not keep a department or category from being deleted.
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_report_status_counts_jurisdiction_id_jurisdictions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_report_status_counts_department_id_departments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_report_status_counts_category_id_categories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jurisdiction_id", "department_id", "category_id", "status",
                                name=op.f("pk_report_status_counts")),
    )
    op.execute(f"""
    CREATE FUNCTION report_status_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_add("new_rows", "")};
        RETURN NULL;
    END $$;

    CREATE FUNCTION report_status_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_add("old_rows", "-")};
        RETURN NULL;
    END $$;

    CREATE FUNCTION report_status_counts_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_MOVE};
        RETURN NULL;
    END $$;

    CREATE FUNCTION report_status_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM report_status_counts;
        RETURN NULL;
    END $$;

    -- Recount one town (or every town with NULL) from the reports table, e.g. after a bulk load
    -- with the triggers disabled.
    CREATE FUNCTION report_status_counts_rebuild(town integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM report_status_counts WHERE town IS NULL OR jurisdiction_id = town;
        INSERT INTO report_status_counts ({_KEY}, n)
        SELECT {_KEY}, count(*) FROM reports WHERE town IS NULL OR jurisdiction_id = town
        GROUP BY {_KEY} ORDER BY {_KEY};
    END $$;

    CREATE TRIGGER report_status_counts_insert AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION report_status_counts_after_insert();
    CREATE TRIGGER report_status_counts_update AFTER UPDATE ON reports
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION report_status_counts_after_update();
    CREATE TRIGGER report_status_counts_delete AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION report_status_counts_after_delete();
    CREATE TRIGGER report_status_counts_truncate AFTER TRUNCATE ON reports
        FOR EACH STATEMENT EXECUTE FUNCTION report_status_counts_after_truncate();

    SELECT report_status_counts_rebuild(NULL);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TRIGGER IF EXISTS report_status_counts_truncate ON reports;
    DROP TRIGGER IF EXISTS report_status_counts_delete ON reports;
    DROP TRIGGER IF EXISTS report_status_counts_update ON reports;
    DROP TRIGGER IF EXISTS report_status_counts_insert ON reports;
    DROP FUNCTION IF EXISTS report_status_counts_rebuild(integer);
    DROP FUNCTION IF EXISTS report_status_counts_after_truncate();
    DROP FUNCTION IF EXISTS report_status_counts_after_update();
    DROP FUNCTION IF EXISTS report_status_counts_after_delete();
    DROP FUNCTION IF EXISTS report_status_counts_after_insert();
    """)
    op.drop_table("report_status_counts")
