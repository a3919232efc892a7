"""The mails of area alerts: the opt-in request, the alert itself, and the note that an
alert asked for again is already active.

Both carry an unsubscribe link and the List-Unsubscribe headers (RFC 2369/8058).
"""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale, gettext

from app.alerts.models import AlertSubscription
from app.db import db
from app.i18n import supported_locale
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.reports.models import StatusChange
from app.urls import absolute_url


def _where(subscription: AlertSubscription) -> str:
    if subscription.area is not None:
        return subscription.area.name
    return gettext("%(r)s m um %(a)s", r=subscription.radius_m, a=subscription.address or "")


def _with_unsubscribe(email: EmailMessage, url: str) -> EmailMessage:
    email["List-Unsubscribe"] = f"<{url}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def alert_confirm(message: OutboxMessage) -> EmailMessage | None:
    subscription = db.session.get(AlertSubscription, message.payload["subscription_id"])
    if subscription is None or subscription.unsubscribed_at is not None or not subscription.email:
        return None
    with force_locale(locale := supported_locale(subscription.locale)):
        unsubscribe_url = absolute_url("alerts.unsubscribe", token=subscription.token)
        subject = gettext("Bitte bestätigen Sie Ihre Benachrichtigungen für %(where)s", where=_where(subscription))
        email = compose_email(subscription.email, subject, "alert_confirm", message, locale=locale,
                              where=_where(subscription), unsubscribe_url=unsubscribe_url,
                              confirm_url=absolute_url("alerts.confirm", token=subscription.token))
    return _with_unsubscribe(email, unsubscribe_url)


def alert_active(message: OutboxMessage) -> EmailMessage | None:
    """Someone asked again for an alert this address already gets (``operations._asked_again``)."""
    subscription = db.session.get(AlertSubscription, message.payload["subscription_id"])
    if subscription is None or not subscription.active or not subscription.email:
        return None
    with force_locale(locale := supported_locale(subscription.locale)):
        unsubscribe_url = absolute_url("alerts.unsubscribe", token=subscription.token)
        subject = gettext("Ihre Benachrichtigungen für %(where)s sind bereits eingerichtet", where=_where(subscription))
        email = compose_email(subscription.email, subject, "alert_active", message, locale=locale,
                              where=_where(subscription), subscription=subscription, unsubscribe_url=unsubscribe_url,
                              subscribe_url=absolute_url("alerts.subscribe"))
    return _with_unsubscribe(email, unsubscribe_url)


def area_alert(message: OutboxMessage) -> EmailMessage | None:
    subscription = db.session.get(AlertSubscription, message.payload["subscription_id"])
    change = db.session.get(StatusChange, message.payload["status_change_id"])
    if subscription is None or not subscription.active or not subscription.email or change is None:
        return None
    report = change.report
    if report.hidden or not report.status_info.public:
        return None
    fixed = message.payload.get("event") == "fixed"
    with force_locale(locale := supported_locale(subscription.locale)):
        category = report.category.label(locale)
        if fixed:
            subject = gettext("Erledigt in %(where)s: %(c)s (%(ref)s)", where=_where(subscription), c=category,
                              ref=report.reference)
        else:
            subject = gettext("Neue Meldung in %(where)s: %(c)s (%(ref)s)", where=_where(subscription), c=category,
                              ref=report.reference)
        unsubscribe_url = absolute_url("alerts.unsubscribe", token=subscription.token)
        email = compose_email(subscription.email, subject, "area_alert", message, locale=locale,
                              report=report, change=change, fixed=fixed, category_label=category,
                              status_label=report.status_info.label(locale), where=_where(subscription),
                              description=report.shown_description, unsubscribe_url=unsubscribe_url,
                              report_url=absolute_url("public.short_report", reference=report.reference))
    return _with_unsubscribe(email, unsubscribe_url)


MESSAGES = (
    Message("alert_confirm", alert_confirm),
    Message("alert_active", alert_active),
    Message("area_alert", area_alert),
)
