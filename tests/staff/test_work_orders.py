"""Work orders and route sheets as PDF (issue 19 point 6): what ``pdftotext`` reads in them,
the clerk's choices, refusals, and that rendering asks no other host for anything.

"No request to another host" is observed, not assumed: a Python audit hook records every
``socket.connect`` and ``urllib.Request`` of the process while the PDF is made (WeasyPrint
fetches through urllib), and a real HTTP server on the loopback counts what reaches it.
"""
from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from contextlib import contextmanager

from sqlalchemy import select

from app.db import db
from app.open311.models import ServiceAttribute
from app.staff import assignments
from app.staff.models import InternalNote, StaffTeam, StaffTeamMember
from app.workorders.documents import route_order
from app.workorders.pdf import LocalOnlyFetcher, render_pdf
from geo.sketch import MAX_HOUSE_NUMBERS, HouseAddress, Pin, SketchData, draw_svg
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, category, jpeg_bytes, make_address, make_report
from tests.staff.helpers import login, make_staff

# --- watching the process's network use --------------------------------------------------

_events: list[tuple[str, object]] | None = None


def _audit(event: str, args) -> None:
    if _events is not None and event in ("socket.connect", "urllib.Request", "socket.getaddrinfo"):
        _events.append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only inside ``network_watch``


@contextmanager
def network_watch():
    """Collects the process's connection attempts (and URL requests) inside the block."""
    global _events
    _events = []
    seen = _events
    try:
        yield seen
    finally:
        _events = None


def outside_requests(events) -> list:
    """Everything that would reach another host: any URL request but for an embedded ``data:``
    URL, any name lookup, any connect to an IP address (unix sockets, e.g. Redis in the tests,
    are paths and stay on this machine)."""
    return [(kind, target) for kind, target in events
            if (kind == "urllib.Request" and not str(target).startswith("data:"))
            or kind == "socket.getaddrinfo"
            or (kind == "socket.connect" and not isinstance(target, str))]


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def page_count(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def raster_images(data: bytes) -> int:
    """Embedded raster images (the photos; map and QR code are vector graphics)."""
    listing = subprocess.run(["pdfimages", "-list", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return len(listing.splitlines()) - 2


def _lamp_questions():
    lamp = category("strassenlaterne")
    db.session.add_all([
        ServiceAttribute(category_id=lamp.id, code="zustand", datatype="singlevaluelist", required=True,
                         description="Was ist mit der Laterne?", order=1,
                         values=[{"key": "aus", "name": "Brennt nicht"}, {"key": "flackert", "name": "Flackert"}]),
        ServiceAttribute(category_id=lamp.id, code="mast", datatype="string", description="Mastnummer", order=2),
    ])
    db.session.flush()


def _lamp_report(**extra):
    _lamp_questions()
    make_address((HARSEWINKEL[0] + 0.0003, HARSEWINKEL[1]), "Münsterstraße", "14")
    report = make_report(category_code="strassenlaterne", description="Laterne flackert seit Tagen",
                         address="Münsterstraße 12, vor der Apotheke",
                         answers={"zustand": ["flackert"], "mast": ["12-034"]}, **extra)
    return report


def test_work_order_pdf_names_reference_answers_and_address_and_asks_no_host(client):
    report = _lamp_report(photos=[jpeg_bytes()])
    db.session.add(InternalNote(report_id=report.id, author="tiefbau", body="Hubsteiger nötig"))
    db.session.flush()
    user = make_staff("staff", "tiefbau")
    report.department_id = user.department_id
    db.session.flush()
    login(client, user.username)
    with network_watch() as events:
        response = client.get(f"/intern/meldungen/{report.id}/arbeitsauftrag.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    words = " ".join(pdftotext(data).split())
    assert report.reference in words
    assert "Straßenlaterne" in words                                          # the category
    assert "Was ist mit der Laterne?" in words and "Flackert" in words        # the answers, as names
    assert "Mastnummer 12-034" in words and "flackert" not in words.replace("Laterne flackert", "")
    assert "Münsterstraße 12, vor der Apotheke" in words                      # the address
    assert "Münsterstraße 14" in words or report.public_address in words      # the nearest known address
    assert "Laterne flackert seit Tagen" in words and "Hubsteiger nötig" in words
    assert "Erledigen bis" in words
    assert events is not None and outside_requests(events) == []


def test_renderer_refuses_every_url_that_is_not_embedded():
    """Even the loopback (the app's own host, here a real server) gets no request."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = (f'<html><head><link rel="stylesheet" href="{base}/style.css">'
                f'<style>@import url("{base}/more.css"); p {{ background: url("{base}/bg.png") }}</style></head>'
                f'<body><p>Arbeitsauftrag</p><img src="{base}/photo.jpg"><img src="file:///etc/hostname">'
                f'<img src="relative.png"></body></html>')
        fetcher = LocalOnlyFetcher()
        with network_watch() as events:
            data = render_pdf(html, fetcher)
    finally:
        server.shutdown()
        server.server_close()
    assert data.startswith(b"%PDF-") and "Arbeitsauftrag" in pdftotext(data)
    assert hits == []
    assert f"{base}/photo.jpg" in fetcher.refused and "file:///etc/hostname" in fetcher.refused
    assert f"{base}/style.css" in fetcher.refused
    assert outside_requests(events) == []


def test_photos_as_the_clerk_chooses_and_contact_only_when_asked(client):
    report = _lamp_report(photos=[jpeg_bytes(), jpeg_bytes(colour=(20, 120, 200))], email="anna@example.org",
                          name="Anna Beispiel")
    report.photos[0].published, report.photos[1].published = True, False
    db.session.flush()
    user = make_staff("dispatcher")
    login(client, user.username)
    url = f"/intern/meldungen/{report.id}/arbeitsauftrag.pdf"
    assert raster_images(client.get(url).get_data()) == 1                      # default: the published one
    assert raster_images(client.get(url, query_string={"fotos": "alle"}).get_data()) == 2
    assert raster_images(client.get(url, query_string={"fotos": "keine"}).get_data()) == 0
    assert "Anna Beispiel" not in pdftotext(client.get(url).get_data())
    with_contact = pdftotext(client.get(url, query_string={"kontakt": "1"}).get_data())
    assert "Anna Beispiel" in with_contact and "anna@example.org" in with_contact
    refused = client.get(url, query_string={"fotos": "manche"})
    assert refused.status_code == 400
    assert "Diese Auswahl an Fotos gibt es nicht" in refused.get_data(as_text=True)


def test_other_departments_get_no_work_order(client):
    report = make_report()
    outsider = make_staff("staff", _another_department(report))
    login(client, outsider.username)
    assert client.get(f"/intern/meldungen/{report.id}/arbeitsauftrag.pdf").status_code == 403
    assert client.get("/intern/meldungen/999999999/arbeitsauftrag.pdf").status_code == 404


def _another_department(report) -> str:
    from app.jurisdictions.models import Department

    return db.session.scalar(select(Department.code).where(Department.id != report.department_id).limit(1))


def test_route_sheet_of_my_tasks_and_of_a_team(client):
    clerk = make_staff("dispatcher")
    crew_member = make_staff("staff", "tiefbau")
    reports = [make_report(point=p, address=a, description=f"Schaden {n}")
               for n, (p, a) in enumerate([(MARIENFELD, "Klosterhof 3"), (HARSEWINKEL, "Brockhäger Straße 9"),
                                           (GREFFEN, "Greffener Straße 40")], start=1)]
    for report in reports:
        report.department_id = crew_member.department_id
    db.session.flush()
    for report in reports[:2]:
        assignments.assign(clerk, report, f"person:{crew_member.id}")
    team = StaffTeam(jurisdiction_id=clerk.jurisdiction_id, department_id=crew_member.department_id,
                     name="Kolonne Nord")
    db.session.add(team)
    db.session.flush()
    db.session.add(StaffTeamMember(team_id=team.id, staff_user_id=crew_member.id))
    assignments.assign(clerk, reports[2], f"team:{team.id}")
    db.session.flush()

    login(client, crew_member.username)
    queue = client.get("/intern/eingang", query_string={"zuweisung": "meine"}).get_data(as_text=True)
    link = re.search(r'id="route-sheet" href="([^"]+)"', queue).group(1)
    assert link.startswith("/intern/laufzettel.pdf?") and "zuweisung=meine" in link
    with network_watch() as events:
        response = client.get("/intern/laufzettel.pdf", query_string={"zuweisung": "meine"})
    assert response.status_code == 200 and outside_requests(events) == []
    data = response.get_data()
    text = " ".join(pdftotext(data).split())
    assert "Laufzettel: Meine Aufgaben" in text
    for report in reports:  # my own two and my team's one
        assert report.reference in text
    assert "Klosterhof 3" in text and "Greffener Straße 40" in text
    assert page_count(data) >= 4  # the overview, then one work order per report

    team_sheet = client.get("/intern/laufzettel.pdf", query_string={"team": team.id})
    team_text = " ".join(pdftotext(team_sheet.get_data()).split())
    assert "Laufzettel Kolonne Nord" in team_text and reports[2].reference in team_text
    assert reports[0].reference not in team_text

    nothing = client.get("/intern/laufzettel.pdf", query_string={"zuweisung": "niemand", "status": "geschlossen"})
    assert nothing.status_code == 400 and "keine offenen Meldungen" in nothing.get_data(as_text=True)
    assert client.get("/intern/laufzettel.pdf", query_string={"team": "x1"}).status_code == 400
    assert client.get("/intern/laufzettel.pdf", query_string={"team": "999999"}).status_code == 404


def test_report_page_offers_the_work_order_with_safe_choices(client):
    report = make_report()
    login(client, make_staff("dispatcher").username)
    html = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert f'action="/intern/meldungen/{report.id}/arbeitsauftrag.pdf"' in html
    assert 'id="wo-photos-oeffentlich" name="fotos" value="oeffentlich" checked' in html
    assert 'id="wo-photos-alle" name="fotos" value="alle" >' in html  # internal photos only when chosen
    assert 'id="wo-contact" name="kontakt" value="1">' in html          # contact data only when ticked


def test_weasyprint_leaves_pillows_truncated_image_check_alone():
    from PIL import ImageFile

    import app.workorders.pdf  # noqa: F401 (imported by the app already; the flag must stay off)

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_route_order_visits_the_nearest_next():
    points = [(8.0, 52.0), (8.3, 52.0), (8.01, 52.0), (8.2, 52.0)]
    assert route_order(points) == [0, 2, 3, 1]
    assert route_order([]) == []


def test_map_excerpt_escapes_names_and_draws_pins_and_numbers():
    data = SketchData(box=(8.228, 51.961, 8.230, 51.963), pins=[Pin(8.229, 51.962, "7")],
                      outlines=[[[(8.228, 51.9615), (8.230, 51.9615)]]],
                      addresses=[HouseAddress(8.2291, 51.9621, "<script>Weg</script>", "3&4")])
    svg = draw_svg(data)
    assert "<script>" not in svg and "&lt;script&gt;Weg&lt;/script&gt;" in svg and "3&amp;4" in svg
    assert svg.count("<polyline") == 1 and ">7</text>" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_map_excerpt_numbers_the_nearest_houses_without_overlap():
    """Every address gets its dot; house numbers only for the nearest that do not cover another
    number (each SVG text costs the renderer, and numbers drawn over each other cannot be read)."""
    row = [HouseAddress(8.2270 + 0.0001 * i, 51.9620, "Lange Straße", f"{i + 1}") for i in range(60)]
    on_top_of_1 = HouseAddress(8.2270, 51.9620, "Lange Straße", "1a")
    svg = draw_svg(SketchData(box=(8.227, 51.961, 8.233, 51.963), pins=[Pin(8.229, 51.962)],
                              addresses=[row[0], on_top_of_1, *row[1:]]), width=640, height=400)
    numbers = re.findall(r'font-size="10" fill="#333333">([^<]*)</text>', svg)
    houses = re.search(r'<path class="houses" d="([^"]*)"', svg).group(1)
    assert houses.count("M") == 61                               # every address has its dot
    assert numbers[:2] == ["1", "2"] and "1a" not in numbers    # nearest first; the one on top of "1" is left out
    assert len(numbers) <= MAX_HOUSE_NUMBERS and len(numbers) < 60


def test_names_in_the_page_margins_cannot_end_the_css_string():
    from markupsafe import Markup

    from app.workorders.routes import css_string

    assert css_string('Stadt "X"</style><script>') == Markup('"Stadt \\22 X\\22 \\3c \\2f style\\3e \\3c script\\3e "')
    assert css_string(Markup("A &amp; B")) == Markup('"A \\26  B"')
