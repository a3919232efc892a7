"""Public pages: area alert subscriptions and reporter comments via the tracking link

Revision ID: 0600
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0600"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("center", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("category_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("notify_new", sa.Boolean(), nullable=False),
        sa.Column("notify_fixed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("area_id IS NOT NULL OR (center IS NOT NULL AND radius_m IS NOT NULL)",
                           name=op.f("ck_alert_subscriptions_where")),
        sa.CheckConstraint("radius_m IS NULL OR (radius_m BETWEEN 50 AND 5000)", name=op.f("ck_alert_subscriptions_radius")),
        sa.CheckConstraint("notify_new OR notify_fixed", name=op.f("ck_alert_subscriptions_events")),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_alert_subscriptions_area_id_areas"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_alert_subscriptions_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_alert_subscriptions_token")),
    )
    op.create_index(op.f("ix_alert_subscriptions_jurisdiction_id"), "alert_subscriptions", ["jurisdiction_id"])
    # Only active subscriptions are matched against new events.
    op.execute("CREATE INDEX ix_alert_subscriptions_active_center ON alert_subscriptions USING gist "
               "((center::geography)) WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL")
    op.create_table(
        "reporter_comments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_reporter_comments_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_comments")),
    )
    op.create_index(op.f("ix_reporter_comments_report_id"), "reporter_comments", ["report_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reporter_comments_report_id"), table_name="reporter_comments")
    op.drop_table("reporter_comments")
    op.execute("DROP INDEX IF EXISTS ix_alert_subscriptions_active_center")
    op.drop_index(op.f("ix_alert_subscriptions_jurisdiction_id"), table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
