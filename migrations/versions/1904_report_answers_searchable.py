"""Answers to a category's extra questions in words, searchable in the staff queue (issue 19 point 8)

``report_attribute_values.answer_text`` holds each answer as staff read it: a choice by its
German name (not its key), several choices joined with ", ". A trigram index serves the
queue's text search ("Mast 12-034", "flackert"), as the description and address are served
since revision 0800. Existing answers are written out here in SQL.

Revision ID: 1904
Revises: 1903
Create Date: 2026-12-06 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "1904"
down_revision = "1903"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_attribute_values",
                  sa.Column("answer_text", sa.Text(), nullable=False, server_default=""))
    op.execute("""
        UPDATE report_attribute_values rav SET answer_text = CASE
          WHEN jsonb_typeof(rav.value) = 'array' THEN coalesce((
            SELECT string_agg(coalesce((SELECT v ->> 'name' FROM jsonb_array_elements(sa.values) v
                                        WHERE v ->> 'key' = e #>> '{}' LIMIT 1), e #>> '{}'), ', ' ORDER BY ord)
            FROM jsonb_array_elements(rav.value) WITH ORDINALITY AS x(e, ord)), '')
          ELSE coalesce((SELECT v ->> 'name' FROM jsonb_array_elements(sa.values) v
                         WHERE v ->> 'key' = rav.value #>> '{}' LIMIT 1), rav.value #>> '{}', '')
        END
        FROM service_attributes sa WHERE sa.id = rav.attribute_id
    """)
    op.execute("CREATE INDEX ix_report_attribute_values_answer_text_trgm ON report_attribute_values "
               "USING gin (answer_text gin_trgm_ops)")


def downgrade() -> None:
    op.drop_index("ix_report_attribute_values_answer_text_trgm", table_name="report_attribute_values")
    op.drop_column("report_attribute_values", "answer_text")
