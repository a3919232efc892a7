"""Worker queue: outbox leases, followers, unsubscribes, department notification settings, reminder times

Revision ID: 0200
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0200"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULT_REMINDER_DAYS = '{"eingegangen": 2, "in_pruefung": 5, "in_bearbeitung": 21}'


def upgrade() -> None:
    # Outbox: a claimed message is 'sending' under a lease until it is marked sent.
    op.drop_constraint(op.f("ck_outbox_messages_state"), "outbox_messages", type_="check")
    op.create_check_constraint(op.f("ck_outbox_messages_state"), "outbox_messages",
                               "state in ('pending','sending','sent','failed','cancelled')")
    op.add_column("outbox_messages", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_messages", sa.Column("claimed_by", sa.String(length=100), server_default="", nullable=False))
    op.add_column("outbox_messages", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_messages_sending", "outbox_messages", ["lease_until"], unique=False,
                    postgresql_where="state = 'sending'")
    op.create_index("ix_outbox_messages_failed", "outbox_messages", ["failed_at"], unique=False,
                    postgresql_where="state = 'failed'")

    # Departments: how they hear about new reports.
    op.add_column("departments", sa.Column("notification_mode", sa.String(length=10), server_default="immediate",
                                           nullable=False))
    op.add_column("departments", sa.Column("digest_hour", sa.SmallInteger(), server_default="7", nullable=False))
    op.add_column("departments", sa.Column("webhook_url", sa.String(length=500), nullable=True))
    op.add_column("departments", sa.Column("webhook_secret", sa.String(length=200), nullable=True))
    op.create_check_constraint(op.f("ck_departments_notification_mode"), "departments",
                               "notification_mode in ('immediate','digest')")
    op.create_check_constraint(op.f("ck_departments_digest_hour"), "departments", "digest_hour between 0 and 23")

    # Categories: days a report may stay in a status before the department is reminded.
    op.add_column("categories", sa.Column("reminder_days", postgresql.JSONB(astext_type=sa.Text()),
                                          server_default=sa.text(f"'{DEFAULT_REMINDER_DAYS}'::jsonb"), nullable=False))

    op.create_table(
        "followers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_followers_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followers")),
        sa.UniqueConstraint("report_id", "email", name=op.f("uq_followers_report_id")),
    )
    op.create_table(
        "mail_unsubscribes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_mail_unsubscribes_report_id_reports"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_unsubscribes")),
        sa.UniqueConstraint("report_id", "email_digest", name=op.f("uq_mail_unsubscribes_report_id")),
    )


def downgrade() -> None:
    op.drop_table("mail_unsubscribes")
    op.drop_table("followers")
    op.drop_column("categories", "reminder_days")
    op.drop_constraint(op.f("ck_departments_digest_hour"), "departments", type_="check")
    op.drop_constraint(op.f("ck_departments_notification_mode"), "departments", type_="check")
    for column in ("webhook_secret", "webhook_url", "digest_hour", "notification_mode"):
        op.drop_column("departments", column)
    op.drop_index("ix_outbox_messages_failed", table_name="outbox_messages", postgresql_where="state = 'failed'")
    op.drop_index("ix_outbox_messages_sending", table_name="outbox_messages", postgresql_where="state = 'sending'")
    for column in ("failed_at", "claimed_by", "lease_until"):
        op.drop_column("outbox_messages", column)
    op.drop_constraint(op.f("ck_outbox_messages_state"), "outbox_messages", type_="check")
    op.execute("UPDATE outbox_messages SET state = 'pending' WHERE state = 'sending'")
    op.create_check_constraint(op.f("ck_outbox_messages_state"), "outbox_messages",
                               "state in ('pending','sent','failed','cancelled')")
