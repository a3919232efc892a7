"""The operator's changes (they flush; the request commits): a town from a town file with its
first admin, and retiring a town."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.db import db, utcnow
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.staff import audit
from app.staff.models import StaffUser
from app.validation import is_email, normalize_email

MAX_ZIP_BYTES = 50 * 1024 * 1024
_ALLOWED_SUFFIXES = (".toml", ".geojson", ".json")


def _unpack(data: bytes, into: Path) -> Path:
    """The town file of a ZIP (``town.toml`` and its area files), unpacked into ``into``.
    Raises DomainError for anything but plain relative .toml/.geojson files."""
    if len(data) > MAX_ZIP_BYTES:
        raise DomainError(_l("Die ZIP-Datei ist zu groß (höchstens 50 MB)."), "stadtdatei")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile:
        raise DomainError(_l("Das ist keine ZIP-Datei."), "stadtdatei") from None
    total = 0
    for member in members:
        path = PurePosixPath(member.filename)
        total += member.file_size
        if path.is_absolute() or ".." in path.parts or path.suffix.lower() not in _ALLOWED_SUFFIXES \
                or total > 4 * MAX_ZIP_BYTES:
            raise DomainError(_l("Die ZIP-Datei darf nur die Stadtdatei (town.toml) und GeoJSON-Gebietsdateien "
                                 "enthalten."), "stadtdatei")
        target = into.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(member))
    towns = sorted(into.rglob("town.toml"), key=lambda p: len(p.parts))
    if not towns:
        raise DomainError(_l("In der ZIP-Datei fehlt die Stadtdatei town.toml."), "stadtdatei")
    return towns[0]


def create_town_from_zip(data: bytes, admin_name: str, admin_email: str, operator: StaffUser
                         ) -> tuple[Jurisdiction, StaffUser]:
    """A new town from a town file (ZIP) and its first admin, who gets a mail with a link to set
    a password on the town's own host. Raises ValidationFailed naming every problem (the town
    file's own messages included); a town that exists already is refused (the operator creates,
    the town's admins change it)."""
    from app.staff.auth import invite
    from app.towns.operations import apply_town
    from app.towns.townfile import TownFileError, parse_town_file

    admin_name, errors = admin_name.strip(), []
    try:
        email = normalize_email(admin_email or "")
    except DomainError:
        email = ""
    if not admin_name or len(admin_name) > 100:
        errors.append(DomainError(_l("Bitte einen Benutzernamen (höchstens 100 Zeichen) angeben."), "admin_name"))
    elif db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.username) == admin_name.lower())):
        errors.append(DomainError(_l("Diesen Benutzernamen gibt es schon."), "admin_name"))
    if not is_email(email):
        errors.append(DomainError(_l("Bitte eine gültige E-Mail-Adresse angeben."), "admin_email"))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = _unpack(data, Path(tmp))
            spec = parse_town_file(path.read_text(encoding="utf-8"), path.parent)
        except DomainError as exc:
            raise ValidationFailed(errors + [exc]) from None
        except (TownFileError, UnicodeDecodeError) as exc:
            problems = getattr(exc, "errors", [str(exc)])
            raise ValidationFailed(errors + [DomainError(p, "stadtdatei") for p in problems]) from None
    if db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == spec["town"]["slug"])):
        errors.append(DomainError(_l("Die Stadt %(slug)s gibt es schon.", slug=spec["town"]["slug"]), "stadtdatei"))
    if not spec["town"].get("hosts"):
        errors.append(DomainError(_l("Die Stadtdatei nennt keine Adresse (hosts = [...] in [town])."), "stadtdatei"))
    if errors:
        raise ValidationFailed(errors)
    try:
        apply_town(db.session, spec)
    except TownFileError as exc:
        raise ValidationFailed([DomainError(p, "stadtdatei") for p in exc.errors]) from None
    town = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == spec["town"]["slug"]))
    admin = StaffUser(jurisdiction_id=town.id, username=admin_name, role="admin", email=email,
                      display_name=admin_name, active=True)
    db.session.add(admin)
    db.session.flush()
    audit.record("operator.create_town", staff=operator, jurisdiction_id=town.id, target=town.slug,
                 changes={"admin": [None, admin_name]})
    invite(admin)
    return town, admin


def retire_town(town_id: int, operator: StaffUser) -> Jurisdiction:
    """The town's hosts stop serving it (404) and its staff can no longer sign in; its data stays
    until it is deleted (backups, retention). Raises DomainError for the default town."""
    from flask import current_app

    from app.jurisdictions.hosts import forget_hosts
    from app.staff import sessions

    town = db.session.get(Jurisdiction, town_id)
    if town is None or town.retired_at is not None:
        raise DomainError(_l("Diese Stadt gibt es nicht oder sie ist schon stillgelegt."), status=404)
    if town.slug == current_app.config["DEFAULT_JURISDICTION"]:
        raise DomainError(_l("Die voreingestellte Stadt (DEFAULT_JURISDICTION) kann nicht stillgelegt werden."))
    town.retired_at = utcnow()
    for user in db.session.scalars(select(StaffUser).where(StaffUser.jurisdiction_id == town.id, StaffUser.active)):
        sessions.end_all(user)
    audit.record("operator.retire_town", staff=operator, jurisdiction_id=town.id, target=town.slug)
    db.session.flush()
    forget_hosts()
    return town
