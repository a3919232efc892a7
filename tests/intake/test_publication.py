"""What becomes public when: category, location, status and reference at once;
description and photos only after staff published them (or at once where the
category says so); a hidden report not at all. The reporter's private link shows
their own text and photos throughout."""
from __future__ import annotations

import io
import re

from app.reports.models import Report
from tests.conftest import csrf_token
from tests.intake.conftest import form_data, jpeg_with_gps

DESCRIPTION = "Schlagloch, etwa 30 cm breit, direkt vor der Bushaltestelle."


def _submit(client, category: str, email: str | None = None):
    data = form_data(csrf_token(client), category=category, description=DESCRIPTION, email=email)
    data["photos"] = (io.BytesIO(jpeg_with_gps()), "loch.jpg")
    response = client.post("/melden", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[1]
    return token


def test_reviewed_category_shows_text_and_photos_only_after_publishing(client, db_session):
    token = _submit(client, "schlagloch", email="privat@example.org")
    report = db_session.query(Report).filter_by(tracking_token=token).one()
    [photo] = report.photos

    public = client.get(f"/meldungen/{report.reference}")
    page = public.get_data(as_text=True)
    # Public at once: category, status, reference.
    assert public.status_code == 200
    assert "Schlagloch / Straßenschaden" in page and report.reference in page and "Eingegangen" in page
    # Not yet: the description and the photos; never: the reporter.
    assert DESCRIPTION not in page and "Die Beschreibung wird nach Prüfung veröffentlicht." in page
    assert f"/fotos/{photo.id}/" not in page
    assert client.get(f"/fotos/{photo.id}/display.jpg").status_code == 404
    assert client.get(f"/fotos/{photo.id}/thumb.jpg").status_code == 404
    assert "privat@example.org" not in page

    # The reporter sees everything behind the private link, marked as not public.
    track = client.get(f"/verfolgen/{token}")
    text = track.get_data(as_text=True)
    assert DESCRIPTION in text and "nicht öffentlich" in text
    assert track.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/verfolgen/{token}/fotos/{photo.id}/thumb.jpg").status_code == 200
    assert client.get(f"/verfolgen/wrong-token/fotos/{photo.id}/thumb.jpg").status_code == 404

    # Staff publish (the staff UI sets these flags): now public.
    report.description_published = True
    photo.published = True
    db_session.commit()
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert DESCRIPTION in page and f"/fotos/{photo.id}/thumb.jpg" in page
    assert client.get(f"/fotos/{photo.id}/display.jpg").status_code == 200
    assert "privat@example.org" not in page


def test_category_that_publishes_at_once(client, db_session):
    token = _submit(client, "strassenlaterne")
    report = db_session.query(Report).filter_by(tracking_token=token).one()
    assert report.description_published and report.photos[0].published
    page = client.get(f"/meldungen/{report.reference}").get_data(as_text=True)
    assert DESCRIPTION in page
    assert client.get(f"/fotos/{report.photos[0].id}/display.jpg").status_code == 200
    confirmation = client.get(f"/meldung/eingegangen/{token}").get_data(as_text=True)
    assert "In dieser Kategorie werden auch Beschreibung und Fotos sofort veröffentlicht." in confirmation


def test_hidden_report_disappears_from_the_public_but_not_from_the_reporter(client, db_session):
    token = _submit(client, "strassenlaterne")
    report = db_session.query(Report).filter_by(tracking_token=token).one()
    report.hidden = True
    db_session.commit()
    assert client.get(f"/meldungen/{report.reference}").status_code == 404
    assert client.get(f"/fotos/{report.photos[0].id}/display.jpg").status_code == 404
    track = client.get(f"/verfolgen/{token}").get_data(as_text=True)
    assert "die Stadt hat die Meldung ausgeblendet" in track


def test_confirmation_page_has_reference_and_private_link_but_no_contact_data(client, db_session):
    token = _submit(client, "schlagloch", email="privat@example.org")
    response = client.get(f"/meldung/eingegangen/{token}")
    page = response.get_data(as_text=True)
    assert re.search(r'<strong class="reference" id="reference">HW-\d{4}-\d{6}</strong>', page)
    assert f"/verfolgen/{token}" in page
    assert "privat@example.org" not in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 'name="robots" content="noindex"' in page
