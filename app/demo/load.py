"""Load the Harsewinkel demo town and about 200 sample reports (idempotent)."""
from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from app.db import db, utcnow
from app.demo import harsewinkel as town
from app.jurisdictions.models import Category, Department, Jurisdiction
from app.reports.models import Report, StatusChange
from app.reports.operations import approximate_address, next_reference
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


TOWN_FILE = Path(__file__).parent / "data" / "harsewinkel" / "town.toml"


def load_town(session) -> Jurisdiction:
    """Create (or update) the town from its town file, through the same code as `flask town
    apply` (flushes)."""
    from app.towns.operations import apply_town
    from app.towns.townfile import parse_town_file

    spec = parse_town_file(TOWN_FILE.read_text(encoding="utf-8"), base_dir=TOWN_FILE.parent)
    apply_town(session, spec)
    return session.scalar(select(Jurisdiction).where(Jurisdiction.slug == spec["town"]["slug"]))


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
        decision = route_point(session, jurisdiction.id, category.id, point.x, point.y, category_name=category.name)
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
    """Apply the demo's town file (creates the town, or brings it up to date) and, for a new
    town, add sample reports; commits. Returns lines for the console."""
    from app.areas.addresses import load_demo_addresses  # demo addresses for the offline geocoder
    from app.towns.operations import apply_town
    from app.towns.townfile import parse_town_file

    spec = parse_town_file(TOWN_FILE.read_text(encoding="utf-8"), base_dir=TOWN_FILE.parent)
    existed = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == spec["town"]["slug"])) is not None
    changes = apply_town(db.session, spec)
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == spec["town"]["slug"]))
    # First the addresses: the sample reports' public places are the nearest address.
    addresses = load_demo_addresses(db.session, jurisdiction)
    count = 0 if existed else load_sample_reports(db.session, jurisdiction)
    load_legal(db.session, jurisdiction)  # also for a demo database made before the statement details existed
    db.session.commit()
    lines = [f"town file {TOWN_FILE.name}: " + (f"{len(changes)} changes" if changes else "no changes"), *changes]
    if existed:
        lines.append(f"demo data already present ({jurisdiction.name}; {addresses} addresses up to date)")
    else:
        lines.append(f"loaded {jurisdiction.name}: {len(spec['areas'])} areas, {len(spec['departments'])} departments, "
                     f"{len(spec['categories'])} categories, {count} sample reports")
    return "\n".join(lines + [_legal_note(jurisdiction)])
