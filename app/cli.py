"""`flask` commands: migrations, demo data, worker (the relay sweep is `flask scheduler`)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from app.config import PROJECT_ROOT


def run_migrations(url: str, revision: str = "heads") -> None:
    """Upgrade the database at ``url`` with Alembic (used by the CLI and the tests)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


def init_app(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply every pending migration."""
        run_migrations(current_app.config["SQLALCHEMY_DATABASE_URI"])
        click.echo("database is up to date")

    @app.cli.command("demo-load")
    def demo_load():
        """Load the Harsewinkel demo data (does nothing if it is already there)."""
        from app.demo.load import load_demo

        click.echo(load_demo())

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--with-scheduler/--without-scheduler", default=True,
                  help="Also run RQ's scheduler (retries with a delay need it).")
    def worker(burst: bool, with_scheduler: bool):
        """Run an RQ worker inside the app context.

        A non-forking worker: a forked child per job would re-import the app's heavy
        libraries (about 1.4 jobs/s instead of hundreds). SIGTERM finishes the
        current job and then stops (warm shutdown).
        """
        from rq import SimpleWorker
        from rq.serializers import JSONSerializer

        from workers.queue import QUEUES, get_queue, redis

        queues = [get_queue(name) for name in QUEUES]
        SimpleWorker(queues, connection=redis(), serializer=JSONSerializer).work(
            burst=burst, with_scheduler=with_scheduler, logging_level=current_app.config["LOG_LEVEL"])
