"""Queue names, the Redis connection and the retry policy, in one place."""
from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

# Queue names, most urgent first: a worker drains "mail" before "default".
QUEUE_MAIL = "mail"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_MAIL, QUEUE_DEFAULT)

# Retries of a message whose channel failed (SMTP refused, webhook down) are kept in
# the outbox row itself (attempts, next_attempt_at; settings OUTBOX_MAX_ATTEMPTS,
# OUTBOX_RETRY_BASE_SECONDS, OUTBOX_RETRY_CAP_SECONDS in workers/settings.py): after the
# last try the row is parked as "failed" for an admin. RQ's own Retry is only for
# the scheduled jobs below, which are idempotent.
RETRY_INTERVALS = [10, 30, 120, 600, 1800]


def retry_policy() -> Retry:
    return Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)


def connect(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def init_app(app: Flask) -> None:
    from workers import settings

    settings.init_app(app)
    app.extensions["redis"] = connect(app.config["REDIS_URL"])


def redis() -> Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = QUEUE_DEFAULT, connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or redis(), serializer=JSONSerializer)
