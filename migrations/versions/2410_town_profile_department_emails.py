"""Town profile on the town's row, several addresses per department, retired departments and categories

* ``jurisdictions.profile`` (JSONB): what the town profile page and the town file's
  ``[town.profile]`` set: the name forms, colours, mail sender and signature, contact, the map's
  start view and tile source, retention periods (fields and checks: app/jurisdictions/profile.py).
  Existing towns start with today's ``TOWN_*`` / ``MAIL_FROM`` / ``TILE_*`` / ``RETENTION_*``
  settings from the environment, so an installation looks and mails as before.
  ``profile_version`` counts changes (the per-process cache of ``app.branding.current_town`` is
  keyed by it); ``crest``/``crest_type`` hold the sanitised crest (SVG or PNG).
* ``departments.emails`` (text[]) replaces ``departments.email``; ``retired_at`` and
  ``successor_id`` on departments and categories say that one was retired and where its open
  reports went.
* ``admin_uploads``: files uploaded on the admin pages: address files (imported by a worker
  with progress) and an earlier system's reports (kept between the dry run and the import).
* The reference counter learns about imported references (nothing to migrate).

Revision ID: 2410
Revises: 1904
Create Date: 2026-12-06 08:00:00
"""
import json
import os
import re
from email.utils import parseaddr

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2410"
down_revision = "1904"
branch_labels = None
depends_on = None

# The settings' defaults as app/config.py has them at this revision (migrations import no app code).
_DEFAULTS = {
    "TOWN_NAME": "Stadt Harsewinkel", "TOWN_SHORT_NAME": "", "TOWN_NAME_IN_SENTENCE": "",
    "TOWN_COLOR": "#005a9c", "TOWN_COLOR_DARK": "#003e6b", "TOWN_WEBSITE": "",
    "MAIL_FROM": "", "TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "TILE_ATTRIBUTION": "",
    "RETENTION_CLOSED_DAYS": "90", "RETENTION_UNCONFIRMED_DAYS": "7",
}


def _setting(name: str) -> str:
    return (os.environ.get(name) or _DEFAULTS[name]).strip()


def _initial_profile(town_name: str) -> dict:
    profile = {}
    if _setting("TOWN_NAME") == town_name:  # the settings describe this town
        short = _setting("TOWN_SHORT_NAME") or re.sub(
            r"^(Stadt|Gemeinde|Hansestadt|Kreisstadt|Große Kreisstadt)\s+", "", town_name)
        profile["short_name"] = short
        profile["name_in_sentence"] = _setting("TOWN_NAME_IN_SENTENCE") or (
            f"der {town_name}" if short != town_name else town_name)
        if re.fullmatch(r"#[0-9a-fA-F]{6}", _setting("TOWN_COLOR")):
            profile["colour"] = _setting("TOWN_COLOR").lower()
        if re.fullmatch(r"#[0-9a-fA-F]{6}", _setting("TOWN_COLOR_DARK")):
            profile["colour_dark"] = _setting("TOWN_COLOR_DARK").lower()
        if _setting("TOWN_WEBSITE"):
            profile["website"] = _setting("TOWN_WEBSITE")
        name, address = parseaddr(_setting("MAIL_FROM"))
        if address and not address.endswith("@localhost"):
            profile["mail_sender_address"] = address
            if name:
                profile["mail_sender_name"] = name
    if _setting("TILE_URL"):
        profile["tile_url"] = _setting("TILE_URL")
    if _setting("TILE_ATTRIBUTION"):
        profile["tile_attribution"] = _setting("TILE_ATTRIBUTION")
    for key, setting in (("retention_closed_days", "RETENTION_CLOSED_DAYS"),
                         ("retention_unconfirmed_days", "RETENTION_UNCONFIRMED_DAYS")):
        if _setting(setting).isdigit():
            profile[key] = int(_setting(setting))
    return profile


def _settings_crest() -> tuple[bytes, str] | None:
    """TOWN_CREST's file (default: the demo crest), sanitised as an upload would be."""
    from pathlib import Path

    from media.crest import CrestRejected, clean_crest

    path = Path(os.environ.get("TOWN_CREST") or "app/static/img/crest-demo.svg")
    path = path if path.is_absolute() else Path(__file__).resolve().parents[2] / path
    try:
        return clean_crest(path.read_bytes())
    except (OSError, CrestRejected):
        return None


def upgrade() -> None:
    op.add_column("jurisdictions", sa.Column("profile", postgresql.JSONB(), nullable=False,
                                             server_default=sa.text("'{}'::jsonb")))
    op.add_column("jurisdictions", sa.Column("profile_version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("jurisdictions", sa.Column("crest", sa.LargeBinary(), nullable=True))
    op.add_column("jurisdictions", sa.Column("crest_type", sa.String(20), nullable=True))
    op.create_check_constraint(op.f("ck_jurisdictions_profile_object"), "jurisdictions", "jsonb_typeof(profile) = 'object'")
    op.create_check_constraint(op.f("ck_jurisdictions_crest_type"), "jurisdictions",
                               "crest_type IS NULL OR crest_type IN ('image/svg+xml', 'image/png')")
    bind = op.get_bind()
    crest = _settings_crest()
    for jid, name in bind.execute(sa.text("SELECT id, name FROM jurisdictions")).all():
        bind.execute(sa.text("UPDATE jurisdictions SET profile = CAST(:p AS jsonb) WHERE id = :id"),
                     {"p": json.dumps(_initial_profile(name)), "id": jid})
        if crest and _setting("TOWN_NAME") == name:
            bind.execute(sa.text("UPDATE jurisdictions SET crest = :c, crest_type = :t WHERE id = :id"),
                         {"c": crest[0], "t": crest[1], "id": jid})

    op.add_column("departments", sa.Column("emails", postgresql.ARRAY(sa.String(320)), nullable=False,
                                           server_default=sa.text("'{}'::varchar[]")))
    op.execute("UPDATE departments SET emails = ARRAY[email] WHERE email IS NOT NULL AND email <> ''")
    op.drop_column("departments", "email")
    for table in ("departments", "categories"):
        op.add_column(table, sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("successor_id", sa.Integer(),
                                       sa.ForeignKey(f"{table}.id", ondelete="SET NULL"), nullable=True))


    op.create_table(
        "admin_uploads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("jurisdiction_id", sa.Integer(), sa.ForeignKey("jurisdictions.id", ondelete="CASCADE",
                                                                 name=op.f("fk_admin_uploads_jurisdiction_id_jurisdictions")),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL",
                                                               name=op.f("fk_admin_uploads_staff_user_id_staff_users")),
                  nullable=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("srid", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_uploads")),
    )
    op.create_index(op.f("ix_admin_uploads_jurisdiction_id"), "admin_uploads", ["jurisdiction_id"])


def downgrade() -> None:
    op.drop_table("admin_uploads")
    for table in ("departments", "categories"):
        op.drop_column(table, "successor_id")
        op.drop_column(table, "retired_at")
    op.add_column("departments", sa.Column("email", sa.String(320), nullable=True))
    op.execute("UPDATE departments SET email = emails[1]")
    op.drop_column("departments", "emails")
    op.drop_constraint(op.f("ck_jurisdictions_crest_type"), "jurisdictions", type_="check")
    op.drop_constraint(op.f("ck_jurisdictions_profile_object"), "jurisdictions", type_="check")
    for column in ("crest_type", "crest", "profile_version", "profile"):
        op.drop_column("jurisdictions", column)
