"""Field mode in a real headless Chromium at a phone's size (issue 19 point 5): "In meiner Nähe"
with the phone's position, the list readable without signal, a task closed with an "after"
photo while the network is cut, and the change arriving exactly once when it returns.

Set ``SCREENSHOT_DIR`` to keep screenshots of the pages at 390 and 1366 px for review."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Photo, Report, StatusChange
from app.staff.models import AuditEntry, FieldUpdate, ReportAssignment
from tests.browser import describe_violations, run_axe
from tests.conftest import run_worker
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, make_report
from tests.intake.conftest import jpeg_with_gps
from tests.staff.helpers import PASSWORD, make_staff

pytestmark = pytest.mark.browser
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
             "has_touch": True, "locale": "de-DE"}


def _count(model, **where) -> int:
    db.session.remove()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _checked(page, name: str) -> None:
    """axe-core finds nothing, no sideways scrolling at 390 and 1366 px; with SCREENSHOT_DIR set,
    the page is kept at both widths."""
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    target = os.environ.get("SCREENSHOT_DIR")
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, width)
        if target:
            page.screenshot(path=os.path.join(target, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def _signed_in_phone(chromium, live_server, user, **options):
    """A 390 px phone context signed in as ``user``; returns (context, page)."""
    context = chromium.new_context(**PHONE_390, **options)
    page = context.new_page()
    page.goto(live_server.url + "/intern/anmelden")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/intern/eingang**")
    return context, page


def _small_targets(page) -> list[str]:
    """Links and buttons inside the field page lower than 44 px (WCAG 2.5.5 / our rule)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        '#field-page a, #field-page button, #field-page label.button')).filter(e => {
            const r = e.getBoundingClientRect(); return r.width > 0 && r.height < 44; }).map(e => e.outerHTML)""")


def test_task_closed_offline_with_an_after_photo_arrives_once(app, live_server, staff_committing, chromium,
                                                              smtp_server):
    me = make_staff("staff", "tiefbau")
    report = make_report(point=MARIENFELD, category_code="schlagloch", description="Loch vor dem Spielplatz",
                         email="melderin@example.org")
    report.reporter_email_confirmed = True
    other = make_report(point=GREFFEN, category_code="schlagloch", description="Absenkung am Gully")
    farther = make_report(point=HARSEWINKEL, category_code="schlagloch", description="Risse")
    for r in (report, other, farther):
        db.session.add(ReportAssignment(report_id=r.id, staff_user_id=me.id))
    db.session.commit()
    run_worker(app)  # the departments' mails about the new reports
    smtp_server.clear()

    context, page = _signed_in_phone(chromium, live_server, me, permissions=["geolocation"],
                                     geolocation={"latitude": MARIENFELD[1] + 0.0005, "longitude": MARIENFELD[0]})
    try:
        page.goto(live_server.url + "/intern/unterwegs/")
        # Without a position: the order by urgency, and "In meiner Nähe" is offered.
        page.tap("#near-me")
        page.wait_for_url(re.compile(r"/intern/unterwegs/\?lat=51\.93\d+&lon=8\.28\d+"))
        refs = page.locator(".task-ref").all_inner_texts()
        assert refs == [report.reference, farther.reference, other.reference]  # Marienfeld, Harsewinkel, Greffen
        assert page.locator(".task-distance").first.inner_text() == "60 m"
        assert page.get_attribute(f".task-card[data-report-id='{report.id}'] .task-nav", "href").startswith(
            f"geo:{MARIENFELD[1]:.6f},{MARIENFELD[0]:.6f}")
        # The worker keeps the list and all three task pages (and the files they use).
        page.wait_for_selector("#field-page[data-kept]", state="attached", timeout=15000)
        assert int(page.get_attribute("#field-page", "data-kept")) >= 4
        assert not _small_targets(page)
        assert page.locator(".task-waiting:visible").count() == 0
        _checked(page, "field-list")

        # No signal: the list is still readable, from the kept copy.
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#offline-note:not([hidden])")
        assert page.locator(".task-ref").all_inner_texts() == refs

        # Three taps from the list: the task, the photo button (the camera), "Erledigt melden".
        taps = 0
        page.tap(f".task-card[data-report-id='{report.id}'] .task-link")
        taps += 1
        page.wait_for_selector("#done-form")
        with page.expect_file_chooser() as chooser:
            page.tap("label[for=after-photo]")
            taps += 1
        chooser.value.set_files(files=[{"name": "danach.jpg", "mimeType": "image/jpeg",
                                        "buffer": jpeg_with_gps(size=(3000, 2250))}])
        page.wait_for_selector("#after-previews img")
        assert page.input_value("#note") == "Der Mangel wurde behoben. Vielen Dank für Ihre Meldung."
        page.tap("#done-button")
        taps += 1
        page.wait_for_selector("#field-page[data-queued='1']")
        assert taps == 3
        assert "sobald wieder Netz da ist" in page.inner_text("#done-status")
        assert page.evaluate("MMQueueFor('maengelmelder-field').waiting().then(w => w.map(e => e.photos.length))") == [1]
        # Nothing reached the server yet.
        assert _count(FieldUpdate) == 0 and _count(Photo, report_id=report.id) == 0
        # Back on the (kept) list, the task says that its change waits.
        page.tap("#done-status a")
        page.wait_for_selector(f".task-card[data-report-id='{report.id}'] .task-waiting:visible")
        assert page.locator(".task-waiting:visible").count() == 1
        assert "Änderungen, die auf Verbindung warten: 1" in page.inner_text("#field-queue")

        # The network returns: the queued change is sent, once.
        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('field-page').dataset.waiting === '0'", timeout=20000)
        assert f"{report.reference} ist als erledigt gemeldet." in page.inner_text("#field-queue")
        assert page.locator(".task-waiting:visible").count() == 0
        # Another "online" and a fresh list send nothing more.
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.goto(live_server.url + "/intern/unterwegs/")
        page.wait_for_function("() => document.getElementById('field-page').dataset.waiting === '0'")
        assert report.reference not in page.locator(".task-ref").all_inner_texts()  # closed: off the list
        assert not page.locator("#field-queue").is_visible()  # the outcome was shown once

        assert db.session.get(Report, report.id).status == "erledigt"
        assert _count(StatusChange, report_id=report.id, new_status="erledigt") == 1
        assert _count(AuditEntry, report_id=report.id, action="status") == 1
        assert _count(FieldUpdate, report_id=report.id) == 1
        [photo] = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
        assert photo.after_fix and max(photo.width, photo.height) == 2000  # shrunk on the phone
        assert _count(OutboxMessage, kind="status_changed") == 1
        run_worker(app)
        mails = smtp_server.to("melderin@example.org")
        assert len(mails) == 1 and report.reference in mails[0]["Subject"] and "Erledigt" in mails[0]["Subject"]
    finally:
        context.close()


def test_task_page_fits_a_phone_and_a_shared_phone_sends_only_my_changes(app, live_server, staff_committing, chromium):
    me = make_staff("staff", "tiefbau")
    report = make_report(point=HARSEWINKEL, description="Gehwegplatte lose")
    db.session.add(ReportAssignment(report_id=report.id, staff_user_id=me.id))
    db.session.commit()
    context, page = _signed_in_phone(chromium, live_server, me)
    try:
        page.goto(live_server.url + f"/intern/unterwegs/{report.id}")
        assert page.get_attribute("#navigate", "href").startswith("geo:")
        assert not _small_targets(page)
        _checked(page, "field-task")
        # A phone shared by a crew: a change queued under another sign-in is not sent under this one.
        page.evaluate("""([url, id, ref]) => MMQueueFor('maengelmelder-field').add({key: 'field-other-user-0001',
            url: url, reportId: id, user: 'jemand-anderes', fields: [['note', 'Erledigt.'], ['reference', ref]],
            photos: [], attempts: 0})""", [f"/intern/unterwegs/{report.id}/erledigt", str(report.id), report.reference])
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function("() => document.getElementById('field-queue').textContent.includes('anderen Anmeldung')")
        assert "Änderungen, die auf Verbindung warten: 1" in page.inner_text("#field-queue")
        assert _count(FieldUpdate) == 0  # (also starts a fresh session for the next line)
        assert db.session.get(Report, report.id).status == "eingegangen"
        # Without a position the list says how it is sorted and offers to type a place.
        page.goto(live_server.url + "/intern/unterwegs/?ort=Nirgendwo+1")
        assert "kennen wir in der Stadt nicht" in page.inner_text("#ort-error")
        _checked(page, "field-list-place-refused")
    finally:
        context.close()
