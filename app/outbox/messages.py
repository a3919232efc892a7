"""Turning an outbox row into the e-mail (or webhook call) it stands for, when it is sent.

Each feature registers a builder per message kind with ``@message_builder(kind)``;
builders read recipients from the database at send time (the outbox and the queue
hold ids only) and return None when there is nobody (left) to send to.

Mails to citizens (kinds in ``CITIZEN_KINDS``, or registered with
``audience="citizen"``) about a report carry an unsubscribe link that works without
login, plus ``List-Unsubscribe`` headers (RFC 2369/8058); right before sending, an
address that unsubscribed from the report is skipped whatever the kind, except the
opt-in mail of a new request (``opt_in=True``), which asks exactly that address whether
it wants this report's mail again.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from typing import Callable

from flask import current_app, render_template

from app.outbox.models import OutboxMessage

Builder = Callable[[OutboxMessage], EmailMessage | None]
SkipRule = Callable[[OutboxMessage], str | None]
_BUILDERS: dict[str, Builder] = {}
_SKIP_RULES: list[SkipRule] = []
_WEBHOOK_BUILDERS: dict[str, Callable[[OutboxMessage], "WebhookCall | None"]] = {}

# Citizen mails about one report (payload has ``report_id``): unsubscribe footer + check.
CITIZEN_KINDS: set[str] = {"confirm_email", "status_changed"}
# Double opt-in requests among them: sent even to an address that unsubscribed from the report.
OPT_IN_KINDS: set[str] = set()


def message_builder(kind: str, audience: str = "", opt_in: bool = False) -> Callable[[Builder], Builder]:
    """Register the mail builder of ``kind``; ``audience="citizen"`` adds unsubscribe handling.

    ``opt_in=True`` marks a confirmation request: an earlier unsubscribe from the report
    does not stop it (the request is newer), and the feature lifts that unsubscribe only
    when the address owner confirms.
    """
    def register(func: Builder) -> Builder:
        _BUILDERS[kind] = func
        if audience == "citizen":
            CITIZEN_KINDS.add(kind)
        if opt_in:
            OPT_IN_KINDS.add(kind)
        return func
    return register


def skip_rule(func: SkipRule) -> SkipRule:
    """Register a check run before building any message; a returned reason cancels it."""
    _SKIP_RULES.append(func)
    return func


@dataclass
class WebhookCall:
    url: str
    secret: str
    event: str
    payload: dict


def webhook_builder(kind: str):
    """Register the builder of a webhook message (channel 'webhook') of ``kind``."""
    def register(func):
        _WEBHOOK_BUILDERS[kind] = func
        return func
    return register


def message_id_for(message: OutboxMessage) -> str:
    """The Message-ID of an outbox row: the same on every try, so a receiving system that
    suppresses duplicates by Message-ID folds a resend (see workers/delivery.py)."""
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<outbox-{message.id}@{domain}>"


def _unsubscribe_url(message: OutboxMessage, to: str) -> str | None:
    if message.kind not in CITIZEN_KINDS or not message.payload.get("report_id"):
        return None
    from app.followers.tokens import unsubscribe_token
    from app.urls import absolute_url

    return absolute_url("followers.unsubscribe", token=unsubscribe_token(message.payload["report_id"], to))


def sender_address(mail_from: str) -> Address:
    """``MAIL_FROM`` ("Name <addr>") as one structured address."""
    name, addr = parseaddr(mail_from)
    return Address(display_name=name, addr_spec=addr)


def recipient_address(to: str) -> Address:
    """``to`` as exactly one structured mailbox: a stored value with a comma, a second
    address or a line break raises ``ValueError`` instead of becoming another recipient or
    a header. The message does not repeat the address (it ends up in logs)."""
    try:
        return Address(addr_spec=to)
    except (ValueError, IndexError):
        raise ValueError("recipient is not one valid e-mail address") from None


def compose_email(to: str, subject: str, template: str, message: OutboxMessage, **context) -> EmailMessage:
    """A plain-text + HTML mail from ``templates/mail/<template>.{txt,html}``.

    Every header is derived from the outbox row (Message-ID, Date), so building the
    same row twice gives the same mail.
    """
    email = EmailMessage()
    email["From"] = sender_address(current_app.config["MAIL_FROM"])
    email["To"] = recipient_address(to)
    email["Subject"] = subject
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=True) if message.created_at \
        else formatdate(localtime=True)
    email["Message-ID"] = message_id_for(message)
    email["Auto-Submitted"] = "auto-generated"
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    unsubscribe_url = _unsubscribe_url(message, to)
    if unsubscribe_url:
        email["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        footer_context = {"unsubscribe_url": unsubscribe_url, "locale": context.get("locale", "de")}
        text = text.rstrip("\n") + "\n\n" + render_template("mail/_unsubscribe_footer.txt", **footer_context)
        footer = render_template("mail/_unsubscribe_footer.html", **footer_context)
        html = html.replace("</body>", footer + "</body>", 1) if "</body>" in html else html + footer
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email


def skip_reason(message: OutboxMessage) -> str | None:
    for rule in _SKIP_RULES:
        reason = rule(message)
        if reason:
            return reason
    return None


def build_message(message: OutboxMessage) -> EmailMessage | None:
    """The e-mail for ``message``, or None if there is nobody (left) to send it to."""
    builder = _BUILDERS.get(message.kind)
    if builder is None:
        raise ValueError(f"unknown outbox message kind {message.kind!r}")
    if skip_reason(message):
        return None
    return builder(message)


def prepare(message: OutboxMessage, unsubscribed: set[tuple[int, str]] | None = None
            ) -> tuple[EmailMessage | WebhookCall | None, str]:
    """What to deliver for ``message`` and, if nothing, why (for the admin page).

    ``unsubscribed`` may hold the (report id, address digest) pairs of the batch's
    reports, loaded at once; without it the database is asked per mail.
    """
    reason = skip_reason(message)
    if reason:
        return None, reason
    if message.channel == "webhook":
        builder = _WEBHOOK_BUILDERS.get(message.kind)
        if builder is None:
            raise ValueError(f"unknown webhook message kind {message.kind!r}")
        call = builder(message)
        return call, "" if call else "no webhook configured"
    builder = _BUILDERS.get(message.kind)
    if builder is None:
        raise ValueError(f"unknown outbox message kind {message.kind!r}")
    email = builder(message)
    if email is None:
        return None, "no recipient"
    if message.kind in CITIZEN_KINDS and message.kind not in OPT_IN_KINDS and message.payload.get("report_id"):
        from app.followers.operations import is_unsubscribed
        from app.followers.tokens import email_digest

        report_id = message.payload["report_id"]
        recipients = [address for _name, address in getaddresses(email.get_all("To", []))]
        if unsubscribed is not None:
            gone = any((report_id, email_digest(address)[:32]) in unsubscribed for address in recipients)
        else:
            gone = any(is_unsubscribed(report_id, address) for address in recipients)
        if gone:
            return None, "unsubscribed"
    return email, ""
