"""Sending e-mail over SMTP, with TLS and authentication as configured."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Mapping


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def send_email(message: EmailMessage, config: Mapping) -> None:
    """Deliver ``message`` to the configured SMTP server; raises ``MailError``."""
    host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), float(config["SMTP_TIMEOUT"])
    try:
        if config.get("SMTP_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if config.get("SMTP_STARTTLS") and not config.get("SMTP_SSL"):
                client.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                client.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # The exception text names the server's answer, never the recipient.
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
