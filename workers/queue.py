"""Queue names and the Redis connection, in one place."""
from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

# Queue names, most urgent first: a worker drains "mail" before "default".
QUEUE_MAIL = "mail"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_MAIL, QUEUE_DEFAULT)

# Retries of a message whose channel failed (SMTP refused, webhook down) are kept in
# the outbox row itself (attempts, next_attempt_at; settings OUTBOX_MAX_ATTEMPTS,
# OUTBOX_RETRY_BASE_SECONDS, OUTBOX_RETRY_CAP_SECONDS in app/config.py): after the
# last try the row is parked as "failed" for an admin. RQ's own Retry is
# not used: a lost or repeated job cannot change how often a message is sent.


def connect(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def init_app(app: Flask) -> None:
    app.extensions["redis"] = connect(app.config["REDIS_URL"])


def redis() -> Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = QUEUE_DEFAULT, connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or redis(), serializer=JSONSerializer)
