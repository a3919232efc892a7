"""A town chooses which of the installation's languages its pages and mails offer

Revision ID: 2610
Revises: 2620
Create Date: 2026-12-06 11:00:00

``jurisdictions.languages``: the language codes a town offers (German always among them), set on
the admin page "Stadtprofil" or in the town file (``languages = ["de", "en"]``). NULL, which every
existing town gets, means every language the installation offers (setting ``LANGUAGES``), as before.
Downgrade drops the column: every town offers the installation's languages again.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2610"
down_revision = "2620"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jurisdictions", sa.Column("languages", postgresql.ARRAY(sa.String(5)), nullable=True))
    op.create_check_constraint(op.f("ck_jurisdictions_languages_german"), "jurisdictions",
                               "languages IS NULL OR 'de' = ANY(languages)")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_jurisdictions_languages_german"), "jurisdictions", type_="check")
    op.drop_column("jurisdictions", "languages")
