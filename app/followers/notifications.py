"""Mails to followers: the double opt-in and the report's updates; and the unsubscribe link
and check that the outbox applies to every citizen mail about a report."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.db import db
from app.followers.models import Follower, MailUnsubscribe
from app.followers.operations import is_unsubscribed
from app.followers.tokens import email_digest, follow_token, unsubscribe_token
from app.i18n import supported_locale
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.reports.models import Report, StatusChange
from app.reports.status import STATUSES
from app.urls import absolute_url


def _follower(message: OutboxMessage) -> Follower | None:
    follower = db.session.get(Follower, message.payload.get("follower_id"))
    if follower is None or follower.report_id != message.payload.get("report_id"):
        return None
    return follower


def _visible(report: Report | None) -> bool:
    return report is not None and not report.hidden and report.status_info.public


# opt_in: someone who unfollowed (or unsubscribed as the reporter) and asks again gets this
# mail; the earlier unsubscribe ends only when they confirm (operations.confirm_follow).
def follow_confirm(message: OutboxMessage) -> EmailMessage | None:
    follower = _follower(message)
    if follower is None or follower.confirmed_at is not None or follower.unsubscribed_at is not None:
        return None
    report = follower.report
    if not _visible(report):
        return None
    with force_locale(locale := supported_locale(follower.locale)):
        subject = gettext("Bitte bestätigen: Neuigkeiten zur Meldung %(ref)s erhalten", ref=report.reference)
        return compose_email(follower.email, subject, "follow_confirm", message, locale=locale,
                             report=report, confirm_url=absolute_url("followers.confirm", token=follow_token(follower)),
                             report_url=absolute_url("public.short_report", reference=report.reference))


def follower_update(message: OutboxMessage) -> EmailMessage | None:
    follower = _follower(message)
    if follower is None or not follower.active:
        return None
    report = follower.report
    change = db.session.get(StatusChange, message.payload.get("status_change_id"))
    if change is None or change.report_id != report.id or not _visible(report):
        return None
    if report.reporter_email_confirmed and (report.reporter_email or "").lower() == follower.email:
        return None  # the reporter gets the same news in the reporter's own mail
    locale = supported_locale(follower.locale)
    with force_locale(locale):
        status_label = STATUSES[change.new_status].label(locale)
        subject = gettext("Meldung %(ref)s, der Sie folgen: %(status)s", ref=report.reference, status=status_label)
        return compose_email(follower.email, subject, "follower_update", message, locale=locale, report=report,
                             change=change, status_label=status_label,
                             report_url=absolute_url("public.short_report", reference=report.reference))


MESSAGES = (
    Message("follow_confirm", follow_confirm, citizen=True, opt_in=True),
    Message("follower_update", follower_update, citizen=True),
)


class Unsubscribes:
    """Every citizen mail about a report carries a link that stops all mail about it to that
    address (``MailUnsubscribe``, checked right before each such mail is sent)."""

    def link(self, report_id: int, address: str) -> str:
        return absolute_url("followers.unsubscribe", token=unsubscribe_token(report_id, address))

    def blocked(self, report_id: int, addresses: list[str], prefetched: dict) -> bool:
        known = prefetched.get("followers.unsubscribed")
        if known is not None:
            return any((report_id, email_digest(address)[:32]) in known for address in addresses)
        return any(is_unsubscribed(report_id, address) for address in addresses)


def prefetch(messages: list[OutboxMessage], prefetched: dict) -> None:
    """Followers of the batch and the unsubscribes of its reports, in two queries."""
    follower_ids = {m.payload["follower_id"] for m in messages if isinstance(m.payload.get("follower_id"), int)}
    report_ids = {m.payload["report_id"] for m in messages if isinstance(m.payload.get("report_id"), int)}
    if follower_ids:
        prefetched["followers"] = db.session.scalars(select(Follower).where(Follower.id.in_(follower_ids))).all()
    if report_ids:
        prefetched["followers.unsubscribed"] = set(db.session.execute(
            select(MailUnsubscribe.report_id, MailUnsubscribe.email_digest)
            .where(MailUnsubscribe.report_id.in_(report_ids))).tuples())
