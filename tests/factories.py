"""Factory helpers for tests: objects made through the same operations the app uses."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Category, Department, Jurisdiction
from app.reports.operations import ReportInput, create_report

HARSEWINKEL = (8.229, 51.962)
GREFFEN = (8.168, 51.983)
MARIENFELD = (8.284, 51.937)
# 20 km due north of Harsewinkel's centre (0.18° of latitude ≈ 20 km).
TWENTY_KM_AWAY = (8.229, 52.142)


def town() -> Jurisdiction:
    return db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "harsewinkel.de"))


# Harsewinkel's own: tests with a second town give it the same codes, and a lookup by code alone
# would then return either town's row.
def category(code: str) -> Category:
    return db.session.scalar(select(Category).join(Jurisdiction, Jurisdiction.id == Category.jurisdiction_id)
                             .where(Category.code == code, Jurisdiction.slug == "harsewinkel.de"))


def department(code: str) -> Department:
    return db.session.scalar(select(Department).join(Jurisdiction, Jurisdiction.id == Department.jurisdiction_id)
                             .where(Department.code == code, Jurisdiction.slug == "harsewinkel.de"))


def routed(decision):
    """A routing decision with its department's code, which the assertions read best."""
    from dataclasses import asdict
    from types import SimpleNamespace

    return SimpleNamespace(**asdict(decision), department_code=db.session.get(Department, decision.department_id).code)


def make_report(point=HARSEWINKEL, category_code="schlagloch", description="Tiefes Loch in der Fahrbahn",
                email=None, photos=(), **extra):
    data = ReportInput(category_code=category_code, description=description, lon=point[0], lat=point[1],
                       email=email, photos=list(photos), **extra)
    return create_report(town(), data)


def make_address(point, street: str, house_number: str, postcode: str = "33428", ortsteil: str = "Harsewinkel") -> str:
    """A known address at ``point``, as from the town's address file; returns its label. A report
    pinned there gets it as the place the public sees (``Report.public_address``)."""
    from geo.geocoding import import_addresses, label_for

    import_addresses(db.session, town().id, [{"street": street, "house_number": house_number, "postcode": postcode,
                                              "ortsteil": ortsteil, "x": point[0], "y": point[1]}])
    return label_for(street, house_number, postcode, ortsteil)


def jpeg_bytes(size=(640, 480), colour=(200, 60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
