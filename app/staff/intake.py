"""Staff intake ("Meldung aufnehmen"): a report taken for someone who phoned, came to the
counter, wrote a letter or an e-mail. It goes through the citizen's ``create_report`` (same
checks, routing, photos, mails: the department's, and the opt-in to the caller's address if one
was given) and records the channel and who took it (audit log)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.reports.models import CHANNELS, Report
from app.reports.operations import ReportInput, create_report
from app.staff import audit
from app.staff.models import StaffUser

CHANNEL_LABELS = {"telefon": _l("Telefon"), "schalter": _l("Schalter"), "brief": _l("Brief"), "email": _l("E-Mail")}
# Reports without a channel: the citizen's own (web form, app, Open311).
ONLINE_LABEL = _l("Online (selbst gemeldet)")
assert tuple(CHANNEL_LABELS) == CHANNELS


def take_report(user: StaffUser, data: ReportInput) -> Report:
    """Create the report for the caller and audit who took it (flushes).

    Raises ``ValidationFailed``/``DomainError`` like the citizen form, and for an unknown channel.
    """
    if data.channel not in CHANNELS:
        raise DomainError(_l("Bitte wählen Sie, wie die Meldung eingegangen ist."), "channel")
    report = create_report(user.jurisdiction, data)
    audit.record("intake", staff=user, report=report, changes={"channel": data.channel})
    return report
