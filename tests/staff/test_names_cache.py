"""The names the queue lists (categories, departments, Ortsteile, people and teams) are kept per
process and town by the town's names version (app/staff/names.py, migration 2630): a change
shows on the next page, an unchanged town costs no statement, a rolled-back change never
lends its version to a later one."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from app.db import db, utcnow
from app.jurisdictions.models import Area, Jurisdiction
from app.staff.models import StaffTeam
from tests.factories import category, department, make_report, town
from tests.staff.helpers import PASSWORD, login, make_staff

# A piece of each of the five statements that read the names (and of no other statement of the page).
_NAME_READS = ("categories.name_en", "FROM areas", "FROM staff_teams", "ORDER BY departments.name, staff_users",
               "departments.code, departments.name")


def _version() -> int:
    return db.session.scalar(select(Jurisdiction.names_version).where(Jurisdiction.id == town().id))


@contextmanager
def _name_reads():
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.extend(piece for piece in _NAME_READS if piece in statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _options(page: str, pattern: str) -> list[str]:
    block = re.search(pattern, page, re.S).group(1)
    return re.findall(r'<option value="[a-z]*:?\d+"[^>]*>([^<]+)</option>', block)


def _queue(client) -> dict[str, list[str]]:
    page = client.get("/intern/eingang").get_data(as_text=True)
    return {"categories": _options(page, r'<select id="f-category"[^>]*>(.*?)</select>'),
            "areas": _options(page, r'<select id="f-area"[^>]*>(.*?)</select>'),
            "assignees": _options(page, r'<optgroup label="Zuweisen an">(.*?)</optgroup>')}


def test_a_change_of_names_shows_on_the_next_queue_page_and_an_unchanged_town_reads_none(app, client):
    make_report()  # the bulk actions (with the assignees) are there when the queue has rows
    login(client, make_staff("dispatcher").username, PASSWORD)
    with _name_reads() as seen:
        first = _queue(client)
    assert sorted(seen) == sorted(_NAME_READS)  # read once: each marker names a real statement
    with _name_reads() as seen:
        assert _queue(client) == first
    assert seen == []  # kept: nothing read again

    tiefbau = department("tiefbau").name
    made = {}

    def shown_after(change, where: str, name: str) -> bool:
        before = _version()
        change()
        db.session.flush()
        assert _version() != before
        return name in _queue(client)[where]

    assert shown_after(lambda: setattr(category("schlagloch"), "name", "Schlagloch in der Fahrbahn"),
                       "categories", "Schlagloch in der Fahrbahn")
    assert shown_after(lambda: made.update(colleague=make_staff("staff", "tiefbau", username="e.mustermann")),
                       "assignees", f"e.mustermann ({tiefbau})")
    colleague = made["colleague"]
    assert shown_after(lambda: setattr(colleague, "display_name", "Erika Mustermann"),
                       "assignees", f"Erika Mustermann ({tiefbau})")
    assert shown_after(lambda: db.session.add(StaffTeam(jurisdiction_id=town().id, name="Kolonne Süd",
                                                        department_id=department("tiefbau").id)),
                       "assignees", f"Kolonne Süd ({tiefbau})")
    ortsteil = db.session.scalars(select(Area).where(Area.jurisdiction_id == town().id,
                                                     Area.kind == "ortsteil")).first()
    assert shown_after(lambda: setattr(ortsteil, "name", "Greffen (Ortsmitte)"), "areas", "Greffen (Ortsmitte)")

    # A sign-in time is no change of a name: the version stays, the names are not read again.
    before = _version()
    colleague.last_login_at = utcnow()
    db.session.flush()
    assert _version() == before
    with _name_reads() as seen:
        _queue(client)
    assert seen == []

    assert not shown_after(lambda: setattr(colleague, "active", False),  # can no longer be given reports
                           "assignees", f"Erika Mustermann ({tiefbau})")


def test_a_rolled_back_change_never_lends_its_version_to_a_later_one(app, client):
    make_report()  # the bulk actions (with the assignees) are there when the queue has rows
    login(client, make_staff("dispatcher").username, PASSWORD)
    _queue(client)
    undone = db.session.begin_nested()
    category("schlagloch").name = "Verworfener Name"
    db.session.flush()
    assert "Verworfener Name" in _queue(client)["categories"]  # kept under the savepoint's version
    rolled_back = _version()
    undone.rollback()
    category("schlagloch").name = "Gültiger Name"
    db.session.flush()
    assert _version() != rolled_back
    names = _queue(client)["categories"]
    assert "Gültiger Name" in names and "Verworfener Name" not in names
