"""Routing many reports at once, with exactly the precedence of ``geo.routing.route_point``.

Used when areas or rules change: ``plan_rerouting`` computes, for every report of
the given statuses, the department the current rules give it, in one polygon-outer
join (each area's GiST lookup finds its reports, instead of one lookup per report);
``apply_plan`` writes the result. Both work in a temporary table of the current
transaction, so a preview and its application within one transaction agree.

How the precedence is kept in bulk: per (area, category) the best candidate among
that area's rules and the town-wide rules is computed once ("effective rules",
areas × categories rows); per report the best effective candidate over its
covering areas is the rule ``route_point`` would pick, because its ORDER BY key is
(area rule first, rank desc, area size asc, area id asc, category-specific first,
time-limited first, rule id) and town-wide candidates are the same for every area.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

# Must match geo.routing.explain(): "Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld".
_EXPLAIN_SQL = """
    CASE WHEN ra.id IS NULL THEN 'ganze Stadt'
         ELSE (CASE ra.kind WHEN 'boundary' THEN 'Stadtgebiet' WHEN 'district' THEN 'Bezirk'
                            WHEN 'ortsteil' THEN 'Ortsteil' ELSE 'Gebiet' END) || ' ' || ra.name END
    || ' · ' || coalesce(rc.name, 'alle Kategorien') || ' → ' || rdep.name
"""

_EFFECTIVE_SQL = """
    DROP TABLE IF EXISTS pg_temp.routing_effective;
    CREATE TEMP TABLE routing_effective (
        area_id integer, category_id integer, rule_id integer, department_id integer,
        k0 integer, k1 integer, k2 double precision, k3 integer, k4 boolean, k5 boolean
    ) ON COMMIT DROP;
    INSERT INTO routing_effective
    WITH rules AS (
        SELECT * FROM routing_rules
        WHERE jurisdiction_id = :jid
          AND (valid_from IS NULL OR valid_from <= :day) AND (valid_until IS NULL OR valid_until >= :day)
    ),
    candidates AS (
        -- rules bound to an area: for their category, or (catch-all) for every category
        SELECT a.id AS area_id, c.id AS category_id, r.id AS rule_id, r.department_id,
               0 AS k0, -a.rank AS k1, a.area_m2 AS k2, a.id AS k3, (r.category_id IS NULL) AS k4,
               (r.valid_from IS NULL AND r.valid_until IS NULL) AS k5
        FROM rules r JOIN areas a ON a.id = r.area_id
        JOIN categories c ON c.jurisdiction_id = :jid AND (r.category_id IS NULL OR c.id = r.category_id)
        UNION ALL
        -- town-wide rules, a candidate in every area
        SELECT a.id, c.id, r.id, r.department_id, 1, 0, 0, 0, (r.category_id IS NULL),
               (r.valid_from IS NULL AND r.valid_until IS NULL)
        FROM rules r
        JOIN categories c ON c.jurisdiction_id = :jid AND (r.category_id IS NULL OR c.id = r.category_id)
        CROSS JOIN areas a
        WHERE r.area_id IS NULL AND a.jurisdiction_id = :jid
    )
    SELECT DISTINCT ON (area_id, category_id) area_id, category_id, rule_id, department_id, k0, k1, k2, k3, k4, k5
    FROM candidates
    ORDER BY area_id, category_id, k0, k1, k2, k3, k4, k5, rule_id;
    CREATE INDEX ON routing_effective (area_id, category_id);
    ANALYZE routing_effective;
"""

_PLAN_SQL = f"""
    DROP TABLE IF EXISTS pg_temp.reroute_plan;
    CREATE TEMP TABLE reroute_plan (
        report_id bigint, old_department_id integer, old_rule_id integer, old_area_id integer,
        new_department_id integer, new_rule_id integer, new_area_id integer, new_explanation text, outcome text
    ) ON COMMIT DROP;
    DROP TABLE IF EXISTS pg_temp.reroute_covered;
    CREATE TEMP TABLE reroute_covered (n bigint) ON COMMIT DROP;
    WITH hit AS (
        -- Polygon-outer (LATERAL keeps the planner from turning it round): each area's GiST
        -- lookup finds its reports, and PostGIS reuses the prepared polygon for all of them.
        SELECT r.id AS report_id, r.category_id, r.department_id, r.routing_rule_id, r.area_id AS old_area_id,
               a.id AS area_id, a.rank, a.area_m2
        FROM areas a
        CROSS JOIN LATERAL (
            SELECT r.id, r.category_id, r.department_id, r.routing_rule_id, r.area_id FROM reports r
            WHERE r.location && a.geom AND ST_Covers(a.geom, r.location)
              AND r.jurisdiction_id = :jid AND r.status = ANY(:statuses)
        ) AS r
        WHERE a.jurisdiction_id = :jid
    ),
    best AS (
        SELECT h.report_id,
               min(h.department_id) AS old_department_id, min(h.routing_rule_id) AS old_rule_id,
               min(h.old_area_id) AS old_area_id,
               (array_agg(e.rule_id ORDER BY e.k0, e.k1, e.k2, e.k3, e.k4, e.k5, e.rule_id))[1] AS rule_id,
               (array_agg(h.area_id ORDER BY h.rank DESC, h.area_m2, h.area_id))[1] AS innermost_area_id
        FROM hit h LEFT JOIN routing_effective e ON e.area_id = h.area_id AND e.category_id = h.category_id
        GROUP BY h.report_id
    ),
    judged AS (
        SELECT b.*, rr.department_id AS new_department_id,
               CASE WHEN b.rule_id IS NULL THEN 'no_rule'
                    WHEN rr.department_id <> b.old_department_id THEN 'moved'
                    WHEN b.rule_id IS DISTINCT FROM b.old_rule_id OR b.innermost_area_id IS DISTINCT FROM b.old_area_id
                        THEN 'relabelled'
                    ELSE 'unchanged' END AS outcome
        FROM best b LEFT JOIN routing_rules rr ON rr.id = b.rule_id
    ),
    -- reports covered by some area (the others lie outside every area and stay as they are)
    covered AS (INSERT INTO reroute_covered SELECT count(*) FROM best)
    INSERT INTO reroute_plan
    SELECT j.report_id, j.old_department_id, j.old_rule_id, j.old_area_id, j.new_department_id, j.rule_id,
           j.innermost_area_id, CASE WHEN j.rule_id IS NULL THEN NULL ELSE {_EXPLAIN_SQL} END, j.outcome
    FROM judged j
    LEFT JOIN routing_rules rr ON rr.id = j.rule_id
    LEFT JOIN areas ra ON ra.id = rr.area_id
    LEFT JOIN categories rc ON rc.id = rr.category_id
    LEFT JOIN departments rdep ON rdep.id = rr.department_id
    WHERE j.outcome <> 'unchanged';
    CREATE INDEX ON reroute_plan (report_id);
    ANALYZE reroute_plan
"""


@dataclass
class ReroutePlan:
    """What re-routing would do: counts per outcome and per (from, to) department."""

    considered: int
    moved: int
    relabelled: int
    outside: int
    no_rule: int
    # [(from_department_id, to_department_id, count)], largest first
    flows: list[tuple[int, int, int]] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def gaining_department_ids(self) -> list[int]:
        return sorted({to for _from, to, _n in self.flows})


def _run_script(session: Session, script: str, params: dict) -> None:
    for statement in (s.strip() for s in script.split(";")):
        if statement:
            session.execute(text(statement), params)


def plan_rerouting(session: Session, jurisdiction_id: int, statuses: tuple[str, ...] | list[str],
                   on: date | None = None) -> ReroutePlan:
    """Route every report of ``statuses`` with today's rules into the temp table
    ``reroute_plan`` (dropped at commit) and summarise it. Writes no report."""
    params = {"jid": jurisdiction_id, "statuses": list(statuses), "day": on or date.today()}
    _run_script(session, _EFFECTIVE_SQL, params)
    _run_script(session, _PLAN_SQL, params)
    considered = session.execute(text("SELECT count(*) FROM reports WHERE jurisdiction_id = :jid "
                                      "AND status = ANY(:statuses)"), params).scalar_one()
    counts = dict(session.execute(text("SELECT outcome, count(*) FROM reroute_plan GROUP BY outcome")).all())
    # Reports no area covers never enter the plan: counted, and left with their department.
    counts["outside"] = considered - session.execute(text("SELECT n FROM reroute_covered")).scalar_one()
    flows = [tuple(row) for row in session.execute(text(
        "SELECT old_department_id, new_department_id, count(*) FROM reroute_plan WHERE outcome = 'moved' "
        "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2")).all()]
    fingerprint = session.execute(text(
        "SELECT coalesce(md5(string_agg(report_id || ':' || new_department_id, ',' ORDER BY report_id)), '') "
        "FROM reroute_plan WHERE outcome = 'moved'")).scalar_one()
    return ReroutePlan(considered=considered, moved=counts.get("moved", 0), relabelled=counts.get("relabelled", 0),
                       outside=counts.get("outside", 0), no_rule=counts.get("no_rule", 0), flows=flows,
                       fingerprint=fingerprint)


def planned_moves(session: Session, limit: int = 200) -> list[dict]:
    """Some rows of the current plan that change department (for a preview)."""
    return [dict(row) for row in session.execute(text(
        "SELECT p.report_id, r.reference, p.old_department_id, p.new_department_id, p.new_explanation "
        "FROM reroute_plan p JOIN reports r ON r.id = p.report_id WHERE p.outcome = 'moved' "
        "ORDER BY p.report_id LIMIT :limit"), {"limit": limit}).mappings()]


def apply_plan(session: Session) -> int:
    """Write department, rule, area and explanation of the planned reports; returns the rows updated.

    Call in the same transaction as ``plan_rerouting``. Reports outside every area
    or without a rule keep their department.
    """
    result = session.execute(text(
        "UPDATE reports r SET department_id = p.new_department_id, routing_rule_id = p.new_rule_id, "
        "area_id = p.new_area_id, routing_explanation = p.new_explanation, updated_at = now() "
        "FROM reroute_plan p WHERE r.id = p.report_id AND p.outcome IN ('moved', 'relabelled')"))
    return result.rowcount
