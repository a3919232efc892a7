"""Background work: the RQ worker and the scheduler that starts periodic jobs.

Features register their periodic jobs here from their own ``init_app``
(``register_tasks(app, Task(...))``); ``flask scheduler`` enqueues each once per time
slot, ``flask worker`` runs them. The jobs themselves live in the features.
"""
from __future__ import annotations

from flask import Flask

from app.tasks.registry import Task, register_tasks, scheduled_tasks

__all__ = ["Task", "register_tasks", "scheduled_tasks", "init_app"]


def init_app(app: Flask) -> None:
    """Register ``flask worker`` and ``flask scheduler``."""
    from app.tasks import cli

    cli.init_app(app)
