"""Citizens close the loop: "Ist es erledigt?", "Ich auch", "Noch nicht behoben", Meine Meldungen (issue 20)

* ``fixed_questionnaires``: one per status change to ``erledigt`` whose reporter was asked
  whether the defect is really fixed; the answer (ja/nein, optional comment) is stored once.
* ``report_votes``: anonymous "Ich auch" (support of an open report) and "Noch nicht behoben"
  (on a closed one), one per browser: the browser is named only by a keyed digest of a random
  cookie value, no IP address. The counts are kept on the report (``support_count``,
  ``not_fixed_count``) so the staff queue can show and sort them without a join;
  ``not_fixed_at`` marks a closed report someone says is not fixed until staff act on it.
* ``citizen_sign_ins``: single-use sign-in links of Meine Meldungen and the sessions they open.
  The address stays only as long as the link or the session can be used.

Revision ID: 2010
Revises: 2410
Create Date: 2026-12-06 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "2010"
down_revision = "2410"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("support_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("reports", sa.Column("not_fixed_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("reports", sa.Column("not_fixed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_reports_not_fixed", "reports", ["jurisdiction_id", "not_fixed_at"],
                    postgresql_where=sa.text("not_fixed_at IS NOT NULL"))

    op.create_table(
        "fixed_questionnaires",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status_change_id", sa.BigInteger(), sa.ForeignKey("status_changes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=4), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("status_change_id", name=op.f("uq_fixed_questionnaires_status_change_id")),
        sa.CheckConstraint("answer IS NULL OR answer IN ('ja', 'nein')", name=op.f("ck_fixed_questionnaires_answer")),
        sa.CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name=op.f("ck_fixed_questionnaires_answered")),
    )
    op.create_index("ix_fixed_questionnaires_report_id", "fixed_questionnaires", ["report_id"])

    op.create_table(
        "report_votes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("browser_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('ich_auch', 'nicht_behoben')", name=op.f("ck_report_votes_kind")),
    )
    op.create_index("ix_report_votes_report_kind_browser", "report_votes", ["report_id", "kind", "browser_digest"])

    op.create_table(
        "citizen_sign_ins",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("locale", sa.String(length=5), nullable=False, server_default="de"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("session_hash", name=op.f("uq_citizen_sign_ins_session_hash")),
    )
    op.create_index("ix_citizen_sign_ins_created_at", "citizen_sign_ins", ["created_at"])


def downgrade() -> None:
    op.drop_table("citizen_sign_ins")
    op.drop_table("report_votes")
    op.drop_table("fixed_questionnaires")
    op.drop_index("ix_reports_not_fixed", table_name="reports")
    op.drop_column("reports", "not_fixed_at")
    op.drop_column("reports", "not_fixed_count")
    op.drop_column("reports", "support_count")
