"""Each report keeps the fixed part of its GeoJSON feature as text, so the bbox map query only concatenates

The public map's bbox query builds one GeoJSON feature per report. Building it from
the columns on every request (ST_X/ST_Y, to_json of each field) cost more than the
query itself; bench_geo measured the endpoint at 2-2.5x the raw selection. The
language-independent part (geometry, reference, status, creation time) now lives in
``reports.map_feature``, written by a row trigger whenever one of those columns
changes; the query appends the category, labels and URL, which depend on the
request's language and the categories table.

Revision ID: 0104
Revises: 0103
Create Date: 2026-11-25 07:30:00
"""
from alembic import op

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None

# The text is an unfinished JSON object: '{"type":"Feature",...,"properties":{...'; the
# query appends more properties and closes both braces. Times in UTC whatever the
# writing session's TimeZone, in the format to_json(timestamptz) gives under UTC.
_FEATURE_FUNCTION = """
CREATE FUNCTION report_map_feature(location geometry, reference text, status text, created_at timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '{"type":"Feature","geometry":{"type":"Point","coordinates":['
           || ST_X(location) || ',' || ST_Y(location)
           || ']},"properties":{"reference":' || to_json(reference)
           || ',"status":' || to_json(status)
           || ',"created_at":"' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"'
$$;

CREATE FUNCTION reports_set_map_feature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.map_feature := report_map_feature(NEW.location, NEW.reference, NEW.status, NEW.created_at);
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE reports ADD COLUMN map_feature text")
    op.execute(_FEATURE_FUNCTION)
    # The backfill changes no map data: the map_cells trigger (which would diff every row)
    # stays out of it.
    op.execute("ALTER TABLE reports DISABLE TRIGGER map_cells_update")
    op.execute("UPDATE reports SET map_feature = report_map_feature(location, reference, status, created_at)")
    op.execute("ALTER TABLE reports ENABLE TRIGGER map_cells_update")
    op.execute("ALTER TABLE reports ALTER COLUMN map_feature SET NOT NULL")
    op.execute("""
        CREATE TRIGGER reports_map_feature BEFORE INSERT OR UPDATE OF location, reference, status, created_at
        ON reports FOR EACH ROW EXECUTE FUNCTION reports_set_map_feature()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS reports_map_feature ON reports")
    op.execute("DROP FUNCTION IF EXISTS reports_set_map_feature()")
    op.execute("DROP FUNCTION IF EXISTS report_map_feature(geometry, text, text, timestamptz)")
    op.execute("ALTER TABLE reports DROP COLUMN map_feature")
