"""Map block changes: which zoom-14 blocks each map version changed, so caches keep the others

The web processes keep the public map's street views in memory in blocks of zoom-14 cells
(geo/mapcache.py). Until now a process dropped all of a town's blocks whenever the town's map
version moved: in a town where staff set a status every few minutes, popular blocks were read
again after every change, though a change touches one or two of them.

``map_block_changes`` records, for every version the report triggers make, the blocks of
every report that changed (where it was and where it is, hidden or not). A process that held
the map at version V and now sees V' keeps every block that no version in (V, V'] names. It
can only do so when the log holds every version from V to V' and the row of V carries the
time the process knew for V (else the versions are not the ones it saw: a reset database).
Versions made elsewhere (category changes, TRUNCATE, ``map_cells_rebuild``) write no row, so
a process meeting one drops the town's blocks as before.

A report near a block's edge is logged in the blocks on both sides: PostGIS and Python work
out the block with the same formula but may differ in the last bit.

The log is kept short by the triggers themselves: the rows of versions more than 1,000 older
than the newest are deleted as new ones are written (processes check every second).

The functions replace those of revisions 0101 (insert, delete) and 0106 (update); their cell
and version work is unchanged.

Revision ID: 1002
Revises: 1001
Create Date: 2026-11-25 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1002"
down_revision = "1001"
branch_labels = None
depends_on = None

KEEP_VERSIONS = 1000

# As in 0101: half the Web-Mercator world width in metres; a cell at level L is a tile at zoom L.
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

_VISIBLE = "NOT {t}.hidden AND {t}.status <> 'unbestaetigt'"
_XY = "ST_X(ST_Transform({t}.location, 3857)) AS x, ST_Y(ST_Transform({t}.location, 3857)) AS y"

# geo.mapqueries.mercator and the cell of geo.mapcache, at zoom 14, in SQL; each block within a
# millionth of a block (~2 mm) of the point.
_BLOCKS_FUNCTION = """
CREATE FUNCTION map_cache_blocks(p geometry) RETURNS TABLE (block_x integer, block_y integer)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT least(greatest(floor(f.fx + e.dx)::int, 0), 16383),
                    least(greatest(floor(f.fy + e2.dy)::int, 0), 16383)
    FROM (SELECT (m.x + 20037508.342789244) / (40075016.685578488 / 16384) AS fx,
                 (20037508.342789244 - m.y) / (40075016.685578488 / 16384) AS fy
          FROM (SELECT ST_X(p) * 20037508.342789244 / 180.0 AS x,
                       ln(tan(pi() / 4 + radians(least(greatest(ST_Y(p), -85.05112878), 85.05112878)) / 2))
                           * 20037508.342789244 / pi() AS y) AS m) AS f,
         (VALUES (-1e-6), (1e-6)) AS e(dx) CROSS JOIN (VALUES (-1e-6), (1e-6)) AS e2(dy)
$$;
"""

# Second statement of each trigger (after its cells, as every map_cells trigger orders its
# locks): bump the towns in ``blocks`` (arrays town, x, y) and log their blocks under the
# new version.
_BUMP_AND_LOG = f"""
    WITH bumped AS (
        INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
        SELECT j, 1, now() FROM (SELECT DISTINCT j FROM unnest(towns) AS t(j)) AS t ORDER BY j
        ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now()
        RETURNING v.jurisdiction_id, v.version, v.changed_at
    ),
    logged AS (
        INSERT INTO map_block_changes (jurisdiction_id, version, changed_at, block_x, block_y)
        SELECT b.jurisdiction_id, b.version, b.changed_at, u.x, u.y
        FROM bumped b JOIN unnest(towns, xs, ys) AS u(j, x, y) ON u.j = b.jurisdiction_id
    )
    DELETE FROM map_block_changes c USING bumped b
    WHERE c.jurisdiction_id = b.jurisdiction_id AND c.version <= b.version - {KEEP_VERSIONS};
"""


def _blocks_of(source: str) -> str:
    """The distinct (town, block) of ``source`` rows (alias t, geometry ``loc``) into the arrays."""
    return f"""
    SELECT array_agg(s.j ORDER BY s.j, s.x, s.y), array_agg(s.x ORDER BY s.j, s.x, s.y),
           array_agg(s.y ORDER BY s.j, s.x, s.y)
    INTO towns, xs, ys
    FROM (SELECT DISTINCT t.jurisdiction_id AS j, b.block_x AS x, b.block_y AS y
          FROM {source} CROSS JOIN LATERAL map_cache_blocks(t.loc) AS b) AS s;
    """


def _delta_cte(source: str, sign: str) -> str:
    return (f"delta AS (SELECT t.jurisdiction_id, t.category_id, t.status, {_XY.format(t='t')}, {sign} AS sign "
            f"FROM {source} t WHERE {_VISIBLE.format(t='t')})")


_INSERT_DELETE = """
CREATE OR REPLACE FUNCTION map_cells_after_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    towns integer[];
    xs integer[];
    ys integer[];
BEGIN
    WITH {delta}
    {apply};
    {blocks}
    IF towns IS NOT NULL THEN
        {bump}
    END IF;
    RETURN NULL;
END $$;
"""

# What a map answer shows of a report (revision 0106).
_MAP_COLUMNS = "id, jurisdiction_id, category_id, status, location, department_id, reference, created_at"
_MAP_SELECT = ("id, jurisdiction_id, category_id, status, ST_AsEWKB(location) AS location, department_id, "
               "reference, created_at")
_VISIBLE_ROW = "NOT hidden AND status <> 'unbestaetigt'"

_UPDATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION map_cells_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    towns integer[];
    xs integer[];
    ys integer[];
BEGIN
    WITH changed AS MATERIALIZED (
        -- Visible rows as they were (-1) and as they are (+1); an unchanged one cancels out.
        SELECT {_MAP_COLUMNS}, sum(sign)::int AS sign
        FROM (SELECT {_MAP_SELECT}, -1 AS sign FROM old_rows WHERE {_VISIBLE_ROW}
              UNION ALL
              SELECT {_MAP_SELECT}, 1 AS sign FROM new_rows WHERE {_VISIBLE_ROW}) AS d
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
        {_APPLY_DELTA}
    )
    {_blocks_of("(SELECT jurisdiction_id, ST_GeomFromEWKB(location) AS loc "
                "FROM (SELECT DISTINCT jurisdiction_id, location FROM changed) AS c) AS t")}
    IF towns IS NOT NULL THEN
        {_BUMP_AND_LOG}
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "map_block_changes",
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("block_x", sa.Integer(), nullable=False),
        sa.Column("block_y", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_map_block_changes_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jurisdiction_id", "version", "block_x", "block_y",
                                name=op.f("pk_map_block_changes")),
    )
    op.execute(_BLOCKS_FUNCTION)
    for name, source, sign in (("insert", "new_rows", "1"), ("delete", "old_rows", "-1")):
        op.execute(_INSERT_DELETE.format(
            op=name, delta=_delta_cte(source, sign), apply=_APPLY_DELTA,
            blocks=_blocks_of(f"(SELECT jurisdiction_id, location AS loc FROM {source}) AS t"),
            bump=_BUMP_AND_LOG))
    op.execute(_UPDATE_FUNCTION)


def downgrade() -> None:
    # Back to the functions of 0101 (insert, delete) and 0106 (update), as those revisions made them.
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "revision_0106", Path(__file__).with_name("0106_map_cells_update_trigger_linear.py"))
    revision_0106 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0106)
    op.execute(revision_0106._UPDATE_FUNCTION)
    for name, source, sign in (("insert", "new_rows", "1"), ("delete", "old_rows", "-1")):
        op.execute(f"""
        CREATE OR REPLACE FUNCTION map_cells_after_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH {_delta_cte(source, sign)}
            {_APPLY_DELTA};
            INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
            SELECT j, 1, now() FROM (SELECT DISTINCT jurisdiction_id AS j FROM {source} ORDER BY 1) AS t
            ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now();
            RETURN NULL;
        END $$;
        """)
    op.execute("DROP FUNCTION IF EXISTS map_cache_blocks(geometry)")
    op.drop_table("map_block_changes")
