"""map_cells: the UPDATE trigger's cost follows the reports whose map data changed, linearly

Revision 0101's ``map_cells_after_update`` found the changed reports by joining the
transition tables ``old_rows`` and ``new_rows`` on ``id``, three times. Transition
tables have no statistics, and PL/pgSQL keeps a statement's plan for the session: a
plan made while a single report changed (the common case) is a nested loop, and a
later bulk UPDATE on the same connection runs it, comparing every old row with every
new one. On 1M reports (bench_geo, part ``cells``) a department change of 5,000 reports
took 8.4 s (0.4 s with the map_cells triggers disabled), one of 50,000 did not finish
within a minute, though a department change moves no report in the cells.

The new function joins nothing. Each updated row enters once as it was (sign -1) and
once as it is (+1), visible rows only, grouped by everything a map answer shows of a
report (id, town, category, status, location, department, reference, creation time):
an unchanged row cancels out in one aggregation over the transition tables
(the plain-sum form of revision 0810). What remains are the rows whose map data
changed; only those are grouped again by what the cells count (town, category,
status, location), projected to Web Mercator and added to the 15 levels of cells.
The cost is one pass over the updated rows plus work in proportion to the rows whose
cells changed, whatever plan the session holds.

Map versions: a town's version moves when a report visible before or after the
UPDATE changed in any of those columns. That includes a department-only change
(re-routing): the map API filters by department (``?department=``) and its ETag is
the map version, so a department change must move it. Unlike 0101, a change to a
report that is hidden or unconfirmed both before and after moves nothing: no map
answer shows such a report.

The INSERT and DELETE triggers read one transition table each and stay as they are.

Revision ID: 0106
Revises: 0105
Create Date: 2026-11-25 16:00:00
"""
from alembic import op

revision = "0106"
down_revision = "0105"
branch_labels = None
depends_on = None

# As in 0101: half the Web-Mercator world width in metres; a cell at level L is a tile at zoom L.
_CELL_SQL = """
    floor((d.x + 20037508.342789244) / (40075016.685578488 / (1 << l.level)))::int,
    floor((20037508.342789244 - d.y) / (40075016.685578488 / (1 << l.level)))::int"""

# What a map answer shows of a report (bbox GeoJSON, clusters, tiles, their filters). The
# location is compared as EWKB bytes: exact, whatever geometry equality means.
_MAP_COLUMNS = "id, jurisdiction_id, category_id, status, location, department_id, reference, created_at"
_MAP_SELECT = ("id, jurisdiction_id, category_id, status, ST_AsEWKB(location) AS location, department_id, "
               "reference, created_at")
_VISIBLE = "NOT hidden AND status <> 'unbestaetigt'"

_UPDATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION map_cells_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    towns integer[];
BEGIN
    WITH changed AS MATERIALIZED (
        -- Visible rows as they were (-1) and as they are (+1); an unchanged one cancels out.
        SELECT {_MAP_COLUMNS}, sum(sign)::int AS sign
        FROM (SELECT {_MAP_SELECT}, -1 AS sign FROM old_rows WHERE {_VISIBLE}
              UNION ALL
              SELECT {_MAP_SELECT}, 1 AS sign FROM new_rows WHERE {_VISIBLE}) AS d
        GROUP BY {_MAP_COLUMNS}
        HAVING sum(sign) <> 0
    ),
    delta AS (
        -- Of those, the rows whose cells changed (not only department, reference or time).
        SELECT jurisdiction_id, category_id, status, ST_X(m) AS x, ST_Y(m) AS y, sign
        FROM (SELECT jurisdiction_id, category_id, status,
                     ST_Transform(ST_GeomFromEWKB(location), 3857) AS m, sum(sign)::int AS sign
              FROM changed
              GROUP BY id, jurisdiction_id, category_id, status, location
              HAVING sum(sign) <> 0) AS moved
    ),
    cells AS (
        -- In key order, as every map_cells trigger writes, so concurrent writers lock alike.
        INSERT INTO map_cells AS m (jurisdiction_id, level, cx, cy, category_id, status, n, sum_x, sum_y)
        SELECT d.jurisdiction_id, l.level, {_CELL_SQL}, d.category_id, d.status,
               sum(d.sign), sum(d.sign * d.x), sum(d.sign * d.y)
        FROM delta d CROSS JOIN generate_series(4, 18) AS l(level)
        GROUP BY 1, 2, 3, 4, 5, 6
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (jurisdiction_id, level, cx, cy, category_id, status) DO UPDATE
           SET n = m.n + excluded.n, sum_x = m.sum_x + excluded.sum_x, sum_y = m.sum_y + excluded.sum_y
    )
    SELECT array_agg(DISTINCT jurisdiction_id ORDER BY jurisdiction_id) INTO towns FROM changed;
    -- After the cells (the CTE's INSERT has run by now), as in the other map_cells triggers.
    IF towns IS NOT NULL THEN
        INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
        SELECT j, 1, now() FROM unnest(towns) AS t(j) ORDER BY j
        ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now();
    END IF;
    RETURN NULL;
END $$;
"""

# Revision 0101's function, as 0101 created it.
_UPDATE_FUNCTION_0101 = """
CREATE OR REPLACE FUNCTION map_cells_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH moved AS (
            SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (o.status, o.hidden, o.category_id, o.jurisdiction_id, ST_AsEWKB(o.location)) IS DISTINCT FROM (n.status, n.hidden, n.category_id, n.jurisdiction_id, ST_AsEWKB(n.location))
        ),
        delta AS (SELECT t.jurisdiction_id, t.category_id, t.status, ST_X(ST_Transform(t.location, 3857)) AS x, ST_Y(ST_Transform(t.location, 3857)) AS y, -1 AS sign FROM old_rows t WHERE NOT t.hidden AND t.status <> 'unbestaetigt' AND t.id IN (SELECT id FROM moved) UNION ALL SELECT t.jurisdiction_id, t.category_id, t.status, ST_X(ST_Transform(t.location, 3857)) AS x, ST_Y(ST_Transform(t.location, 3857)) AS y, 1 AS sign FROM new_rows t WHERE NOT t.hidden AND t.status <> 'unbestaetigt' AND t.id IN (SELECT id FROM moved))
        
    INSERT INTO map_cells AS m (jurisdiction_id, level, cx, cy, category_id, status, n, sum_x, sum_y)
    SELECT d.jurisdiction_id, l.level, 
    floor((d.x + 20037508.342789244) / (40075016.685578488 / (1 << l.level)))::int,
    floor((20037508.342789244 - d.y) / (40075016.685578488 / (1 << l.level)))::int, d.category_id, d.status,
           sum(d.sign), sum(d.sign * d.x), sum(d.sign * d.y)
    FROM delta d CROSS JOIN generate_series(4, 18) AS l(level)
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (jurisdiction_id, level, cx, cy, category_id, status) DO UPDATE
       SET n = m.n + excluded.n, sum_x = m.sum_x + excluded.sum_x, sum_y = m.sum_y + excluded.sum_y
;
        WITH touched(j) AS (
            SELECT o.jurisdiction_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (o.status, o.hidden, o.category_id, o.jurisdiction_id, ST_AsEWKB(o.location)) IS DISTINCT FROM (n.status, n.hidden, n.category_id, n.jurisdiction_id, ST_AsEWKB(n.location)) OR (o.department_id, o.reference, o.created_at) IS DISTINCT FROM (n.department_id, n.reference, n.created_at)
            UNION SELECT n.jurisdiction_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (o.status, o.hidden, o.category_id, o.jurisdiction_id, ST_AsEWKB(o.location)) IS DISTINCT FROM (n.status, n.hidden, n.category_id, n.jurisdiction_id, ST_AsEWKB(n.location)) OR (o.department_id, o.reference, o.created_at) IS DISTINCT FROM (n.department_id, n.reference, n.created_at)
        )
        
    INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
    SELECT j, 1, now() FROM (SELECT DISTINCT j FROM touched ORDER BY j) AS t
    ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now()
;
        RETURN NULL;
    END $$;
"""


def upgrade() -> None:
    # The trigger stays; only its function is replaced (sessions pick up the new body at
    # their next call).
    op.execute(_UPDATE_FUNCTION)


def downgrade() -> None:
    op.execute(_UPDATE_FUNCTION_0101)
