"""Subscriptions to area alerts (double opt-in, unsubscribe by token)."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.models import Area


class AlertSubscription(db.Model):
    """Someone who wants mail about reports in an Ortsteil (``area_id``) or within
    ``radius_m`` of ``center``. Nothing is sent before ``confirmed_at`` is set, and
    nothing after ``unsubscribed_at``. ``token`` is the secret in every link.

    Unsubscribing erases the e-mail address and the place (address, centre, radius,
    Ortsteil) at once; what stays answers the links in old mails and nothing else
    (``app.alerts.operations.unsubscribe``)."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        # A place is needed while the subscription can still send; an unsubscribed row has none (revision 0601).
        CheckConstraint("unsubscribed_at IS NOT NULL OR area_id IS NOT NULL "
                        "OR (center IS NOT NULL AND radius_m IS NOT NULL)", name="where"),
        CheckConstraint("radius_m IS NULL OR (radius_m BETWEEN 50 AND 5000)", name="radius"),
        CheckConstraint("notify_new OR notify_fixed", name="events"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    center: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    radius_m: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(300))
    # Empty means every category.
    category_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    notify_new: Mapped[bool] = mapped_column(default=True)
    notify_fixed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]

    area: Mapped[Area | None] = relationship()

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
