"""A sign-in to Meine Meldungen belongs to the town whose host it was asked on

Revision ID: 2600
Revises: 2420
Create Date: 2026-12-06 11:00:00

``citizen_sign_ins.jurisdiction_id``: a sign-in link or session made on town B's host is not
valid on town A's (issue 21, one installation serving several towns). Rows that exist at the
upgrade are deleted: they are unused links of at most 30 minutes and sessions of at most two
hours whose town is not known; their owners ask for a new link. Downgrade drops the column.
"""
import sqlalchemy as sa
from alembic import op

revision = "2600"
down_revision = "2420"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM citizen_sign_ins")
    op.add_column("citizen_sign_ins", sa.Column("jurisdiction_id", sa.Integer(), nullable=False))
    op.create_foreign_key(op.f("fk_citizen_sign_ins_jurisdiction_id_jurisdictions"), "citizen_sign_ins",
                          "jurisdictions", ["jurisdiction_id"], ["id"], ondelete="CASCADE")
    op.create_index(op.f("ix_citizen_sign_ins_jurisdiction_id"), "citizen_sign_ins", ["jurisdiction_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_citizen_sign_ins_jurisdiction_id"), table_name="citizen_sign_ins")
    op.drop_constraint(op.f("fk_citizen_sign_ins_jurisdiction_id_jurisdictions"), "citizen_sign_ins",
                       type_="foreignkey")
    op.drop_column("citizen_sign_ins", "jurisdiction_id")
