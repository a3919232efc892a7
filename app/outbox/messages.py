"""Turning an outbox row into the e-mail (or webhook call) it stands for, when it is sent.

The outbox knows no feature. Each feature registers, in its own ``init_app``, the kinds
of message it records (``register_messages``), and optionally:

* a *skip rule* (``register_skip_rule``): a check run before any message is built; a
  returned reason cancels it (a department in digest mode gets no single mails);
* a *prefetch* hook (``register_prefetch``): loads, for a whole delivery batch, what the
  feature's builders will ask for, so a batch costs a few queries instead of several per
  mail;
* the *unsubscribe handler* (``register_unsubscribes``): the link every citizen mail
  about a report carries, and the check right before sending whether the address asked
  for no more mail about that report.

Builders read recipients from the database at send time (the outbox and the queue hold
ids only) and return None when there is nobody (left) to send to. Mails to citizens
about one report (``Message(citizen=True)``, payload with ``report_id``) carry an
unsubscribe link that works without login, plus ``List-Unsubscribe`` headers (RFC
2369/8058); right before sending, an address that unsubscribed from the report is
skipped, except for a double opt-in request (``opt_in=True``), which asks exactly that
address whether it wants this report's mail again. docs/DEVELOPING.md shows a feature
adding a message kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from typing import Callable, Protocol

from flask import Flask, current_app, render_template

from app.outbox.models import OutboxMessage

Builder = Callable[[OutboxMessage], "EmailMessage | WebhookCall | None"]
SkipRule = Callable[[OutboxMessage], "str | None"]
# Called with a batch's messages and a dict it may fill; the dict (and the objects in it,
# which keep the session's identity map warm) lives as long as the batch.
Prefetch = Callable[[list[OutboxMessage], dict], None]


@dataclass(frozen=True)
class Message:
    """One kind of message a feature sends.

    ``citizen``: a mail to a citizen about one report (unsubscribe link and check);
    ``opt_in``: a confirmation request, sent even to an address that unsubscribed from the
    report (the request is newer; the feature lifts the unsubscribe only when the address
    owner confirms); ``channel``: "email" or "webhook" (the builder returns a ``WebhookCall``).
    """

    kind: str
    build: Builder
    citizen: bool = False
    opt_in: bool = False
    channel: str = "email"


@dataclass
class WebhookCall:
    url: str
    secret: str
    event: str
    payload: dict


class Unsubscribes(Protocol):
    """What the outbox asks about unsubscribing; one feature provides it."""

    def link(self, report_id: int, address: str) -> str:
        """The absolute URL that stops mail about ``report_id`` to ``address``."""

    def blocked(self, report_id: int, addresses: list[str], prefetched: dict) -> bool:
        """Whether one of ``addresses`` asked for no more mail about ``report_id``."""


@dataclass
class Registry:
    messages: dict[str, Message] = field(default_factory=dict)
    skip_rules: list[SkipRule] = field(default_factory=list)
    prefetchers: list[Prefetch] = field(default_factory=list)
    unsubscribes: Unsubscribes | None = None
    # Who mails come from (the town's profile, registered by app.branding); None: MAIL_FROM.
    sender: Callable[[], Address] | None = None


def _registry(app: Flask | None = None) -> Registry:
    app = app or current_app
    return app.extensions.setdefault("outbox.registry", Registry())


def register_messages(app: Flask, *messages: Message) -> None:
    """Register the message kinds of a feature; a kind belongs to one feature only."""
    registry = _registry(app)
    for message in messages:
        if registry.messages.get(message.kind, message) is not message:
            raise ValueError(f"outbox message kind {message.kind!r} is registered twice")
        registry.messages[message.kind] = message


def register_skip_rule(app: Flask, rule: SkipRule) -> None:
    if rule not in _registry(app).skip_rules:
        _registry(app).skip_rules.append(rule)


def register_prefetch(app: Flask, hook: Prefetch) -> None:
    if hook not in _registry(app).prefetchers:
        _registry(app).prefetchers.append(hook)


def register_unsubscribes(app: Flask, handler: Unsubscribes) -> None:
    _registry(app).unsubscribes = handler


def register_sender(app: Flask, sender: Callable[[], Address]) -> None:
    """Mails come from ``sender()`` (the town's name and address) instead of ``MAIL_FROM``."""
    _registry(app).sender = sender


def prefetch(messages: list[OutboxMessage]) -> dict:
    """Run every feature's prefetch hook for a delivery batch; returns what they loaded."""
    prefetched: dict = {}
    for hook in _registry().prefetchers:
        hook(messages, prefetched)
    return prefetched


def message_id_for(message: OutboxMessage) -> str:
    """The Message-ID of an outbox row: the same on every try, so a receiving system that
    suppresses duplicates by Message-ID folds a resend (see app/outbox/delivery.py)."""
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<outbox-{message.id}@{domain}>"


def _unsubscribe_url(message: OutboxMessage, to: str) -> str | None:
    registry = _registry()
    kind = registry.messages.get(message.kind)
    if kind is None or not kind.citizen or not message.payload.get("report_id") or registry.unsubscribes is None:
        return None
    return registry.unsubscribes.link(message.payload["report_id"], to)


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


def compose_email(to: str | list[str], subject: str, template: str, message: OutboxMessage,
                  **context) -> EmailMessage:
    """A plain-text + HTML mail from ``templates/mail/<template>.{txt,html}``.

    ``to``: one address, or a list (a department's addresses: each gets the mail). Every header
    is derived from the outbox row (Message-ID, Date), so building the same row twice gives the
    same mail.
    """
    addresses = [to] if isinstance(to, str) else list(to)
    if not addresses:
        raise ValueError("no recipient")
    sender = _registry().sender
    email = EmailMessage()
    email["From"] = sender() if sender is not None else sender_address(current_app.config["MAIL_FROM"])
    email["To"] = [recipient_address(address) for address in addresses]
    email["Subject"] = subject
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=True) if message.created_at \
        else formatdate(localtime=True)
    email["Message-ID"] = message_id_for(message)
    email["Auto-Submitted"] = "auto-generated"
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    unsubscribe_url = _unsubscribe_url(message, addresses[0]) if len(addresses) == 1 else None
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
    for rule in _registry().skip_rules:
        reason = rule(message)
        if reason:
            return reason
    return None


def _kind(message: OutboxMessage) -> Message:
    kind = _registry().messages.get(message.kind)
    if kind is None or kind.channel != message.channel:
        raise ValueError(f"unknown outbox message kind {message.kind!r} on channel {message.channel!r}")
    return kind


def build_message(message: OutboxMessage) -> EmailMessage | WebhookCall | None:
    """The e-mail (or webhook call) for ``message``, or None if there is nobody (left) to send it to."""
    kind = _kind(message)
    if skip_reason(message):
        return None
    return kind.build(message)


def prepare(message: OutboxMessage, prefetched: dict | None = None
            ) -> tuple[EmailMessage | WebhookCall | None, str]:
    """What to deliver for ``message`` and, if nothing, why (for the admin page).

    ``prefetched`` is what the batch's prefetch hooks loaded (``prefetch``); without it
    the unsubscribe check asks the database per mail.
    """
    reason = skip_reason(message)
    if reason:
        return None, reason
    kind = _kind(message)
    built = kind.build(message)
    if built is None:
        return None, "no webhook configured" if kind.channel == "webhook" else "no recipient"
    registry = _registry()
    if kind.citizen and not kind.opt_in and message.payload.get("report_id") and registry.unsubscribes is not None:
        recipients = [address for _name, address in getaddresses(built.get_all("To", []))]
        if registry.unsubscribes.blocked(message.payload["report_id"], recipients, prefetched or {}):
            return None, "unsubscribed"
    return built, ""
