"""Reporter additions for staff: which photos the reporter added later, and when staff saw an addition

Revision ID: 0900
Revises: 0600
Create Date: 2026-11-25 08:00:00

``reporter_photos`` marks the photos a reporter added through the tracking link after
the report was made (the photos table cannot tell them apart from the intake photos:
both are written by the same code, and the outbox row that named them is deleted
after RETENTION_OUTBOX_DAYS). ``seen_at`` on both kinds of addition drives the
"new addition" badge in the staff queue.

Photos added before this revision are found, as far as possible, through the outbox
rows of kind ``reporter_comment`` that are still kept (they list ``photo_ids``); hence
the dependency on the worker-queue revision that created ``outbox_messages``.
"""
from alembic import op
import sqlalchemy as sa

revision = "0900"
# 0200 was a ``depends_on`` until revision 1000 merged the branches: as a parent it puts the
# worker-queue branch into one line of history (Alembic already treated it so in
# ``alembic_version``, where 0900 stands for both).
down_revision = ("0600", "0200")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporter_photos",
        sa.Column("photo_id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_reporter_photos_photo_id_photos"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_reporter_photos_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_reporter_photos")),
    )
    op.create_index(op.f("ix_reporter_photos_report_id"), "reporter_photos", ["report_id"])
    op.add_column("reporter_comments", sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        INSERT INTO reporter_photos (photo_id, report_id, created_at)
        SELECT DISTINCT p.id, p.report_id, p.created_at
        FROM outbox_messages m
        CROSS JOIN LATERAL jsonb_array_elements_text(m.payload -> 'photo_ids') AS listed(photo_id)
        JOIN photos p ON p.id = listed.photo_id::bigint
        WHERE m.kind = 'reporter_comment' AND jsonb_typeof(m.payload -> 'photo_ids') = 'array'
        ON CONFLICT DO NOTHING
    """)


def downgrade() -> None:
    op.drop_column("reporter_comments", "seen_at")
    op.drop_index(op.f("ix_reporter_photos_report_id"), table_name="reporter_photos")
    op.drop_table("reporter_photos")
