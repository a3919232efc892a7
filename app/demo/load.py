"""Load the Harsewinkel demo town and about 200 sample reports (idempotent)."""
from __future__ import annotations

import random
from datetime import timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from app.db import db, utcnow
from app.demo import harsewinkel as town
from app.jurisdictions.models import Category, Department, Jurisdiction, RoutingRule
from app.reports.models import Report, StatusChange
from app.reports.operations import approximate_address, next_reference
from geo.areas import insert_area
from geo.routing import route_point

SAMPLE_TEXTS = {
    "schlagloch": ["Tiefes Schlagloch in der Fahrbahn, Radfahrer müssen ausweichen.",
                   "Der Asphalt ist nach dem Frost aufgebrochen.", "Gehwegplatte hebt sich, Stolpergefahr."],
    "verkehrszeichen": ["Stoppschild ist verdreht und von der Straße aus nicht zu sehen.",
                        "Verkehrsschild wurde umgefahren und liegt im Graben."],
    "gully": ["Gully ist mit Laub verstopft, nach Regen steht das Wasser.", "Gullydeckel klappert laut."],
    "radweg": ["Wurzelaufbrüche auf dem Radweg, gefährlich bei Dunkelheit.", "Scherben auf dem Radweg."],
    "strassenlaterne": ["Laterne ist seit einer Woche aus.", "Straßenlaterne flackert die ganze Nacht.",
                        "Laterne brennt auch tagsüber."],
    "wilder-muell": ["Sperrmüll am Waldrand abgeladen.", "Mehrere Müllsäcke neben dem Glascontainer.",
                     "Autoreifen am Feldweg entsorgt."],
    "graffiti": ["Graffiti an der Bushaltestelle.", "Schmierereien an der Schulwand."],
    "gruenflaeche": ["Ast hängt tief über dem Gehweg.", "Hecke ragt weit in den Fußweg."],
    "spielplatz": ["Schaukel hat eine gebrochene Kette.", "Glasscherben im Sandkasten."],
    "sonstiges": ["Parkbank ist beschädigt.", "Brunnen läuft seit Tagen über."],
}
STATUS_MIX = [("eingegangen", 35), ("in_pruefung", 20), ("in_bearbeitung", 20), ("erledigt", 20),
              ("nicht_zustaendig", 2), ("abgelehnt", 2), ("duplikat", 1)]
STATUS_NOTES = {
    "in_pruefung": "Wir sehen uns die Stelle an.",
    "in_bearbeitung": "Der Auftrag ist an den Bauhof erteilt.",
    "erledigt": "Der Mangel wurde behoben. Vielen Dank für Ihren Hinweis!",
    "nicht_zustaendig": "Zuständig ist Straßen.NRW, wir haben die Meldung weitergegeben.",
    "abgelehnt": "Hier besteht kein Handlungsbedarf.",
    "duplikat": "Diese Stelle wurde bereits gemeldet.",
}

# What the demo town's Impressum, privacy notice and accessibility statement name. The Rathaus
# address is real; phone and e-mail are made up and say so (the e-mail domain is .example),
# and no person is named: the pages fall back to "Die Bürgermeisterin / Der Bürgermeister".
# A real town sets its own with `flask town-legal`.
DEMO_LEGAL = {
    "address_street": "Münsterstraße 14",
    "address_postcode": "33428",
    "address_town": "Harsewinkel",
    "phone": "+49 5247 0000-0 (Demo)",
    "email": "rathaus@harsewinkel.example",
    "content_responsible": "Pressestelle der Stadt Harsewinkel (Demo)\nMünsterstraße 14, 33428 Harsewinkel",
    "supervisory_authority": "Landrat des Kreises Gütersloh als untere staatliche Verwaltungsbehörde",
    "dpo_name": "Behördlicher Datenschutz der Stadt Harsewinkel (Demo)",
    "dpo_email": "datenschutz@harsewinkel.example",
    "feedback_email": "barrierefreiheit@harsewinkel.example",
    "statement_date": "2026-11-25",
    "enforcement_body": "Ombudsstelle für barrierefreie Informationstechnik des Landes Nordrhein-Westfalen",
}


def load_town(session) -> Jurisdiction:
    """Create the town, its areas, departments, categories and rules (flushes)."""
    jurisdiction = Jurisdiction(**town.JURISDICTION)
    session.add(jurisdiction)
    session.flush()
    area_ids = {a["code"]: insert_area(session, jurisdiction.id, a["code"], a["name"], a["kind"], a["geom"])
                for a in town.areas()}
    departments = {code: Department(jurisdiction=jurisdiction, code=code, name=name,
                                    email=f"{code}@harsewinkel.example")
                   for code, name in town.DEPARTMENTS}
    session.add_all(departments.values())
    categories = {}
    for code, name, name_en, group, icon, help_text, publish, _dept in town.CATEGORIES:
        categories[code] = Category(jurisdiction=jurisdiction, code=code, name=name, name_en=name_en, group=group,
                                    icon=icon, description=help_text, publish_immediately=publish,
                                    description_en=town.CATEGORY_TEXTS_EN.get(code), group_en=town.GROUPS_EN.get(group))
    session.add_all(categories.values())
    session.flush()
    for code, *_rest, dept in town.CATEGORIES:
        session.add(RoutingRule(jurisdiction_id=jurisdiction.id, category_id=categories[code].id,
                                department_id=departments[dept].id))
    for area_code, category_code, dept in town.ORTSTEIL_RULES:
        session.add(RoutingRule(jurisdiction_id=jurisdiction.id, area_id=area_ids[area_code],
                                category_id=categories[category_code].id, department_id=departments[dept].id))
    session.add(RoutingRule(jurisdiction_id=jurisdiction.id, department_id=departments[town.FALLBACK_DEPARTMENT].id))
    session.flush()
    return jurisdiction


def load_sample_reports(session, jurisdiction: Jurisdiction, count: int = 200, seed: int = 2026) -> int:
    """Spread ``count`` routed reports over the town, in a mix of statuses (flushes)."""
    rng = random.Random(seed)
    categories = list(session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id)))
    department_codes = dict(session.execute(select(Department.id, Department.code)
                                            .where(Department.jurisdiction_id == jurisdiction.id)).all())
    boundary = town.areas()[0]["geom"]
    minx, miny, maxx, maxy = boundary.bounds
    statuses = [code for code, weight in STATUS_MIX for _ in range(weight)]
    now = utcnow()
    # Sorted, so that reference numbers rise with the date as they do in real life.
    dates = sorted(now - timedelta(days=rng.uniform(0, 180), minutes=rng.randint(0, 1440)) for _ in range(count))
    made = 0
    while made < count:
        # Most reports cluster around the three village centres, like real ones do.
        centre = rng.choice(list(town.CENTRES.values()) * 3 + [None])
        if centre is None:
            point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        else:
            point = Point(centre.x + rng.gauss(0, 0.008), centre.y + rng.gauss(0, 0.005))
        if not boundary.contains(point):
            continue
        category = rng.choice(categories)
        decision = route_point(session, jurisdiction.id, category.id, point.x, point.y, category_code=category.code)
        created = dates[made]
        status = rng.choice(statuses)
        made += 1
        report = Report(
            jurisdiction_id=jurisdiction.id, reference=next_reference(jurisdiction, created),
            tracking_token=None, category_id=category.id, department_id=decision.department_id,
            routing_rule_id=decision.rule_id, routing_explanation=decision.explanation, area_id=decision.area_id,
            location=from_shape(point, srid=4326), public_address=approximate_address(jurisdiction.id, point.x, point.y),
            description=rng.choice(SAMPLE_TEXTS[category.code]),
            description_published=rng.random() < 0.8, status=status, created_at=created,
            updated_at=created, status_changed_at=created, priority=rng.choice([0, 0, 0, 1, 2]),
        )
        report.history.append(StatusChange(old_status=None, new_status="eingegangen", actor="citizen",
                                           created_at=created))
        if status != "eingegangen":
            changed = created + timedelta(days=rng.uniform(0.5, 20))
            changed = min(changed, now)
            report.history.append(StatusChange(
                old_status="eingegangen", new_status=status, public_note=STATUS_NOTES[status],
                detail="Straßen.NRW" if status == "nicht_zustaendig" else
                ("Kein Mangel erkennbar" if status == "abgelehnt" else ""),
                actor=f"demo:{department_codes[decision.department_id]}", created_at=changed))
            report.status_changed_at = changed
            report.updated_at = changed
        session.add(report)
    session.flush()
    return made


def load_legal(session, jurisdiction: Jurisdiction) -> bool:
    """Give the demo town its statement details unless it has some already (flushes)."""
    if jurisdiction.legal:
        return False
    from app.jurisdictions.operations import update_legal

    update_legal(jurisdiction, DEMO_LEGAL)
    return True


def _legal_note(jurisdiction: Jurisdiction) -> str:
    """A reminder that the statement pages show demo details, and which are still missing."""
    missing = jurisdiction.legal_info.missing_fields()
    note = "Impressum, Datenschutz, Barrierefreiheit: demo details; a real town sets its own with `flask town-legal`"
    return note + (f" (missing: {', '.join(missing)})" if missing else "")


def load_demo() -> str:
    """Load the demo town unless it exists; commits. Returns lines for the console."""
    existing = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == town.JURISDICTION["slug"]))
    if existing is not None:
        from app.areas.addresses import load_demo_addresses  # demo addresses for the offline geocoder

        addresses = load_demo_addresses(db.session, existing)
        load_legal(db.session, existing)  # a demo database made before the statement details existed
        db.session.commit()
        return f"demo data already present ({existing.name}; {addresses} addresses up to date)\n" \
               + _legal_note(existing)
    jurisdiction = load_town(db.session)
    from app.areas.addresses import load_demo_addresses  # demo addresses for the offline geocoder

    load_demo_addresses(db.session, jurisdiction)  # first: the sample reports' public places are the nearest
    count = load_sample_reports(db.session, jurisdiction)
    load_legal(db.session, jurisdiction)
    db.session.commit()
    return f"loaded {jurisdiction.name}: 4 areas, {len(town.DEPARTMENTS)} departments, " \
           f"{len(town.CATEGORIES)} categories, {count} sample reports\n" + _legal_note(jurisdiction)
