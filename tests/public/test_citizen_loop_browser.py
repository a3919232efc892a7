"""Issue 20 in headless Chromium: Meine Meldungen signed in (through the link's button), "Ich auch"
on a report page and the "Ist es erledigt?" answer, each at 320/390/1366 px where it matters: no
sideways scrolling, axe-core clean (WCAG 2.2 AA), thumb-sized targets on the phone. Screenshots
go to $SCREENSHOT_DIR when set (looked at by hand)."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.account.models import CitizenSignIn
from app.account.tokens import sign_in_token
from app.db import db, utcnow
from app.feedback.models import FixedQuestionnaire
from app.feedback.operations import record_due_questionnaires
from app.feedback.tokens import questionnaire_token
from app.followers.operations import request_follow
from app.reports.operations import change_status
from tests.browser import describe_violations, run_axe
from tests.factories import GREFFEN, HARSEWINKEL, jpeg_bytes, make_report
from tests.public.test_layout import AXE_TAGS, MIN_TARGET, WIDTHS, _OVERFLOW, _SMALL_TARGETS

pytestmark = pytest.mark.browser
ANNA = "anna@example.org"


def _check(page, width: int, label: str) -> list[str]:
    problems = []
    overflow = page.evaluate(_OVERFLOW)
    if overflow["scrollWidth"] > overflow["width"]:
        problems.append(f"{width}px {label}: scrollWidth {overflow['scrollWidth']}: {overflow['wide']}")
    if width != 320:
        violations = run_axe(page, tags=AXE_TAGS)
        if violations:
            problems.append(f"{width}px {label}: axe {describe_violations(violations)}")
    if width < 800:
        small = page.evaluate(_SMALL_TARGETS, MIN_TARGET)
        if small:
            problems.append(f"{width}px {label}: targets under {MIN_TARGET} px: {small[:10]}")
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots and width != 320:
        page.screenshot(path=os.path.join(shots, f"{label}-{width}.png"), full_page=True)
    return problems


def test_meine_meldungen_signed_in_fits_and_passes_axe(public_live, chromium):
    report = make_report(point=HARSEWINKEL, category_code="gully", email=ANNA, description="Gully verstopft",
                         photos=[jpeg_bytes()])
    followed = make_report(point=GREFFEN, category_code="wilder-muell", description="Sperrmüll am Waldweg")
    request_follow(followed, ANNA).confirmed_at = utcnow()
    links = []
    for _ in WIDTHS:
        sign_in = CitizenSignIn(jurisdiction_id=followed.jurisdiction_id, email=ANNA)
        db.session.add(sign_in)
        db.session.flush()
        links.append(f"/meine-meldungen/anmelden/{sign_in_token(sign_in.id)}")
    db.session.commit()
    problems: list[str] = []
    for width, link in zip(WIDTHS, links):
        phone = width < 800
        context = chromium.new_context(viewport={"width": width, "height": 844 if phone else 900}, locale="de-DE",
                                       is_mobile=phone, has_touch=phone, device_scale_factor=1)
        page = context.new_page()
        try:
            page.goto(public_live.url + link)
            with page.expect_navigation():
                page.get_by_role("button", name="Jetzt anmelden").click()
            assert page.url.endswith("/meine-meldungen")
            assert report.reference in page.content() and followed.reference in page.content()
            problems += _check(page, width, "meine-meldungen")
            page.goto(public_live.url + "/meine-meldungen?lang=en")
            assert "My reports" in page.content()
            problems += _check(page, width, "meine-meldungen-en")
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def test_ich_auch_and_the_questionnaire_in_a_browser(public_live, chromium):
    open_report = make_report(point=HARSEWINKEL, description="Ampel defekt")
    fixed = make_report(point=GREFFEN, category_code="gully", email=ANNA, description="Gully")
    fixed.reporter_email_confirmed = True
    change_status(fixed, "erledigt", actor="bauhof")
    record_due_questionnaires(utcnow() + timedelta(days=8))
    questionnaire = db.session.scalar(select(FixedQuestionnaire).where(FixedQuestionnaire.report_id == fixed.id))
    db.session.commit()
    token = questionnaire_token(questionnaire.id)
    problems: list[str] = []
    for width in (390, 1366):
        context = chromium.new_context(viewport={"width": width, "height": 844}, locale="de-DE",
                                       is_mobile=width < 800, has_touch=width < 800)
        page = context.new_page()
        try:
            page.goto(public_live.url + f"/meldungen/{open_report.reference}")
            with page.expect_navigation():
                page.get_by_role("button", name="Ich auch").click()
            assert "Danke! Ihre Unterstützung ist gezählt." in page.content()
            problems += _check(page, width, "ich-auch")
            page.goto(public_live.url + f"/erledigt/{token}")
            problems += _check(page, width, "erledigt-frage")
        finally:
            context.close()
    expected = "2 Personen unterstützen diese Meldung."  # two browsers (contexts), one vote each
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="de-DE", is_mobile=True,
                                   has_touch=True)
    page = context.new_page()
    try:
        page.goto(public_live.url + f"/meldungen/{open_report.reference}")
        assert expected in page.content()
        page.goto(public_live.url + f"/erledigt/{token}")
        page.get_by_label("Nein, der Mangel ist noch da.").check()
        page.get_by_label("Kommentar (freiwillig)").fill("Immer noch verstopft.")
        with page.expect_navigation():
            page.get_by_role("button", name="Antwort senden").click()
        assert "Vielen Dank für Ihre Antwort!" in page.content()
        problems += _check(page, 390, "erledigt-danke")
    finally:
        context.close()
    db.session.expire_all()
    assert db.session.get(type(fixed), fixed.id).status == "in_pruefung"
    assert problems == [], "\n".join(problems)
