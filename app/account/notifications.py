"""The sign-in mail of Meine Meldungen."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale, gettext

from app.account.models import CitizenSignIn
from app.account.tokens import LINK_MINUTES, sign_in_token
from app.db import db, utcnow
from app.i18n import supported_locale
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.urls import absolute_url


def citizen_sign_in(message: OutboxMessage) -> EmailMessage | None:
    sign_in = db.session.get(CitizenSignIn, message.payload.get("sign_in_id"))
    if sign_in is None or sign_in.email is None or sign_in.link_used_at is not None:
        return None
    if (utcnow() - sign_in.created_at).total_seconds() > LINK_MINUTES * 60:
        return None  # a mail held up longer than the link lives would only disappoint
    with force_locale(locale := supported_locale(sign_in.locale)):
        subject = gettext("Ihr Anmeldelink für „Meine Meldungen“")
        return compose_email(sign_in.email, subject, "citizen_sign_in", message, locale=locale,
                             sign_in_url=absolute_url("account.sign_in", token=sign_in_token(sign_in.id)),
                             minutes=LINK_MINUTES)


MESSAGES = (Message("citizen_sign_in", citizen_sign_in),)
