"""Map clusters and cache versions: report counts per Web-Mercator grid cell, kept by statement triggers

``map_cells`` holds, per town, zoom level 4–18, cell, category and status, the
number of publicly visible reports and the sum of their Web-Mercator
coordinates (so a cluster is drawn at its members' centroid). Statement-level
triggers with transition tables keep it exact for single reports and bulk
updates alike. ``map_versions`` counts changes per town; map answers use it as
their ETag so an unchanged view is answered with 304 before any query runs.

Revision ID: 0101
Revises: 0100
Create Date: 2026-11-25 04:05:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0101"
down_revision = "0100"
branch_labels = None
depends_on = None

# Half the Web-Mercator world width in metres; a cell at level L is a tile at zoom L.
_CELL_SQL = """
    floor((d.x + 20037508.342789244) / (40075016.685578488 / (1 << l.level)))::int,
    floor((20037508.342789244 - d.y) / (40075016.685578488 / (1 << l.level)))::int"""

_APPLY_DELTA = f"""
    INSERT INTO map_cells AS m (jurisdiction_id, level, cx, cy, category_id, status, n, sum_x, sum_y)
    SELECT d.jurisdiction_id, l.level, {_CELL_SQL}, d.category_id, d.status,
           sum(d.sign), sum(d.sign * d.x), sum(d.sign * d.y)
    FROM delta d CROSS JOIN generate_series(4, 18) AS l(level)
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (jurisdiction_id, level, cx, cy, category_id, status) DO UPDATE
       SET n = m.n + excluded.n, sum_x = m.sum_x + excluded.sum_x, sum_y = m.sum_y + excluded.sum_y
"""

_BUMP = """
    INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
    SELECT j, 1, now() FROM (SELECT DISTINCT j FROM touched ORDER BY j) AS t
    ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now()
"""

_VISIBLE = "NOT {t}.hidden AND {t}.status <> 'unbestaetigt'"
_XY = "ST_X(ST_Transform({t}.location, 3857)) AS x, ST_Y(ST_Transform({t}.location, 3857)) AS y"


def _delta_cte(sources: list[tuple[str, str, str]]) -> str:
    """``delta`` rows (town, category, status, x, y, sign) from (table alias source, sign, extra where)."""
    parts = []
    for source, sign, where in sources:
        parts.append(f"SELECT t.jurisdiction_id, t.category_id, t.status, {_XY.format(t='t')}, {sign} AS sign "
                     f"FROM {source} t WHERE {_VISIBLE.format(t='t')}{where}")
    return "delta AS (" + " UNION ALL ".join(parts) + ")"


def upgrade() -> None:
    op.create_table(
        "map_versions",
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_map_versions_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jurisdiction_id", name=op.f("pk_map_versions")),
    )
    op.create_table(
        "map_cells",
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("cx", sa.Integer(), nullable=False),
        sa.Column("cy", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_x", sa.Float(), nullable=False),
        sa.Column("sum_y", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_map_cells_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jurisdiction_id", "level", "cx", "cy", "category_id", "status",
                                name=op.f("pk_map_cells")),
    )
    changed = ("(o.status, o.hidden, o.category_id, o.jurisdiction_id, ST_AsEWKB(o.location)) IS DISTINCT FROM "
               "(n.status, n.hidden, n.category_id, n.jurisdiction_id, ST_AsEWKB(n.location))")
    map_changed = (f"{changed} OR (o.department_id, o.reference, o.created_at) IS DISTINCT FROM "
                   "(n.department_id, n.reference, n.created_at)")
    op.execute(f"""
    CREATE FUNCTION map_cells_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH {_delta_cte([("new_rows", "1", "")])}
        {_APPLY_DELTA};
        WITH touched(j) AS (SELECT jurisdiction_id FROM new_rows)
        {_BUMP};
        RETURN NULL;
    END $$;

    CREATE FUNCTION map_cells_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH {_delta_cte([("old_rows", "-1", "")])}
        {_APPLY_DELTA};
        WITH touched(j) AS (SELECT jurisdiction_id FROM old_rows)
        {_BUMP};
        RETURN NULL;
    END $$;

    CREATE FUNCTION map_cells_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH moved AS (
            SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}
        ),
        {_delta_cte([("old_rows", "-1", " AND t.id IN (SELECT id FROM moved)"),
                     ("new_rows", "1", " AND t.id IN (SELECT id FROM moved)")])}
        {_APPLY_DELTA};
        WITH touched(j) AS (
            SELECT o.jurisdiction_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {map_changed}
            UNION SELECT n.jurisdiction_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {map_changed}
        )
        {_BUMP};
        RETURN NULL;
    END $$;

    CREATE FUNCTION map_cells_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM map_cells;
        UPDATE map_versions SET version = version + 1, changed_at = now();
        RETURN NULL;
    END $$;

    -- Recount one town (or every town with NULL) from the reports table, e.g. after a bulk load
    -- with the triggers disabled.
    CREATE FUNCTION map_cells_rebuild(town integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM map_cells WHERE town IS NULL OR jurisdiction_id = town;
        WITH delta AS (
            SELECT t.jurisdiction_id, t.category_id, t.status, {_XY.format(t='t')}, 1 AS sign
            FROM reports t WHERE {_VISIBLE.format(t='t')} AND (town IS NULL OR t.jurisdiction_id = town)
        )
        {_APPLY_DELTA};
        WITH touched(j) AS (SELECT id FROM jurisdictions WHERE town IS NULL OR id = town)
        {_BUMP};
    END $$;

    CREATE TRIGGER map_cells_insert AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION map_cells_after_insert();
    CREATE TRIGGER map_cells_update AFTER UPDATE ON reports REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION map_cells_after_update();
    CREATE TRIGGER map_cells_delete AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION map_cells_after_delete();
    CREATE TRIGGER map_cells_truncate AFTER TRUNCATE ON reports
        FOR EACH STATEMENT EXECUTE FUNCTION map_cells_after_truncate();

    SELECT map_cells_rebuild(NULL);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TRIGGER IF EXISTS map_cells_truncate ON reports;
    DROP TRIGGER IF EXISTS map_cells_delete ON reports;
    DROP TRIGGER IF EXISTS map_cells_update ON reports;
    DROP TRIGGER IF EXISTS map_cells_insert ON reports;
    DROP FUNCTION IF EXISTS map_cells_rebuild(integer);
    DROP FUNCTION IF EXISTS map_cells_after_truncate();
    DROP FUNCTION IF EXISTS map_cells_after_update();
    DROP FUNCTION IF EXISTS map_cells_after_delete();
    DROP FUNCTION IF EXISTS map_cells_after_insert();
    """)
    op.drop_table("map_cells")
    op.drop_table("map_versions")
