"""Periodic job of Meine Meldungen (registered in ``app.account.init_app``)."""
from __future__ import annotations

from app.account.operations import purge_sign_ins
from app.db import db


def purge_citizen_sign_ins() -> int:
    """Delete used-up sign-in links and ended sessions, with the addresses they held."""
    count = purge_sign_ins()
    db.session.commit()
    return count
