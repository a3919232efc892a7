"""Area alerts: unsubscribing erases the place (address, centre, radius, Ortsteil), also of rows unsubscribed before

Revision ID: 0601
Revises: 0600
Create Date: 2026-11-25 10:00:00

Until now an unsubscribed area alert lost only its e-mail address; the typed address
and the centre point of a radius subscription stayed, and they say where the person
lives. The ``where`` check demanded a place on every row, so it now demands one only
while the row is not unsubscribed; rows unsubscribed before this revision are erased
here the way ``app.alerts.operations.unsubscribe`` now erases them.

Downgrade: the erased places cannot come back, and the old check would refuse rows
without one, so unsubscribed rows that have no place left are deleted (their links
then answer like unknown links, as after retention).
"""
from alembic import op

revision = "0601"
down_revision = "0600"
branch_labels = None
depends_on = None

_OLD_WHERE = "area_id IS NOT NULL OR (center IS NOT NULL AND radius_m IS NOT NULL)"
_NEW_WHERE = "unsubscribed_at IS NOT NULL OR area_id IS NOT NULL OR (center IS NOT NULL AND radius_m IS NOT NULL)"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_alert_subscriptions_where"), "alert_subscriptions", type_="check")
    op.execute("UPDATE alert_subscriptions SET email = '', address = NULL, center = NULL, radius_m = NULL, "
               "area_id = NULL, category_ids = '{}' WHERE unsubscribed_at IS NOT NULL")
    op.create_check_constraint(op.f("ck_alert_subscriptions_where"), "alert_subscriptions", _NEW_WHERE)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_alert_subscriptions_where"), "alert_subscriptions", type_="check")
    op.execute(f"DELETE FROM alert_subscriptions WHERE NOT ({_OLD_WHERE})")
    op.create_check_constraint(op.f("ck_alert_subscriptions_where"), "alert_subscriptions", _OLD_WHERE)
