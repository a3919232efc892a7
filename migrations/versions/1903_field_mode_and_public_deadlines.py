"""Field mode, public deadlines, routing explanations in words (issue 19 points 5, 7 and 9)

- ``field_updates``: the idempotency keys of changes a clerk made on site with a phone. A
  change made without signal waits on the phone and is sent when the network returns, perhaps
  more than once (the answer may be lost); the key, one row per clerk and key, makes it count once.
- ``photos.after_fix``: a photo the clerk took after the work ("Foto danach"), told apart from
  the reporter's photos on the staff and public pages.
- ``jurisdictions.public_deadlines``: whether the public sees the expected completion date of
  a report (report page, Open311 ``expected_datetime``). Off unless the town switches it on.
- ``reports.routing_explanation`` written as "Regel 12: Ortsteil Marienfeld × spielplatz" is
  rewritten in the words the staff page and the routing now use: "Ortsteil Marienfeld · Spielplatz
  → Bauhof Marienfeld" (the SQL of ``geo.rerouting._EXPLAIN_SQL``, kept here as it is today).
  Where the rule is gone only the "Regel N: " prefix is dropped. One UPDATE over the reports
  that still have the old form (the map triggers see no column of theirs change).

Revision ID: 1903
Revises: 1902
Create Date: 2026-12-06 08:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "1903"
down_revision = "1902"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jurisdictions", sa.Column("public_deadlines", sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column("photos", sa.Column("after_fix", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "field_updates",
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("idempotency_key", sa.String(length=100), primary_key=True),
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", JSONB(), nullable=False),
    )
    op.execute("""
        UPDATE reports r SET routing_explanation =
            CASE WHEN ra.id IS NULL THEN 'ganze Stadt'
                 ELSE (CASE ra.kind WHEN 'boundary' THEN 'Stadtgebiet' WHEN 'district' THEN 'Bezirk'
                                    WHEN 'ortsteil' THEN 'Ortsteil' ELSE 'Gebiet' END) || ' ' || ra.name END
            || ' · ' || coalesce(rc.name, 'alle Kategorien') || ' → ' || rdep.name
        FROM routing_rules rr
        LEFT JOIN areas ra ON ra.id = rr.area_id
        LEFT JOIN categories rc ON rc.id = rr.category_id
        JOIN departments rdep ON rdep.id = rr.department_id
        WHERE rr.id = r.routing_rule_id AND r.routing_explanation LIKE 'Regel %'
    """)
    op.execute("UPDATE reports SET routing_explanation = regexp_replace(routing_explanation, '^Regel [0-9]+: ', '') "
               "WHERE routing_explanation LIKE 'Regel %'")


def downgrade() -> None:
    # The explanations stay in words: they are text for people, and the old form is not needed.
    op.drop_table("field_updates")
    op.drop_column("photos", "after_fix")
    op.drop_column("jurisdictions", "public_deadlines")
