"""The queue's text search: served by the trigram GIN indexes of migration 0800, same results as before."""
from __future__ import annotations

import json
import re

from sqlalchemy import text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable
from werkzeug.datastructures import MultiDict

from app.db import db
from app.open311.models import ServiceAttribute
from app.staff.queries import parse_filters, queue_select
from tests.factories import GREFFEN, category, make_report
from tests.staff.helpers import login, make_staff

TRIGRAM_INDEXES = {"ix_reports_description_trgm", "ix_reports_address_trgm",
                   "ix_report_attribute_values_answer_text_trgm"}
FILLER_REPORTS = 20_000


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>`` with the select's own bound parameters."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(_Explain)
def _compile_explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _indexes_used(plan: dict) -> set[str]:
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _indexes_used(child)
    return found


def _scanned_whole(plan: dict) -> set[str]:
    """Tables read by a sequential scan anywhere in the plan."""
    found = {plan["Relation Name"]} if plan.get("Node Type") == "Seq Scan" else set()
    for child in plan.get("Plans", []):
        found |= _scanned_whole(child)
    return found


def _plan(statement) -> dict:
    raw = db.session.execute(_Explain(statement)).scalar_one()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _fill_reports(template_id: int, n: int) -> None:
    """``n`` more reports like ``template_id`` with other texts (one statement; rolled back after the test)."""
    db.session.execute(text("""
        INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation, location,
                             address, description, description_published, hidden, priority, status,
                             status_changed_at, reporter_email_confirmed, locale, created_at, updated_at)
        SELECT jurisdiction_id, 'TS-' || lpad(g::text, 8, '0'), category_id, department_id, routing_explanation,
               location, 'Teststraße ' || (g % 300), 'Meldung ' || g || ' ' || md5(g::text), true, false, 0, status,
               status_changed_at, false, 'de', created_at - g * interval '1 minute', updated_at
        FROM reports, generate_series(1, :n) AS g WHERE reports.id = :id"""), {"id": template_id, "n": n})
    # Every filler report answered an extra question of its category (revision 1910 searches the answers).
    attribute = ServiceAttribute(category_id=db.session.scalar(text("SELECT category_id FROM reports WHERE id = :id"),
                                                               {"id": template_id}),
                                 code="tiefe", datatype="string", description="Wie tief ist es?")
    db.session.add(attribute)
    db.session.flush()
    db.session.execute(text("""
        INSERT INTO report_attribute_values (report_id, attribute_id, value, answer_text)
        SELECT id, :aid, to_jsonb('Tiefe ' || id), 'Tiefe ' || id || ' cm ' || md5(id::text)
        FROM reports WHERE reference LIKE 'TS-%'"""), {"aid": attribute.id})
    # As on a long-running database: GIN's pending list merged (autovacuum does that) and statistics current.
    db.session.execute(text("SELECT gin_clean_pending_list('ix_reports_description_trgm'), "
                            "gin_clean_pending_list('ix_reports_address_trgm'), "
                            "gin_clean_pending_list('ix_report_attribute_values_answer_text_trgm')"))
    db.session.execute(text("ANALYZE reports"))
    db.session.execute(text("ANALYZE report_attribute_values"))


def test_trigram_indexes_exist_and_are_valid(db_session):
    rows = db.session.execute(text("""
        SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid IN ('reports'::regclass, 'report_attribute_values'::regclass)
          AND c.relname = ANY(:names)"""),
                              {"names": sorted(TRIGRAM_INDEXES)}).all()
    assert {r[0] for r in rows} == TRIGRAM_INDEXES
    for name, valid, definition in rows:
        assert valid, name
        assert "USING gin" in definition and "gin_trgm_ops" in definition, definition


def test_queue_text_search_uses_the_trigram_indexes(db_session):
    wanted = make_report(description="Sperrmüll am Waldrand abgeladen")
    _fill_reports(wanted.id, FILLER_REPORTS)
    for role in ("dispatcher", "staff"):  # the town-wide queue and a department's queue
        user = make_staff(role)
        for term in ("waldrand", "Sperrmüll"):
            plan = _plan(queue_select(parse_filters(MultiDict({"q": term}), user), user))
            used = _indexes_used(plan)
            assert TRIGRAM_INDEXES <= used, (role, term, used)
            # The big tables are searched through their indexes; a small one (the categories a
            # deadline is read from) may be scanned whole, as the planner likes for a few rows.
            assert not _scanned_whole(plan) & {"reports", "report_attribute_values"}, (role, term, plan)
        rows = db.session.execute(queue_select(parse_filters(MultiDict({"q": "WALDRAND"}), user), user)).all()
        assert [r.id for r in rows] == [wanted.id]


def _refs(body: str) -> list[str]:
    return re.findall(r'class="report-link">([A-Z]+-\d{4}-\d{6})<', body)


def test_text_search_results(client):
    user = make_staff("dispatcher")
    login(client, user.username)
    litter = make_report(point=GREFFEN, category_code="wilder-muell", description="Sperrmüll am Waldrand")
    lamp = make_report(category_code="strassenlaterne", description="Laterne dunkel", address="Münsterstraße 12")
    percent = make_report(description="Schild 100% verbogen")
    underscore = make_report(description="Graffiti a_b an der Wand")

    def search(term: str) -> set[str]:
        response = client.get("/intern/eingang", query_string={"q": term})
        assert response.status_code == 200
        return set(_refs(response.get_data(as_text=True)))

    assert search("waldrand") == {litter.reference}            # inside the description, any case
    assert search("MÜNSTERSTR") == {lamp.reference}             # inside the address
    assert search(lamp.reference.lower()) == {lamp.reference}  # the reference, exactly
    assert search("100%") == {percent.reference}                # % and _ are literal characters, not wildcards
    assert search("a_b") == {underscore.reference}
    assert search("%") == {percent.reference}
    assert search("ab") == set()                                # two characters: still correct (no index needed)
    assert search("Laterne hell") == set()


def test_text_search_finds_answers_to_extra_questions_by_their_words(client):
    lamp = category("strassenlaterne")
    db.session.add_all([
        ServiceAttribute(category_id=lamp.id, code="zustand", datatype="multivaluelist", description="Was ist los?",
                         values=[{"key": "aus", "name": "Brennt nicht"}, {"key": "flackert", "name": "Flackert"}]),
        ServiceAttribute(category_id=lamp.id, code="mast", datatype="string", description="Mastnummer")])
    db.session.flush()
    answered = make_report(category_code="strassenlaterne", description="Laterne kaputt",
                           answers={"zustand": ["aus", "flackert"], "mast": ["M-7731"]})
    other = make_report(category_code="strassenlaterne", description="Laterne schief", answers={"zustand": ["aus"]})
    login(client, make_staff("dispatcher").username)

    def search(term: str) -> set[str]:
        response = client.get("/intern/eingang", query_string={"q": term})
        assert response.status_code == 200
        return set(_refs(response.get_data(as_text=True)))

    assert search("m-7731") == {answered.reference}                       # a typed answer
    assert search("flackert") == {answered.reference}                     # a choice, by its name
    assert search("brennt nicht") == {answered.reference, other.reference}
    assert search("Laterne schief") == {other.reference}                  # the description still counts
