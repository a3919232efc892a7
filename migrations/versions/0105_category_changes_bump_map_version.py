"""A change to a town's categories counts as a change of its map data

The bbox GeoJSON carries each report's category code and label, and map answers use the
town's ``map_versions`` row as their ETag. Until now only report changes bumped it, so a
renamed category kept answering 304 with the old label. The map API now also keeps the
town's category labels in memory per map version (one statement per map view instead
of two), which needs the same guarantee: the version moves whenever a category does.

Revision ID: 0105
Revises: 0104
Create Date: 2026-11-25 10:00:00
"""
from alembic import op

revision = "0105"
down_revision = "0104"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Categories change a few times a year: a row trigger is plenty.
    op.execute("""
        CREATE FUNCTION categories_bump_map_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            town integer;
        BEGIN
            FOR town IN SELECT DISTINCT j FROM unnest(ARRAY[
                CASE WHEN TG_OP <> 'INSERT' THEN OLD.jurisdiction_id END,
                CASE WHEN TG_OP <> 'DELETE' THEN NEW.jurisdiction_id END]) AS t(j) WHERE j IS NOT NULL
            LOOP
                -- The town may be being deleted (cascade): then there is nothing to bump.
                INSERT INTO map_versions AS v (jurisdiction_id, version, changed_at)
                SELECT town, 1, now() WHERE EXISTS (SELECT 1 FROM jurisdictions WHERE id = town)
                ON CONFLICT (jurisdiction_id) DO UPDATE SET version = v.version + 1, changed_at = now();
            END LOOP;
            RETURN NULL;
        END $$;

        CREATE TRIGGER categories_map_version AFTER INSERT OR UPDATE OR DELETE ON categories
        FOR EACH ROW EXECUTE FUNCTION categories_bump_map_version();
    """)
    # Every town gets its row now, so a version is always there to key the label cache by.
    op.execute("""
        INSERT INTO map_versions (jurisdiction_id, version, changed_at)
        SELECT id, 1, now() FROM jurisdictions
        ON CONFLICT (jurisdiction_id) DO UPDATE SET version = map_versions.version + 1, changed_at = now()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS categories_map_version ON categories")
    op.execute("DROP FUNCTION IF EXISTS categories_bump_map_version()")
