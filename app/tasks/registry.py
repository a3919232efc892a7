"""Periodic jobs that features register with the scheduler."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app


@dataclass(frozen=True)
class Task:
    """A job the scheduler enqueues once per ``period`` seconds.

    The slot is ``floor((epoch - offset) / period)``: e.g. ``offset`` 2 h into a day of
    ``period`` 86400 runs it once a day after 02:00 UTC. ``job`` is a module-level
    function without arguments, safe to run twice.
    """

    name: str
    job: Callable[[], object]
    period: int
    offset: int = 0


def register_tasks(app: Flask, *tasks: Task) -> None:
    registered: dict[str, Task] = app.extensions.setdefault("tasks.scheduled", {})
    for task in tasks:
        if registered.get(task.name, task) != task:
            raise ValueError(f"scheduled task {task.name!r} is registered twice")
        registered[task.name] = task


def scheduled_tasks() -> list[Task]:
    return list(current_app.extensions.get("tasks.scheduled", {}).values())
