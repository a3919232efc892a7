"""Towns: the details of their Impressum, privacy notice and accessibility statement

The statement pages showed only the town's name, "Der Bürgermeister" and ``contact_email``:
no postal address, no phone, no data protection officer, no accessibility feedback contact.
``legal`` holds those details per town (one installation may serve several towns) as one
JSON object whose keys are listed and checked in app/jurisdictions/legal.py; absent keys are
left out of the pages. Operators set them with ``flask town-legal``. Existing towns start
with an empty object, which shows what the pages showed before.

Revision ID: 1100
Revises: 1003
Create Date: 2026-11-25 15:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1100"
# Follows 1003 (reports.public_address), the head when this was written; the two revisions
# touch different tables.
down_revision = "1003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jurisdictions", sa.Column("legal", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                                             server_default=sa.text("'{}'::jsonb")))
    op.create_check_constraint(op.f("ck_jurisdictions_legal_object"), "jurisdictions", "jsonb_typeof(legal) = 'object'")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_jurisdictions_legal_object"), "jurisdictions", type_="check")
    op.drop_column("jurisdictions", "legal")
