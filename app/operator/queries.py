"""What the operator sees of each town: counts only, never a citizen's text or address."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.db import db
from app.jurisdictions.models import Jurisdiction, JurisdictionHost
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.status import OPEN_STATUSES
from app.staff.models import StaffUser


@dataclass
class TownHealth:
    id: int
    slug: str
    name: str
    hosts: list[str]
    retired_at: datetime | None
    reports: int = 0
    open_reports: int = 0
    staff: int = 0
    mails: dict[str, int] = field(default_factory=dict)   # outbox state -> count


@dataclass
class Installation:
    towns: list[TownHealth]
    queues: dict[str, dict[str, int]]
    workers: int
    redis_up: bool
    disk_free_bytes: int | None
    disk_total_bytes: int | None


def _grouped(query) -> dict:
    result: dict = {}
    for town_id, key, count in db.session.execute(query):
        result.setdefault(town_id, {})[key] = count
    return result


def town_health() -> Installation:
    """Every town with its hosts, report and account counts and its mails by state; the RQ
    queues, workers and the free space where photos are stored (when that is a directory)."""
    from app.ops.queries import queue_stats

    towns = {j.id: TownHealth(j.id, j.slug, j.name, [], j.retired_at)
             for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.name))}
    for host, town_id in db.session.execute(select(JurisdictionHost.host, JurisdictionHost.jurisdiction_id)
                                            .order_by(JurisdictionHost.position, JurisdictionHost.host)):
        towns[town_id].hosts.append(host)
    is_open = Report.status.in_(OPEN_STATUSES)
    for town_id, count, open_count in db.session.execute(
            select(Report.jurisdiction_id, func.count(), func.count().filter(is_open)).group_by(Report.jurisdiction_id)):
        towns[town_id].reports, towns[town_id].open_reports = count, open_count
    for town_id, count in db.session.execute(select(StaffUser.jurisdiction_id, func.count())
                                             .where(StaffUser.active, StaffUser.jurisdiction_id.is_not(None))
                                             .group_by(StaffUser.jurisdiction_id)):
        towns[town_id].staff = count
    default_id = next((t.id for t in towns.values() if t.slug == current_app.config["DEFAULT_JURISDICTION"]), None)
    for town_id, states in _grouped(select(OutboxMessage.jurisdiction_id, OutboxMessage.state, func.count())
                                    .where(OutboxMessage.state != "sent")
                                    .group_by(OutboxMessage.jurisdiction_id, OutboxMessage.state)).items():
        town = towns.get(town_id if town_id is not None else default_id)
        if town is not None:
            for state, count in states.items():
                town.mails[state] = town.mails.get(state, 0) + count
    stats = queue_stats()
    free = total = None
    media = str(current_app.config["MEDIA_STORAGE_URL"])
    if "://" not in media:
        try:
            usage = shutil.disk_usage(media)
            free, total = usage.free, usage.total
        except OSError:
            pass
    return Installation(list(towns.values()), stats.queues, stats.workers, stats.redis_up, free, total)
