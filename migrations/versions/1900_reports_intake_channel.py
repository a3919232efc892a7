"""Reports: the channel a report taken by staff came in by (Telefon, Schalter, Brief, E-Mail)

Staff take reports for people who phone, come to the counter, write a letter or an e-mail
("Meldung aufnehmen", issue 19). ``channel`` records which; NULL is a report the citizen made
through the web form, the app API or Open311 (their own channels are told apart elsewhere).
The dashboard counts open reports per channel.

Revision ID: 1900
Revises: 2300
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1900"
down_revision = "2300"
branch_labels = None
depends_on = None

CHANNELS = ("telefon", "schalter", "brief", "email")


def upgrade() -> None:
    op.add_column("reports", sa.Column("channel", sa.String(length=16), nullable=True))
    op.create_check_constraint(op.f("ck_reports_channel"), "reports",
                               "channel IS NULL OR channel IN (" + ", ".join(f"'{c}'" for c in CHANNELS) + ")")


def downgrade() -> None:
    op.drop_constraint("ck_reports_channel", "reports", type_="check")
    op.drop_column("reports", "channel")
