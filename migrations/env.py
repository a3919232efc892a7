"""Alembic environment, wired with GeoAlchemy2's helpers.

The URL comes from ``config.attributes["url"]`` (set by the app's CLI and the
tests) or from DATABASE_URL. Revision files never import app models; only
autogenerate compares against the app's metadata.
"""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _target_metadata():
    if not context.config.cmd_opts or not getattr(context.config.cmd_opts, "autogenerate", False):
        return None
    import app.models  # noqa: F401  (registers every table on the metadata)
    from app.db import Base

    return Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS and pg_trgm own these; autogenerate must not try to drop them.
    if type_ == "table" and name in {"spatial_ref_sys", "topology", "layer"}:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _url() -> str:
    return config.attributes.get("url") or os.environ["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=_target_metadata(), literal_binds=True,
                      include_object=_include_object, render_item=alembic_helpers.render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = create_engine(_url(), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        include_object=_include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
