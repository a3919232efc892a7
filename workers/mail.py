"""Sending e-mail over SMTP, with TLS and authentication as configured.

``MailSession`` keeps one connection for a batch of messages and speaks the SMTP
transaction step by step, so the caller can record "sent" at the exact moment the
message becomes irrevocable: right after the final "." of DATA is written and
before the server's answer is read (see app/outbox/delivery.py for why).
"""
from __future__ import annotations

import email.generator
import io
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Callable, Mapping

_LEADING_DOT = re.compile(rb"(?m)^\.")


class MailError(Exception):
    """The SMTP server could not be reached or refused the message.

    ``permanent`` is True for a 5xx answer (retrying will not help);
    ``after_commit_point`` is True when the final "." had already been sent.
    """  # noqa: D401

    def __init__(self, text: str, permanent: bool = False, after_commit_point: bool = False,
                 connection_failed: bool = False, ambiguous: bool = False):
        super().__init__(text)
        self.permanent = permanent
        self.after_commit_point = after_commit_point
        self.connection_failed = connection_failed
        # The connection broke after the final "." without an answer: the server may
        # or may not have taken the message.
        self.ambiguous = ambiguous


def _flatten(message: EmailMessage, utf8: bool) -> bytes:
    policy = message.policy.clone(linesep="\r\n", utf8=utf8)
    buffer = io.BytesIO()
    email.generator.BytesGenerator(buffer, policy=policy).flatten(message, linesep="\r\n")
    data = buffer.getvalue()
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def envelope(message: EmailMessage, config: Mapping) -> tuple[str, list[str]]:
    sender = parseaddr(str(config["MAIL_FROM"]))[1]
    recipients: list[str] = []
    for header in message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", []):
        # Messages built by the app carry structured address headers (email.headerregistry):
        # take their mailboxes as parsed when built, not a re-parse of the folded text.
        addresses = getattr(header, "addresses", None)
        if addresses is not None:
            recipients += [address.addr_spec for address in addresses]
        else:
            recipients += [address for _name, address in getaddresses([str(header)])]
    return sender, [r for r in recipients if r]


class MailSession:
    """One SMTP connection, opened on first use and reused for a batch of messages."""

    def __init__(self, config: Mapping):
        self.config = config
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        config = self.config
        host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), float(config["SMTP_TIMEOUT"])
        try:
            if config.get("SMTP_SSL"):
                client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(host, port, timeout=timeout)
            client.ehlo_or_helo_if_needed()
            if config.get("SMTP_STARTTLS") and not config.get("SMTP_SSL"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if config.get("SMTP_USER"):
                client.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            # The message and its final "." go out as two writes; with Nagle's algorithm
            # the second waits for the server's delayed ACK of the first (~40 ms a mail).
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}", connection_failed=True) from exc
        self.client = client
        return client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None

    def _drop(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def _expect(self, reply: tuple[int, bytes], ok: tuple[int, ...], step: str) -> None:
        code, text = reply
        if code in ok:
            return
        try:
            self.client.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()
        # The error text names the server's answer and the step, never the recipient.
        raise MailError(f"{step}: {code} {text.decode(errors='replace')[:300]}", permanent=500 <= code < 600)

    def send(self, message: EmailMessage, on_commit_point: Callable[[], None] | None = None) -> None:
        """Deliver ``message``; ``on_commit_point`` runs right after the final "." is written.

        Raises ``MailError``.
        """
        client = self._connect()
        sender, recipients = envelope(message, self.config)
        if not recipients:
            raise MailError("message has no recipient", permanent=True)
        utf8 = not all(address.isascii() for address in recipients)
        options = []
        if utf8:
            if not client.has_extn("smtputf8"):
                raise MailError("recipient needs SMTPUTF8, which the server does not offer", permanent=True)
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        data = _LEADING_DOT.sub(b"..", _flatten(message, utf8))
        committed = False
        try:
            self._expect(client.mail(sender, options), (250,), "MAIL FROM")
            for recipient in recipients:
                self._expect(client.rcpt(recipient), (250, 251), "RCPT TO")
            self._expect(client.docmd("DATA"), (354,), "DATA")
            client.send(data)
            # The server accepts the message when it reads this line, not before: a
            # connection lost until here means the message was discarded.
            client.send(b".\r\n")
            committed = True
            if on_commit_point is not None:
                on_commit_point()
            code, text = client.getreply()
            if code != 250:
                raise MailError(f"end of DATA: {code} {text.decode(errors='replace')[:300]}",
                                permanent=500 <= code < 600, after_commit_point=True)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise MailError(f"{type(exc).__name__}: {exc}", after_commit_point=committed, ambiguous=committed) from exc


def send_email(message: EmailMessage, config: Mapping) -> None:
    """Deliver one ``message`` on its own connection; raises ``MailError``."""
    session = MailSession(config)
    try:
        session.send(message)
    finally:
        session.close()
