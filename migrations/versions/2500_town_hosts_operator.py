"""Several towns in one installation (issue 21): host names per town, retired towns, the operator

``jurisdiction_hosts`` maps each host name a town is served on (``maengelmelder.harsewinkel.de``)
to its town (the first by ``position`` is the one mail links use); a request's town is looked up from its Host header. ``jurisdictions.retired_at``
marks a town the operator has retired (its hosts answer 404, its data stays until deleted).
Outbox rows name the town they are for (``outbox_messages.jurisdiction_id``): a mail is
built with that town's host in its links. Staff accounts gain the ``operator`` role, the one account above the towns: it belongs to no
town (``jurisdiction_id`` NULL), every other role must have one.

Revision ID: 2500
Revises: 1701
Create Date: 2026-12-06 07:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "2500"
down_revision = "1701"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jurisdiction_hosts",
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("host = lower(host) AND host !~ '[/:@ ]'", name=op.f("ck_jurisdiction_hosts_host_name")),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("fk_jurisdiction_hosts_jurisdiction_id_jurisdictions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_jurisdiction_hosts")),
    )
    op.create_index(op.f("ix_jurisdiction_hosts_jurisdiction_id"), "jurisdiction_hosts", ["jurisdiction_id"])
    op.add_column("jurisdictions", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_messages", sa.Column("jurisdiction_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_outbox_messages_jurisdiction_id_jurisdictions"), "outbox_messages",
                          "jurisdictions", ["jurisdiction_id"], ["id"], ondelete="CASCADE")
    op.create_index(op.f("ix_outbox_messages_jurisdiction_id"), "outbox_messages", ["jurisdiction_id"])
    # Until now there was one town: its messages are its own.
    op.execute("UPDATE outbox_messages SET jurisdiction_id = (SELECT min(id) FROM jurisdictions) "
                "WHERE (SELECT count(*) FROM jurisdictions) = 1")
    op.drop_constraint("ck_staff_users_role", "staff_users", type_="check")
    op.create_check_constraint(op.f("ck_staff_users_role"), "staff_users",
                               "role in ('admin','dispatcher','staff','operator')")
    op.alter_column("staff_users", "jurisdiction_id", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(op.f("ck_staff_users_town_unless_operator"), "staff_users",
                               "(role = 'operator') = (jurisdiction_id IS NULL)")


def downgrade() -> None:
    op.execute("DELETE FROM staff_users WHERE role = 'operator'")
    op.drop_constraint("ck_staff_users_town_unless_operator", "staff_users", type_="check")
    op.alter_column("staff_users", "jurisdiction_id", existing_type=sa.Integer(), nullable=False)
    op.drop_constraint("ck_staff_users_role", "staff_users", type_="check")
    op.create_check_constraint(op.f("ck_staff_users_role"), "staff_users", "role in ('admin','dispatcher','staff')")
    op.drop_index(op.f("ix_outbox_messages_jurisdiction_id"), table_name="outbox_messages")
    op.drop_column("outbox_messages", "jurisdiction_id")
    op.drop_column("jurisdictions", "retired_at")
    op.drop_index(op.f("ix_jurisdiction_hosts_jurisdiction_id"), table_name="jurisdiction_hosts")
    op.drop_table("jurisdiction_hosts")
