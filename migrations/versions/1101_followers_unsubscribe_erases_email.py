"""Followers: unfollowing a report erases the e-mail address at once, also of rows unfollowed before

Revision ID: 1101
Revises: 1100
Create Date: 2026-11-26 10:00:00

Until now a follower who unsubscribed kept the e-mail address until the retention job
deleted the row with the report's other personal data, up to 90 days after the report
was closed. Nothing is sent to an unsubscribed follower, so the address is no longer
needed (DSGVO Art. 5(1)(c), (e)); area alerts already erase it on unsubscribing (0601).
``followers.email`` becomes nullable, a check keeps it set on every row that can still
get mail, and rows unsubscribed before this revision are erased here the way
``app.followers.operations.unsubscribe`` now erases them. The rows stay (without the
address they identify no one) so that the opt-in links in old mails answer
"unsubscribed". The unique (report_id, email) constraint stays: NULLs do not collide.

Downgrade: the erased addresses cannot come back and the old column refuses NULL, so
erased rows are deleted (their opt-in links then answer like unknown links, as after
retention; the unsubscribe entries that keep mail away stay in mail_unsubscribes).
"""
import sqlalchemy as sa
from alembic import op

revision = "1101"
down_revision = "1100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("followers", "email", existing_type=sa.String(320), nullable=True)
    op.execute("UPDATE followers SET email = NULL WHERE unsubscribed_at IS NOT NULL")
    op.create_check_constraint(op.f("ck_followers_email"), "followers", "email IS NOT NULL OR unsubscribed_at IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_followers_email"), "followers", type_="check")
    op.execute("DELETE FROM followers WHERE email IS NULL")
    op.alter_column("followers", "email", existing_type=sa.String(320), nullable=False)
