"""Turning an outbox row into the e-mail it stands for (rendered when sent).

Each feature registers a builder per message kind with ``@message_builder(kind)``;
builders read recipients from the database at send time (the outbox and the queue
hold ids only) and return None when there is nobody (left) to send to.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from typing import Callable

from flask import current_app, render_template

from app.outbox.models import OutboxMessage

Builder = Callable[[OutboxMessage], EmailMessage | None]
_BUILDERS: dict[str, Builder] = {}


def message_builder(kind: str) -> Callable[[Builder], Builder]:
    def register(func: Builder) -> Builder:
        _BUILDERS[kind] = func
        return func
    return register


def compose_email(to: str, subject: str, template: str, message: OutboxMessage, **context) -> EmailMessage:
    """A plain-text + HTML mail from ``templates/mail/<template>.{txt,html}``."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=True)
    # Stable per outbox row: if a message is ever delivered twice, mail clients fold it.
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(render_template(f"mail/{template}.txt", **context))
    email.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return email


def build_message(message: OutboxMessage) -> EmailMessage | None:
    """The e-mail for ``message``, or None if there is nobody to send it to."""
    builder = _BUILDERS.get(message.kind)
    if builder is None:
        raise ValueError(f"unknown outbox message kind {message.kind!r}")
    return builder(message)
