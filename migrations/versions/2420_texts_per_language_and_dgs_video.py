"""Category and question texts in any language; the town's video in German Sign Language

Revision ID: 2420
Revises: 2500 (the one head on main when this was merged)
Create Date: 2026-12-06 08:00:00

``categories.translations`` and ``service_attributes.translations`` hold the texts of the
citizen languages beyond German, ``{"tr": {"name": ..., "description": ..., "group": ...,
"notice": ..., "stop_notice": ...}, "en": {"notice": ...}}`` (questions: ``label``, ``help``).
English names, descriptions and groups stay in their ``*_en`` columns (migration 1700);
German stays the fallback wherever a text is missing. ``jurisdictions.sign_language_video``
is the town's DGS video for the Gebärdensprache page (BITV 2.0 § 4): a file path under the
static folder or an https URL; empty: the page says the video is not there yet.
Both default to empty, so nothing changes for existing towns. Downgrade drops them.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "2420"
down_revision = "2500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("categories", "service_attributes"):
        op.add_column(table, sa.Column("translations", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")))
        op.create_check_constraint(op.f(f"ck_{table}_translations_object"), table, "jsonb_typeof(translations) = 'object'")
    op.add_column("jurisdictions", sa.Column("sign_language_video", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("jurisdictions", "sign_language_video")
    for table in ("service_attributes", "categories"):
        op.drop_constraint(op.f(f"ck_{table}_translations_object"), table, type_="check")
        op.drop_column(table, "translations")
