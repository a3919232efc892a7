"""Following a report (double opt-in) and unsubscribing. Operations flush; the caller commits."""
from __future__ import annotations


from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.db import db, utcnow
from app.i18n import supported_locale
from app.errors import DomainError, NotFound
from app.jurisdictions.queries import this_town_id
from app.followers.models import Follower, MailUnsubscribe
from app.followers.tokens import digest_matches, email_digest, read_follow_token, read_unsubscribe_token
from app.outbox.operations import record_message
from app.outbox.recipients import may_mail, recently_mailed
from app.reports.models import Report
from app.validation import normalize_email

MAX_FOLLOWERS_PER_REPORT = 500


def request_follow(report: Report, email: str, locale: str = "de") -> Follower:
    """Register ``email`` as a follower of ``report`` and queue the double opt-in mail (flushes).

    Asking again resends nothing new while a confirmation is pending. An address that
    unfollowed has no row any more (unsubscribing erases it), so it starts afresh and
    must confirm again. Raises ``DomainError`` for an invalid address or a report that
    cannot be followed.
    """
    email = normalize_email(email).lower()
    if report.hidden or not report.status_info.public:
        raise NotFound(_l("Diese Meldung gibt es nicht."))
    follower = db.session.scalar(select(Follower).where(Follower.report_id == report.id, Follower.email == email))
    if follower is not None and follower.unsubscribed_at is not None:
        # Unsubscribed by a process of the previous release, which kept the address: erase it
        # as unsubscribing does now, and start afresh like any address that unfollowed.
        follower.email = None
        db.session.flush()
        follower = None
    if follower is None:
        count = db.session.scalar(select(db.func.count()).select_from(Follower).where(
            Follower.report_id == report.id, Follower.unsubscribed_at.is_(None)))
        if count >= MAX_FOLLOWERS_PER_REPORT:
            raise DomainError(_l("Dieser Meldung folgen bereits sehr viele Personen."), "email")
        follower = Follower(report_id=report.id, email=email, locale=supported_locale(locale))
        db.session.add(follower)
        db.session.flush()
    if follower.confirmed_at is None:
        # Asking again restarts the clock after which retention deletes an unconfirmed
        # follower (RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS, counted from created_at).
        follower.created_at = utcnow()
    # Asking again while a confirmation is on its way or was just sent re-offers it (the page
    # says "look in your mailbox"); any mail at all counts against the address's daily cap.
    if (follower.confirmed_at is None and not recently_mailed("follow_confirm", f"follow_confirm:{follower.id}")
            and may_mail(email)):
        record_message("follow_confirm", f"follow_confirm:{follower.id}:{utcnow():%Y%m%dT%H%M%S%f}",
                       {"report_id": report.id, "follower_id": follower.id}, jurisdiction_id=report.jurisdiction_id)
    db.session.flush()
    return follower


def follower_by_token(token: str) -> Follower:
    """The follower a confirmation link is for, changing nothing; raises ``NotFound`` for a bad link."""
    parsed = read_follow_token(token)
    follower = db.session.get(Follower, parsed[0]) if parsed else None
    if follower is None or db.session.get(Report, follower.report_id).jurisdiction_id != this_town_id():
        raise NotFound(_l("Dieser Bestätigungslink ist ungültig oder abgelaufen."))
    if follower.email is None:
        # Erased when unsubscribing: the signed id is all there is to check, and the page
        # answers only "you unsubscribed", which says nothing about anyone.
        return follower
    if not digest_matches(follower.email, parsed[1], parsed[2]):
        raise NotFound(_l("Dieser Bestätigungslink ist ungültig oder abgelaufen."))
    return follower


def confirm_follow(token: str) -> Follower:
    """Confirm a follower from the link in the opt-in mail (flushes); idempotent.

    Confirming is the address owner's consent to this report's mail, so an earlier
    "no more mail about this report" from that address (``MailUnsubscribe``) ends here
    and not when someone asks to follow: anyone can type an address into the form.
    """
    follower = follower_by_token(token)
    if follower.unsubscribed_at is None and follower.confirmed_at is None:
        follower.confirmed_at = utcnow()
        db.session.execute(MailUnsubscribe.__table__.delete().where(
            MailUnsubscribe.report_id == follower.report_id,
            MailUnsubscribe.email_digest == email_digest(follower.email)[:32]))
    db.session.flush()
    return follower


def unsubscribe_target(token: str) -> Report:
    """The report an unsubscribe link is about; raises ``NotFound`` for a bad link."""
    parsed = read_unsubscribe_token(token)
    report = db.session.get(Report, parsed[0]) if parsed else None
    if report is None or report.jurisdiction_id != this_town_id():
        raise NotFound(_l("Dieser Abmeldelink ist ungültig oder die Meldung wurde gelöscht."))
    return report


def unsubscribe(token: str) -> Report:
    """Stop every mail about the report to the address the link was sent to (flushes; idempotent).

    A follower with that address is erased at once (DSGVO Art. 5(1)(c), (e)): nothing is
    sent to it any more, so its address is no longer needed. The row stays without it
    so that the link in its opt-in mail answers "unsubscribed" instead of "invalid";
    the digest in ``MailUnsubscribe`` keeps every other mail about the report away.
    """
    report = unsubscribe_target(token)
    _report_id, digest, keyed = read_unsubscribe_token(token)
    followers = list(db.session.scalars(select(Follower).where(Follower.report_id == report.id,
                                                                Follower.email.is_not(None))))
    # The stored digest is the unkeyed one; a keyed link digest is matched against the addresses
    # the report's mails go to (none left: nothing more goes out anyway).
    addresses = [a for a in [report.reporter_email] + [f.email for f in followers] if a]
    stored = digest if not keyed else next(
        (email_digest(a)[:32] for a in addresses if digest_matches(a, digest, keyed=True)), None)
    if stored is not None:
        db.session.execute(insert(MailUnsubscribe).values(report_id=report.id, email_digest=stored,
                                                          created_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["report_id", "email_digest"]))
    for follower in followers:
        if digest_matches(follower.email, digest, keyed):
            follower.unsubscribed_at = follower.unsubscribed_at or utcnow()
            follower.email = None
    db.session.flush()
    return report


def is_unsubscribed(report_id: int, email: str) -> bool:
    return db.session.scalar(select(MailUnsubscribe.id).where(
        MailUnsubscribe.report_id == report_id,
        MailUnsubscribe.email_digest == email_digest(email)[:32])) is not None
