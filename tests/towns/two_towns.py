"""Two towns in one installation, for the issue 21 tests.

Town A is the test session's Harsewinkel, served on ``A_HOST``. Town B ("Stadt Zzbmarker") is
made here from a town file, east of Harsewinkel (its western edge is Harsewinkel's eastern one),
served on ``B_HOST``, and carries the marker ``zzbmarker`` in every kind of data: its name, slug,
areas, departments, categories, questions, addresses, reports (description, address, reporter,
notes), photos, catalog entries, department contacts, text templates, staff accounts, teams, API
clients, alert subscriptions, followers and mails. Nothing of it may appear on A's host.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Area, Category, Department, Jurisdiction, JurisdictionHost
from app.reports.models import Photo, Report
from tests.factories import jpeg_bytes

A_HOST = "a.maengelmelder.test"
B_HOST = "b.maengelmelder.test"
MARKER = "zzbmarker"
B_SLUG = "zzbmarker.test"
B_NAME = "Stadt Zzbmarker"
# B is the 0.2° × 0.13° box east of Harsewinkel's bounding box (8.105–8.355, 51.895–52.025).
B_BOX = (8.355, 51.895, 8.555, 52.025)
IN_B = (8.45, 51.96)
JUST_INSIDE_B = (8.3605, 51.962)  # a pin a few hundred metres east of Harsewinkel's border

TOWN_FILE = f"""
[town]
slug = "{B_SLUG}"
name = "{B_NAME}"
reference_prefix = "ZZBM"
contact_email = "info@zzbmarker.example"

[[departments]]
code = "zzbmarker-bauhof"
name = "Zzbmarker Bauhof"
emails = ["bauhof@zzbmarker.example"]

[[areas]]
code = "zzbmarker-gebiet"
name = "Zzbmarker Stadtgebiet"
kind = "boundary"
file = "gebiet.geojson"

[[areas]]
code = "zzbmarker-mitte"
name = "Zzbmarker Mitte"
kind = "ortsteil"
file = "gebiet.geojson"

[[categories]]
code = "zzbmarker-loch"
name = "Zzbmarker Schlagloch"
group = "Zzbmarker Straßen"
description = "Zzbmarker Hilfetext"
publish_immediately = true
notice = "Zzbmarker Hinweis"

[[categories.questions]]
code = "zzbmarker-frage"
label = "Zzbmarker Frage"
kind = "string"

[[rules]]
department = "zzbmarker-bauhof"
"""


def write_town_file(directory: Path, town_file: str = TOWN_FILE, box=B_BOX) -> Path:
    """The town file and its area file in ``directory``; returns the town file's path."""
    x0, y0, x1, y1 = box
    polygon = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}]}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gebiet.geojson").write_text(json.dumps(polygon), encoding="utf-8")
    path = directory / "town.toml"
    path.write_text(town_file, encoding="utf-8")
    return path


def remove_town_b() -> None:
    """Delete a committed town B and town A's host name (tests that commit: ``committing``)."""
    from sqlalchemy import text

    db.session.rollback()
    jid = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == B_SLUG))
    if jid is not None:
        for statement in ("DELETE FROM reports WHERE jurisdiction_id = :j",
                          "DELETE FROM routing_rules WHERE jurisdiction_id = :j",
                          "DELETE FROM catalog_entries WHERE jurisdiction_id = :j",
                          "DELETE FROM staff_users WHERE jurisdiction_id = :j",
                          "DELETE FROM jurisdictions WHERE id = :j"):
            db.session.execute(text(statement), {"j": jid})
    db.session.execute(text("DELETE FROM jurisdiction_hosts WHERE host = :h"), {"h": A_HOST})
    db.session.commit()


def add_host(jurisdiction: Jurisdiction, host: str, position: int = 0) -> None:
    db.session.add(JurisdictionHost(jurisdiction_id=jurisdiction.id, host=host, position=position))
    db.session.flush()


@dataclass
class TownB:
    town: Jurisdiction
    reports: list[Report]
    photo: Photo
    tokens: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def references(self) -> list[str]:
        return [r.reference for r in self.reports]


def make_town_b(directory: Path) -> TownB:
    """Town B with its marked data of every kind (flushes; commit in ``committing`` tests)."""
    from app.alerts.operations import AlertInput, subscribe
    from app.catalog.operations import EntryInput, save_contact, save_entry
    from app.followers.operations import request_follow
    from app.followers.tokens import follow_token
    from app.followers.models import Follower
    from app.open311.keys import create_client
    from app.reports.operations import ReportInput, create_report
    from app.reports.tokens import confirm_email_token
    from app.staff.auth import password_reset_token
    from app.staff.models import InternalNote, TextTemplate
    from app.towns.cli import apply_town_file
    from geo.geocoding import import_addresses
    from tests.staff.helpers import make_staff

    apply_town_file(write_town_file(directory))
    town = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == B_SLUG))
    add_host(town, B_HOST)
    import_addresses(db.session, town.id, [{"street": "Zzbmarkerstraße", "house_number": "1", "postcode": "39999",
                                            "ortsteil": "Zzbmarker Mitte", "x": IN_B[0], "y": IN_B[1]}])
    reports = []
    for n in range(3):
        report = create_report(town, ReportInput(
            category_code="zzbmarker-loch", description=f"Zzbmarker Beschreibung {n}", lon=IN_B[0] + n * 0.001,
            lat=IN_B[1], email=f"zzbmarker-buerger{n}@zzbmarker.example", name="Zzbmarker Bürgerin",
            answers={"zzbmarker-frage": ["Zzbmarker Antwort"]}, photos=[jpeg_bytes()] if n == 0 else []))
        reports.append(report)
    db.session.flush()
    photo = db.session.scalar(select(Photo).where(Photo.report_id == reports[0].id))
    department = db.session.scalar(select(Department).where(Department.jurisdiction_id == town.id))
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == town.id))
    area = db.session.scalar(select(Area).where(Area.jurisdiction_id == town.id, Area.kind == "ortsteil"))
    admin_b = make_staff("admin", jurisdiction_slug=B_SLUG, username="zzbmarker-admin",
                         email="zzbmarker-admin@zzbmarker.example")
    db.session.add(InternalNote(report_id=reports[0].id, staff_user_id=admin_b.id, author="zzbmarker-admin",
                                body="Zzbmarker interne Notiz"))
    template = TextTemplate(jurisdiction_id=town.id, status="erledigt", title="Zzbmarker Textbaustein",
                            body="Zzbmarker Text")
    db.session.add(template)
    entry = save_entry(town, EntryInput(name="Zzbmarker Dienstleistung", topic="Zzbmarker Thema",
                                        department_code="zzbmarker-bauhof",
                                        short_description="Zzbmarker kurz", keywords=["zzbmarker"]))
    save_contact(department, address="Zzbmarkerplatz 1", phone="0999 123", email="kontakt@zzbmarker.example")
    client, _key = create_client(town, "Zzbmarker App", ["create_request"])
    subscription = subscribe(town, AlertInput(email="zzbmarker-alarm@zzbmarker.example", where="ortsteil",
                                              ortsteil=area.code))
    follower = request_follow(reports[1], "zzbmarker-folge@zzbmarker.example")
    db.session.flush()
    tokens = {
        "tracking": reports[0].tracking_token,
        "confirm": confirm_email_token(reports[0]),
        "follow": follow_token(db.session.get(Follower, follower.id)),
        "alert": subscription.token,
        "reset": password_reset_token(admin_b),
    }
    from app.followers.tokens import unsubscribe_token
    tokens["unsubscribe"] = unsubscribe_token(reports[0].id, "zzbmarker-buerger0@zzbmarker.example")
    tokens["questionnaire"], tokens["sign_in"] = _questionnaire_and_sign_in(reports[2])
    ids = {"report": reports[0].id, "photo": photo.id, "department": department.id, "category": category.id,
           "area": area.id, "user": admin_b.id, "template": template.id, "entry": entry.id, "client": client.id,
           "question": category_question_id(category)}
    from app.jurisdictions.models import RoutingRule
    ids["rule"] = db.session.scalar(select(RoutingRule.id).where(RoutingRule.jurisdiction_id == town.id))
    return TownB(town=town, reports=reports, photo=photo, tokens=tokens, ids=ids)


def _questionnaire_and_sign_in(report: Report) -> tuple[str, str]:
    """B's "Ist es erledigt?" link (its report set to erledigt) and a Meine Meldungen sign-in link."""
    from app.account.models import CitizenSignIn
    from app.account.tokens import sign_in_token
    from app.feedback.models import FixedQuestionnaire
    from app.feedback.tokens import questionnaire_token
    from app.reports.operations import change_status

    change = change_status(report, "erledigt", public_note="Zzbmarker erledigt", actor="zzbmarker-admin")
    db.session.flush()
    questionnaire = FixedQuestionnaire(report_id=report.id, status_change_id=change.id)
    sign_in = CitizenSignIn(jurisdiction_id=report.jurisdiction_id, email=report.reporter_email)
    db.session.add_all([questionnaire, sign_in])
    db.session.flush()
    return questionnaire_token(questionnaire.id), sign_in_token(sign_in.id)


def category_question_id(category: Category) -> int:
    from app.open311.models import ServiceAttribute

    return db.session.scalar(select(ServiceAttribute.id).where(ServiceAttribute.category_id == category.id))
