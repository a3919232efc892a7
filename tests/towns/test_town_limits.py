"""Issue 21 point 6: limits per town. Town B's town file sets lower limits than the installation's
(one photo per report, 1 MB per photo, two reports a day from one internet connection); on B's
host the form, the intake API and Open311 refuse more with a German 4xx naming the limit, while
town A (the installation's limits: five photos, 15 MB) accepts the same. A town may set lower,
never higher than the installation."""
from __future__ import annotations

import io
import os
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.db import db
from app.extensions import limiter
from app.jurisdictions.models import Jurisdiction
from app.reports.models import Report
from app.towns.townfile import TownFileError
from tests.factories import HARSEWINKEL, jpeg_bytes, town
from tests.towns.test_town_isolation import Client
from tests.towns.two_towns import A_HOST, B_HOST, B_SLUG, IN_B, TOWN_FILE, add_host, write_town_file

B_LIMITS_FILE = TOWN_FILE.replace('contact_email = "info@zzbmarker.example"\n',
                                  f'contact_email = "info@zzbmarker.example"\nhosts = ["{B_HOST}"]\n\n'
                                  '[town.profile]\nmax_photos_per_report = 1\nmax_photo_mb = 1\nreports_per_day = 2\n')
API = "/api/v1/intake/reports"


@pytest.fixture
def towns(app, db_session, tmp_path):
    """Town B from its town file alone (the marked data of make_town_b is not needed here)."""
    from app.towns.cli import apply_town_file

    with app.app_context():
        limiter.reset()
    add_host(town(), A_HOST)
    apply_town_file(write_town_file(tmp_path / "b", B_LIMITS_FILE))
    db.session.commit()  # a savepoint (rolled back after the test)
    yield SimpleNamespace(town=db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == B_SLUG)))
    with app.app_context():
        limiter.reset()


def _big_jpeg() -> bytes:
    """A photo of about 2 MB: noise does not compress."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), os.urandom(1000 * 1000 * 3)).save(buffer, "JPEG", quality=98)
    assert buffer.tell() > 1024 * 1024
    return buffer.getvalue()


def _form(client: Client, where, photos: list[bytes], category: str, number: int) -> dict:
    return {"csrf_token": client.csrf(), "category": category, "description": f"Loch Nummer {number}",
            "lat": str(where[1]), "lon": str(where[0]), "idempotency_key": f"limits-{client.address}-{number}",
            "photos": [(io.BytesIO(p), f"foto{n}.jpg") for n, p in enumerate(photos)]}


def _count(jurisdiction_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Report).where(Report.jurisdiction_id == jurisdiction_id))


def test_b_takes_one_photo_of_1_mb_per_report_while_a_takes_more(app, towns):
    from app.open311.keys import create_client

    profile = db.session.get(Jurisdiction, towns.town.id).profile  # from the town file's [town.profile]
    assert (profile["max_photos_per_report"], profile["max_photo_mb"], profile["reports_per_day"]) == (1, 1, 2)
    b, a = Client(app, B_HOST), Client(app, A_HOST)
    before = _count(towns.town.id)
    page = b.open("GET", "/melden").get_data(as_text=True)
    assert "Ein Foto; JPEG, PNG, WebP oder HEIC, höchstens 1 MB." in page
    two = b.open("POST", "/melden", data=_form(b, IN_B, [jpeg_bytes(), jpeg_bytes()], "zzbmarker-loch", 1),
                 content_type="multipart/form-data")
    assert two.status_code == 400 and "Höchstens ein Foto pro Meldung." in two.get_data(as_text=True)
    big = b.open("POST", "/melden", data=_form(b, IN_B, [_big_jpeg()], "zzbmarker-loch", 2),
                 content_type="multipart/form-data")
    assert big.status_code == 400 and "erlaubt sind höchstens 1 MB" in big.get_data(as_text=True)
    api = b.open("POST", API, headers={"Idempotency-Key": "limits-api-b-1"}, content_type="multipart/form-data",
                 data={"category": "zzbmarker-loch", "description": "Loch per App", "lat": str(IN_B[1]),
                       "lon": str(IN_B[0]), "photos": [(io.BytesIO(jpeg_bytes()), f"{n}.jpg") for n in range(2)]})
    assert api.status_code == 400 and "Höchstens ein Foto pro Meldung." in str(api.get_json())
    _client, key = create_client(towns.town, "Zzbmarker Test-App", ["create_request"])
    db.session.commit()
    open311 = b.open("POST", "/open311/v2/requests.json", headers={"X-Api-Key": key}, data={
        "service_code": "zzbmarker-loch", "description": "Loch per Open311", "lat": str(IN_B[1]),
        "long": str(IN_B[0]), "media": [(io.BytesIO(jpeg_bytes()), f"{n}.jpg") for n in range(2)]},
        content_type="multipart/form-data")
    assert open311.status_code == 400 and "Höchstens ein Foto pro Meldung." in open311.get_data(as_text=True)
    assert _count(towns.town.id) == before  # nothing of the refused reports was kept
    # Town A keeps the installation's limits: two photos, one of them 2 MB, are fine there.
    accepted = a.open("POST", "/melden", data=_form(a, HARSEWINKEL, [jpeg_bytes(), _big_jpeg()], "schlagloch", 3),
                      content_type="multipart/form-data")
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:400]


def test_b_takes_two_reports_a_day_from_one_connection_while_a_takes_more(app, towns):
    b = Client(app, B_HOST)
    a = Client(app, A_HOST)
    a.address = b.address  # the same internet connection on both towns' hosts
    for number in (1, 2):
        made = b.open("POST", "/melden", data=_form(b, IN_B, [], "zzbmarker-loch", number))
        assert made.status_code == 303, made.get_data(as_text=True)[:400]
    third = b.open("POST", "/melden", data=_form(b, IN_B, [], "zzbmarker-loch", 3))
    assert third.status_code == 429
    assert "Der Mängelmelder der Stadt Zzbmarker nimmt über eine Internetverbindung höchstens 2 Meldungen am Tag " \
           "an." in third.get_data(as_text=True)
    api = b.open("POST", API, headers={"Idempotency-Key": "limits-api-b-3"}, content_type="multipart/form-data",
                 data={"category": "zzbmarker-loch", "description": "Loch per App", "lat": str(IN_B[1]),
                       "lon": str(IN_B[0])})
    assert api.status_code == 429 and "höchstens 2 Meldungen am Tag" in api.get_json()["errors"][0]["message"]
    for number in (4, 5, 6):
        assert a.open("POST", "/melden", data=_form(a, HARSEWINKEL, [], "schlagloch", number)).status_code == 303


def test_a_town_may_set_lower_limits_than_the_installation_never_higher(app, towns, tmp_path):
    from app.towns.cli import apply_town_file

    too_many = B_LIMITS_FILE.replace("max_photos_per_report = 1", "max_photos_per_report = 6")
    with pytest.raises(TownFileError) as refused:
        apply_town_file(write_town_file(tmp_path / "b2", too_many))
    assert "town.profile.max_photos_per_report: must lie between 1 and 5" in str(refused.value)
    # The profile page says the same in German, and saves a lower value with an audit entry.
    from app.staff.models import AuditEntry
    from tests.staff.helpers import make_staff

    admin = make_staff("admin")
    db.session.commit()
    client = Client(app, A_HOST)
    client.sign_in(admin.username)
    page = client.open("GET", "/intern/admin/stadtprofil").get_data(as_text=True)
    assert "Leer: 5, die Voreinstellung der Installation" in page
    form = {"csrf_token": client.csrf(), "name": "Stadt Harsewinkel", "max_photos_per_report": "6"}
    answer = client.open("POST", "/intern/admin/stadtprofil", data=form)
    assert answer.status_code == 400
    assert "„Fotos je Meldung (höchstens)“: Bitte geben Sie eine Zahl von 1 bis 5 an." in answer.get_data(as_text=True)
    form.update(max_photos_per_report="3", reports_per_day="50")
    assert client.open("POST", "/intern/admin/stadtprofil", data=form).status_code == 303
    assert db.session.get(Jurisdiction, town().id).profile["max_photos_per_report"] == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "town_profile_update")
                              .order_by(AuditEntry.id.desc()).limit(1))
    assert entry.changes["max_photos_per_report"] == [None, 3] and entry.changes["reports_per_day"] == [None, 50]
