"""The SQLAlchemy handle, created unbound and bound in ``create_app``."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

# Fixed constraint names, so Alembic never has to invent (and later guess) them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def on_rollback(callback) -> None:
    """Run ``callback`` if the current transaction rolls back (e.g. delete stored files)."""
    db.session.info.setdefault("on_rollback", []).append(callback)


def _run_rollback_callbacks(session, *_args) -> None:
    for callback in session.info.pop("on_rollback", []):
        callback()


def _forget_rollback_callbacks(session, *_args) -> None:
    session.info.pop("on_rollback", None)


def install_session_hooks() -> None:
    from flask_sqlalchemy.session import Session as FlaskSession
    from sqlalchemy import event

    if not event.contains(FlaskSession, "after_rollback", _run_rollback_callbacks):
        event.listen(FlaskSession, "after_rollback", _run_rollback_callbacks)
        event.listen(FlaskSession, "after_commit", _forget_rollback_callbacks)


def close_session_quietly(_exc: BaseException | None = None) -> None:
    """End the request's session even if its connection died after the last statement.

    Flask-SQLAlchemy's own teardown rolls back on a connection the database may just have
    cut (restart, failover); the error would escape the request after its answer was made
    and turn it into a 500. The first try invalidates the dead connection, the second
    closes the session cleanly. Registered after Flask-SQLAlchemy, so it runs first.
    """
    try:
        db.session.remove()
    except Exception as exc:  # noqa: BLE001 - a failed cleanup must not fail the answer
        log.warning("closing the database session failed (%s); connection dropped", type(exc).__name__)
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001
            db.session.registry.clear()

