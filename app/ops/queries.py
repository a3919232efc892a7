"""Numbers about the outbox and the RQ queues, read for the admin page and /metrics."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, literal, or_, select, true

from app.db import db, utcnow
from app.outbox.models import OutboxMessage

STATES = ("pending", "sending", "sent", "failed", "cancelled")


@dataclass
class QueueStats:
    outbox: dict[str, int]
    due: int
    oldest_undelivered_at: datetime | None
    oldest_undelivered_id: int | None
    redis_up: bool
    queues: dict[str, dict[str, int]] = field(default_factory=dict)
    workers: int = 0

    @property
    def oldest_undelivered_age(self) -> float:
        return (utcnow() - self.oldest_undelivered_at).total_seconds() if self.oldest_undelivered_at else 0.0


def of_town(town_id: int | None):
    """Messages of one town (None: of every town). Rows without a town (recorded by a command
    outside any town) count as the default town's."""
    if town_id is None:
        return true()
    from app.jurisdictions.models import Jurisdiction

    default = select(Jurisdiction.id).where(Jurisdiction.slug == current_app.config["DEFAULT_JURISDICTION"])
    return or_(OutboxMessage.jurisdiction_id == town_id,
               OutboxMessage.jurisdiction_id.is_(None) & (literal(town_id).in_(default)))


def outbox_counts(town_id: int | None = None) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    counts.update(dict(db.session.execute(
        select(OutboxMessage.state, func.count()).where(of_town(town_id)).group_by(OutboxMessage.state)).all()))
    return counts


def queue_stats(town_id: int | None = None) -> QueueStats:
    """The outbox's figures (of one town, or of all) and the installation's RQ queues."""
    now = utcnow()
    oldest = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.created_at).where(of_town(town_id))
        .where(OutboxMessage.state.in_(("pending", "sending"))).order_by(OutboxMessage.id).limit(1)).first()
    due = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(of_town(town_id)).where(or_(
        (OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.lease_until < now)))) or 0
    stats = QueueStats(outbox=outbox_counts(town_id), due=due, oldest_undelivered_at=oldest.created_at if oldest else None,
                       oldest_undelivered_id=oldest.id if oldest else None, redis_up=False)
    try:
        from rq import Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        from workers.queue import QUEUES, get_queue, redis

        for name in QUEUES:
            queue = get_queue(name)
            stats.queues[name] = {
                "queued": queue.count,
                "started": StartedJobRegistry(queue=queue).count,
                "scheduled": ScheduledJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count,
            }
        stats.workers = Worker.count(connection=redis())
        stats.redis_up = True
    except Exception:  # Redis down: the page still shows the outbox, which lives in PostgreSQL
        stats.queues = {}
    return stats


def parked_messages(limit: int = 100, town_id: int | None = None) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == "failed", of_town(town_id))
                                   .order_by(OutboxMessage.failed_at.desc().nulls_last(), OutboxMessage.id.desc())
                                   .limit(limit)))


def retrying_messages(limit: int = 50, town_id: int | None = None) -> list[OutboxMessage]:
    """Pending messages that failed at least once (waiting for their next try)."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending",
                                                               OutboxMessage.attempts > 0, of_town(town_id))
                                   .order_by(OutboxMessage.next_attempt_at).limit(limit)))


def prometheus_text(stats: QueueStats) -> str:
    lines = [
        "# HELP mm_outbox_messages Outbox messages by state.",
        "# TYPE mm_outbox_messages gauge",
    ]
    lines += [f'mm_outbox_messages{{state="{state}"}} {count}' for state, count in sorted(stats.outbox.items())]
    lines += [
        "# HELP mm_outbox_due_messages Messages a worker could take now.",
        "# TYPE mm_outbox_due_messages gauge",
        f"mm_outbox_due_messages {stats.due}",
        "# HELP mm_outbox_oldest_undelivered_age_seconds Age of the oldest pending or sending message (0 if none).",
        "# TYPE mm_outbox_oldest_undelivered_age_seconds gauge",
        f"mm_outbox_oldest_undelivered_age_seconds {stats.oldest_undelivered_age:.3f}",
        "# HELP mm_redis_up Whether Redis answered.",
        "# TYPE mm_redis_up gauge",
        f"mm_redis_up {1 if stats.redis_up else 0}",
    ]
    if stats.redis_up:
        lines += ["# HELP mm_rq_jobs RQ jobs per queue and registry.", "# TYPE mm_rq_jobs gauge"]
        for queue, counts in sorted(stats.queues.items()):
            lines += [f'mm_rq_jobs{{queue="{queue}",registry="{kind}"}} {value}'
                      for kind, value in sorted(counts.items())]
        lines += ["# HELP mm_rq_workers RQ workers registered.", "# TYPE mm_rq_workers gauge",
                  f"mm_rq_workers {stats.workers}"]
    return "\n".join(lines) + "\n"
