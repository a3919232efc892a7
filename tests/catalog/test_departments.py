"""Catalog entries name the same departments that reports are routed to."""
from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.catalog.operations import EntryInput, entry_by_slug, save_contact, save_entry
from app.catalog.queries import contact_for, entries_of_department
from app.errors import ValidationFailed
from app.jurisdictions.models import Department
from tests.factories import HARSEWINKEL, department, make_report, town


def test_an_entry_and_a_routed_report_share_the_department_row(db_session):
    report = make_report(point=HARSEWINKEL, category_code="strassenlaterne")
    entry = save_entry(town(), EntryInput(name="Straßenbeleuchtung", topic="Ordnung und Verkehr",
                                          department_code=report.department.code))
    assert entry.department is report.department
    assert entry in entries_of_department(report.department)


def test_the_demo_entries_link_to_departments_with_contact_data(demo_catalog):
    melder = entry_by_slug(demo_catalog, "maengelmelder")
    assert melder.department is department("buergerbuero")  # also the town's routing fallback
    contact = contact_for(melder.department)
    assert contact.phone and contact.email.endswith("@harsewinkel.example") and "Münsterstraße" in contact.address
    gewerbe = entry_by_slug(demo_catalog, "gewerbeanmeldung")
    assert gewerbe.department is department("ordnungsamt")  # reports of graffiti go there too


def test_an_unknown_department_is_refused(db_session):
    with pytest.raises(ValidationFailed) as caught:
        save_entry(town(), EntryInput(name="Irgendwas", topic="T", department_code="gibt-es-nicht"))
    assert [(e.field, e.code) for e in caught.value.errors] == [("department", "unknown_department")]


def test_a_department_of_another_town_is_not_found(db_session):
    from app.jurisdictions.models import Jurisdiction

    other = Jurisdiction(slug="andere.example", name="Andere Stadt", reference_prefix="AS")
    db_session.add(other)
    db_session.flush()
    db_session.add(Department(jurisdiction_id=other.id, code="nur-dort", name="Nur dort"))
    db_session.flush()
    with pytest.raises(ValidationFailed):
        save_entry(town(), EntryInput(name="Irgendwas", topic="T", department_code="nur-dort"))


def test_a_department_with_entries_cannot_be_deleted(db_session):
    save_entry(town(), EntryInput(name="Gewerbe anmelden", topic="T", department_code="ordnungsamt"))
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(delete(Department).where(Department.id == department("ordnungsamt").id))


def test_contact_data_is_validated(db_session):
    with pytest.raises(ValidationFailed) as caught:
        save_contact(department("tiefbau"), phone="1" * 60, email="kein-at-zeichen")
    assert {e.field for e in caught.value.errors} == {"phone", "email"}
    contact = save_contact(department("tiefbau"), address="Rathaus\x00", phone="05247 000-1", email="t@x.example")
    assert contact.address == "Rathaus" and contact_for(department("tiefbau")) is contact
