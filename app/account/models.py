"""Sign-in links and sessions of Meine Meldungen (revision 2010)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db, utcnow


class CitizenSignIn(db.Model):
    """A single-use sign-in link to Meine Meldungen and, once used, the session it opened.

    ``email`` is kept only while the link or its session can be used: sign-out deletes the row,
    and the hourly clean-up deletes unused links after 30 minutes and sessions after their
    lifetime (``app.account.operations.purge_sign_ins``). ``session_hash`` is the SHA-256 of the
    random session token in the browser's signed cookie.
    """

    __tablename__ = "citizen_sign_ins"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The town whose host the link was asked on: valid only there (revision 2600).
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    link_used_at: Mapped[datetime | None]
    session_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
