"""Confirming a follow and unsubscribing: links from mails, no login needed."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from app.db import db
from app.extensions import csrf, limiter
from app.followers.operations import (
    confirm_follow, follower_by_token, unsubscribe as do_unsubscribe, unsubscribe_target,
)

bp = Blueprint("followers", __name__)


@bp.get("/folgen/bestaetigen/<token>")
@limiter.limit("60/minute")
def confirm(token: str):
    """Asks before confirming: mail scanners open every link in a mail, and a follow someone
    else asked for must not start without the address owner pressing the button.
    Once confirmed (or unsubscribed) the same address shows the result."""
    follower = follower_by_token(token)
    if follower.confirmed_at is None and follower.unsubscribed_at is None:
        return render_template("public/confirm_subscription.html", kind="follow", report=follower.report,
                               action=url_for("followers.confirm_submit", token=token))
    return render_template("followers/confirmed.html", report=follower.report,
                           active=follower.unsubscribed_at is None)


@bp.post("/folgen/bestaetigen/<token>")
@limiter.limit("60/minute")
def confirm_submit(token: str):
    confirm_follow(token)
    db.session.commit()
    return redirect(url_for("followers.confirm", token=token), 303)


@bp.get("/abmelden/<token>")
@limiter.limit("60/minute")
def unsubscribe(token: str):
    """Asks before acting: mail scanners open links, and a GET must not unsubscribe anyone."""
    report = unsubscribe_target(token)
    return render_template("followers/unsubscribe.html", report=report, token=token, done=False)


# RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" without a
# CSRF token; the signed token in the URL is the authorisation.
@bp.post("/abmelden/<token>")
@csrf.exempt
@limiter.limit("60/minute")
def unsubscribe_post(token: str):
    report = do_unsubscribe(token)
    db.session.commit()
    return render_template("followers/unsubscribe.html", report=report, token=token, done=True)
