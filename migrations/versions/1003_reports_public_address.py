"""Reports: the approximate address the public sees, apart from what the reporter typed

The intake form's "Adresse oder Ortsbeschreibung" is free text, and it went public at once on
the report page, the list, the map popup, feeds, alert mails and Open311, while the
description waits for staff. Residents write things like "vor dem Haus von Familie Müller".
``public_address`` is the nearest known address (table ``addresses``) within 100 m of the pin,
away from houses the Ortsteil it lies in, set when the report is made; public pages show it,
staff still see what was typed.

Existing reports get theirs here, the same way (``geo.geocoding.reverse_geocode`` and
``label_for`` in SQL).

Revision ID: 1003
Revises: 1002
Create Date: 2026-11-25 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1003"
down_revision = "1002"
branch_labels = None
depends_on = None

RADIUS_M = 100


def upgrade() -> None:
    op.add_column("reports", sa.Column("public_address", sa.String(length=300), nullable=True))
    op.execute(f"""
        UPDATE reports r SET public_address = n.label
        FROM (
            SELECT r2.id, (
                SELECT CASE WHEN trim(coalesce(a.postcode, '') || ' ' || coalesce(a.ortsteil, '')) <> ''
                            THEN trim(a.street || ' ' || coalesce(a.house_number, '')) || ', '
                                 || trim(coalesce(a.postcode, '') || ' ' || coalesce(a.ortsteil, ''))
                            ELSE trim(a.street || ' ' || coalesce(a.house_number, '')) END
                FROM addresses a
                WHERE a.jurisdiction_id = r2.jurisdiction_id
                  AND ST_DWithin(a.location, r2.location, 0.002)  -- the index; >= 100 m up to 55° N
                  AND ST_DWithin(a.location::geography, r2.location::geography, {RADIUS_M})
                ORDER BY ST_Distance(a.location::geography, r2.location::geography), a.id
                LIMIT 1) AS label
            FROM reports r2
            WHERE EXISTS (SELECT 1 FROM addresses x WHERE x.jurisdiction_id = r2.jurisdiction_id)
        ) AS n
        WHERE n.id = r.id AND n.label IS NOT NULL
    """)
    # Away from houses: the Ortsteil the pin lies in (the smallest, as routing prefers).
    op.execute("""
        UPDATE reports r SET public_address = (
            SELECT a.name FROM areas a
            WHERE a.jurisdiction_id = r.jurisdiction_id AND a.kind = 'ortsteil' AND ST_Covers(a.geom, r.location)
            ORDER BY a.area_m2, a.id LIMIT 1)
        WHERE r.public_address IS NULL
          AND EXISTS (SELECT 1 FROM areas x WHERE x.jurisdiction_id = r.jurisdiction_id AND x.kind = 'ortsteil')
    """)
    # The public list's street search (app/public/queries.py) looks in it with ILIKE.
    op.execute("CREATE INDEX ix_reports_public_address_trgm ON reports USING gin (public_address gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_reports_public_address_trgm")
    op.drop_column("reports", "public_address")
