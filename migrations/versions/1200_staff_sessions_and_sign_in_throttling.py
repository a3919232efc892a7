"""Staff sessions the server can end, and sign-in throttling per client instead of account locks

Revision ID: 1200
Revises: 1101
Create Date: 2026-12-06 04:00:00

``staff_sessions``: one row per signed-in browser (the cookie carries a random token, the row its
SHA-256). Sign-out deletes the row, a password change, deactivation or "überall abmelden" all rows
of the account; a copied cookie then opens nothing. Rows older than the absolute lifetime are
refused and deleted at the next sign-in of the account.

``staff_login_throttles``: failed sign-ins counted per (account name, client) and per client under
an HMAC of the key, with a growing delay. It replaces ``staff_users.failed_logins`` and
``locked_until``: five wrong passwords from anyone locked the account for its owner too.

Downgrade: the columns come back empty (nobody locked); sessions and throttles are dropped, so
everyone signs in again.
"""
import sqlalchemy as sa
from alembic import op

revision = "1200"
down_revision = "1101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE",
                                                               name=op.f("fk_staff_sessions_staff_user_id_staff_users")),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(op.f("ix_staff_sessions_staff_user_id"), "staff_sessions", ["staff_user_id"])
    op.create_unique_constraint(op.f("uq_staff_sessions_token_hash"), "staff_sessions", ["token_hash"])
    op.create_table(
        "staff_login_throttles",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(op.f("ix_staff_login_throttles_updated_at"), "staff_login_throttles", ["updated_at"])
    op.drop_column("staff_users", "failed_logins")
    op.drop_column("staff_users", "locked_until")


def downgrade() -> None:
    op.add_column("staff_users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("staff_users", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.drop_table("staff_login_throttles")
    op.drop_table("staff_sessions")
