"""Open311: API clients with hashed keys, service attributes and answers, submissions, update receipts, reporter phone

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0400"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("reporter_phone", sa.String(length=50), nullable=True))
    op.create_table(
        "open311_api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("allowed_actions", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("rate_limit", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_open311_api_clients_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_api_clients")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_api_clients_key_hash")),
    )
    op.create_index(op.f("ix_open311_api_clients_jurisdiction_id"), "open311_api_clients", ["jurisdiction_id"])
    op.create_table(
        "service_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("datatype", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("variable", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("datatype_description", sa.Text(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("datatype in ('string','number','datetime','text','singlevaluelist','multivaluelist')",
                           name=op.f("ck_service_attributes_datatype")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_service_attributes_category_id_categories"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_attributes")),
        sa.UniqueConstraint("category_id", "code", name=op.f("uq_service_attributes_category_id_code")),
    )
    op.create_index(op.f("ix_service_attributes_category_id"), "service_attributes", ["category_id"])
    op.create_table(
        "report_attribute_values",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("attribute_id", sa.Integer(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name=op.f("fk_report_attribute_values_report_id_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attribute_id"], ["service_attributes.id"],
                                name=op.f("fk_report_attribute_values_attribute_id_service_attributes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attribute_values")),
        sa.UniqueConstraint("report_id", "attribute_id", name=op.f("uq_report_attribute_values_report_id")),
    )
    op.create_index(op.f("ix_report_attribute_values_report_id"), "report_attribute_values", ["report_id"])
    op.create_table(
        "open311_submissions",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("api_client_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=200), nullable=True),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name=op.f("fk_open311_submissions_report_id_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["api_client_id"], ["open311_api_clients.id"],
                                name=op.f("fk_open311_submissions_api_client_id_open311_api_clients"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_open311_submissions")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_submissions_token")),
    )
    op.create_index(op.f("ix_open311_submissions_api_client_id"), "open311_submissions", ["api_client_id"])
    op.create_table(
        "open311_update_receipts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("api_client_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("status_change_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_client_id"], ["open311_api_clients.id"],
                                name=op.f("fk_open311_update_receipts_api_client_id_open311_api_clients"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["status_change_id"], ["status_changes.id"],
                                name=op.f("fk_open311_update_receipts_status_change_id_status_changes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_update_receipts")),
        sa.UniqueConstraint("api_client_id", "external_id", name=op.f("uq_open311_update_receipts_api_client_id")),
    )
    op.create_index(op.f("ix_open311_update_receipts_status_change_id"), "open311_update_receipts", ["status_change_id"])
    # Open311 clients filter by "last changed" (updated_after/updated_before).
    op.create_index("ix_reports_jurisdiction_updated", "reports", ["jurisdiction_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_jurisdiction_updated", table_name="reports")
    op.drop_table("open311_update_receipts")
    op.drop_table("open311_submissions")
    op.drop_table("report_attribute_values")
    op.drop_table("service_attributes")
    op.drop_table("open311_api_clients")
    op.drop_column("reports", "reporter_phone")

