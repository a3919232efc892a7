"""Staff workspace: staff accounts, audit log, internal notes, text templates, dashboard snapshots, queue indexes

Revision ID: 0500
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0500"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = "status IN ('unbestaetigt','eingegangen','in_pruefung','in_bearbeitung')"


def upgrade() -> None:
    op.add_column("categories", sa.Column("target_days", sa.Integer(), server_default="14", nullable=False))
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role in ('admin','dispatcher','staff')", name=op.f("ck_staff_users_role")),
        sa.CheckConstraint("role <> 'staff' OR department_id IS NOT NULL",
                           name=op.f("ck_staff_users_staff_has_department")),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_staff_users_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_staff_users_department_id_departments"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_staff_users_oidc_subject")),
    )
    op.create_index(op.f("ix_staff_users_jurisdiction_id"), "staff_users", ["jurisdiction_id"])
    op.create_index(op.f("ix_staff_users_department_id"), "staff_users", ["department_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_audit_log_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_users.id"],
                                name=op.f("fk_audit_log_staff_user_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name=op.f("fk_audit_log_report_id_reports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_report_id_id", "audit_log", ["report_id", "id"])
    op.create_index("ix_audit_log_jurisdiction_id_id", "audit_log", ["jurisdiction_id", "id"])
    op.create_index(op.f("ix_audit_log_staff_user_id"), "audit_log", ["staff_user_id"])

    op.create_table(
        "internal_notes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name=op.f("fk_internal_notes_report_id_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_users.id"],
                                name=op.f("fk_internal_notes_staff_user_id_staff_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_notes")),
    )
    op.create_index(op.f("ix_internal_notes_report_id"), "internal_notes", ["report_id"])

    op.create_table(
        "text_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_text_templates_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_text_templates_category_id_categories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_templates")),
    )
    op.create_index(op.f("ix_text_templates_jurisdiction_id"), "text_templates", ["jurisdiction_id"])

    op.create_table(
        "staff_dashboard_snapshots",
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_staff_dashboard_snapshots_jurisdiction_id_jurisdictions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jurisdiction_id", name=op.f("pk_staff_dashboard_snapshots")),
    )

    # The queue pages by (created_at, id); open reports are what staff look at by default.
    op.create_index("ix_reports_queue_open", "reports", ["jurisdiction_id", "created_at", "id"],
                    postgresql_where=sa.text(OPEN))
    op.create_index("ix_reports_queue_open_department", "reports", ["department_id", "created_at", "id"],
                    postgresql_where=sa.text(OPEN))
    op.create_index("ix_reports_queue_all", "reports", ["jurisdiction_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_reports_queue_all", table_name="reports")
    op.drop_index("ix_reports_queue_open_department", table_name="reports")
    op.drop_index("ix_reports_queue_open", table_name="reports")
    op.drop_table("staff_dashboard_snapshots")
    op.drop_table("text_templates")
    op.drop_table("internal_notes")
    op.drop_table("audit_log")
    op.drop_table("staff_users")
    op.drop_column("categories", "target_days")
