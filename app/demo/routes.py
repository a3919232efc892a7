"""Demo only: the mails the local mail catcher kept (registered when MAILCATCHER_DIR is set)."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import Blueprint, current_app, render_template

from app.staff.auth import role_required

bp = Blueprint("demo", __name__, url_prefix="/_demo")


def _mail_files() -> list[Path]:
    directory = Path(current_app.config["MAILCATCHER_DIR"])
    return sorted(directory.glob("*.eml"), reverse=True)[:200] if directory.is_dir() else []


@bp.get("/mails")
@role_required("admin")
def mails():
    """The kept mails include staff password-reset links: for a signed-in admin only."""
    items = []
    for path in _mail_files():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        items.append({"id": path.stem, "to": message["To"], "subject": message["Subject"], "date": message["Date"],
                      "body": body.get_content() if body else ""})
    return render_template("demo/mails.html", mails=items)
