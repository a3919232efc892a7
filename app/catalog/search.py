"""German search over the catalog: full text with the 'german' stemmer, synonyms for the
citizens' own words, typo correction by trigram similarity, ranked and highlighted.

How a query is answered (two statements):
1. the query's words are looked up: synonym terms contained in the query add their
   expansion ("hund anmelden" → "Hundesteuer"); a word (5+ letters) that is not in the
   search vocabulary is corrected to its nearest neighbour by trigram similarity
   ("Persnalausweis" → "personalausweis");
2. entries matching any word, correction or expansion (words of 5+ letters also as
   prefixes, which catches German compounds: "Gewerbe" finds "Gewerbeanmeldung") are
   ranked by ts_rank (name and keywords weigh most) plus bonuses for matching all the
   query's words and for a synonym hit, and the page's worth is highlighted with
   ts_headline (only those rows: it is the expensive part).

Highlights come back as ``Markup`` built from escaped text, with only our own <mark>
elements: ts_headline marks matches with the control characters \\x02/\\x03, which
catalog text cannot contain (operations strip control characters).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import text

from app.db import db

MAX_QUERY = 200
MAX_WORDS = 12
MIN_CORRECTION_SIMILARITY = 0.45
MIN_CORRECTED_WORD = 5
MIN_PREFIX_WORD = 5
_WORD_RE = re.compile(r"[^\W_]+")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_START, _STOP = "\x02", "\x03"
_HEADLINE_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", HighlightAll=true'
_SNIPPET_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15, MaxFragments=2, ' \
                   'FragmentDelimiter=" … "'


@dataclass
class SearchHit:
    id: int
    slug: str
    name: str
    topic: str
    online: bool
    online_url: str | None
    leika_key: str | None
    rank: float
    name_html: Markup
    snippet_html: Markup


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    # The words actually searched for besides the query's own: {"persnalausweis": "personalausweis"}
    corrections: dict[str, str] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)


def query_words(raw: str) -> list[str]:
    """The lower-case words of a query (letters and digits), at most ``MAX_WORDS``."""
    return _WORD_RE.findall(_CONTROL_CHARS.sub(" ", raw or "")[:MAX_QUERY].lower())[:MAX_WORDS]


def highlighted(value: str | None) -> Markup:
    """Escape ``value`` and turn the search's match markers into <mark> elements."""
    escaped = str(escape(value or ""))
    return Markup(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def _term(word: str) -> str:
    # Words are letters and digits only (no tsquery syntax can sneak in).
    return f"{word}:*" if len(word) >= MIN_PREFIX_WORD and not word.isdigit() else word


_LOOKUP_SQL = text("""
SELECT 'synonym' AS kind, s.term AS word, s.expansion AS replacement
  FROM catalog_synonyms s
 WHERE strpos(:padded, ' ' || s.term || ' ') > 0
UNION ALL
SELECT 'correction', w.word, c.word
  FROM unnest(CAST(:candidates AS text[])) AS w(word)
  CROSS JOIN LATERAL (SELECT near.word, near.sim
                        FROM (SELECT t.word, similarity(t.word, w.word) AS sim
                                FROM catalog_terms t ORDER BY t.word <-> w.word LIMIT 10) AS near
                        -- the vocabulary is the installation's: offer only words of this town's entries
                       WHERE EXISTS (SELECT 1 FROM catalog_entries e
                                      WHERE e.jurisdiction_id = :jurisdiction_id AND e.retired_at IS NULL
                                        AND e.search_vector @@ plainto_tsquery('german', near.word))
                       ORDER BY near.sim DESC LIMIT 1) AS c
 WHERE c.sim >= :min_sim
   AND NOT EXISTS (SELECT 1 FROM catalog_terms known WHERE known.word = w.word)
""")

_SEARCH_SQL = text("""
WITH q AS (
  SELECT to_tsquery('german', :any_text) AS any_q,
         to_tsquery('german', :all_text) AS all_q,
         to_tsquery('german', :syn_text) AS syn_q
), matches AS (
  SELECT e.id, e.slug, e.name, e.topic, e.online, e.online_url, e.leika_key, e.short_description,
         ts_rank(e.search_vector, q.any_q)
         + CASE WHEN :several AND e.search_vector @@ q.all_q THEN 0.3 ELSE 0 END
         + CASE WHEN :has_syn AND e.search_vector @@ q.syn_q THEN 0.5 ELSE 0 END
         + CASE WHEN e.leika_key = :leika THEN 2 ELSE 0 END AS rank,
         count(*) OVER () AS total
    FROM catalog_entries e, q
   WHERE e.jurisdiction_id = :jurisdiction_id AND e.retired_at IS NULL
     AND (e.search_vector @@ q.any_q OR e.leika_key = :leika)
   ORDER BY rank DESC, e.name
   LIMIT :limit OFFSET :offset
)
SELECT m.*,
       ts_headline('german', m.name, q.any_q, :headline_options) AS name_marked,
       ts_headline('german', m.short_description, q.any_q, :snippet_options) AS snippet_marked
  FROM matches m, q
 ORDER BY m.rank DESC, m.name
""")


def search_catalog(jurisdiction_id: int, raw_query: str, limit: int = 20, offset: int = 0) -> SearchResult:
    """Search the jurisdiction's current (not retired) entries; best match first."""
    words = query_words(raw_query)
    result = SearchResult(query=" ".join(words))
    if not words:
        return result
    synonyms: list[tuple[str, str]] = []
    corrections: dict[str, str] = {}
    padded = " " + " ".join(words) + " "
    candidates = [w for w in words if len(w) >= MIN_CORRECTED_WORD and not w.isdigit()]
    for kind, word, replacement in db.session.execute(_LOOKUP_SQL, {
            "padded": padded, "candidates": candidates, "min_sim": MIN_CORRECTION_SIMILARITY,
            "jurisdiction_id": jurisdiction_id}):
        if kind == "synonym":
            synonyms.append((word, replacement))
        else:
            corrections[word] = replacement
    # A word that is part of a synonym is the citizen's word, not a typo of a catalog word.
    synonym_words = {w for term, _ in synonyms for w in term.split()}
    corrections = {w: c for w, c in corrections.items() if w not in synonym_words}
    expansion_words = sorted({w for _, expansion in synonyms for w in query_words(expansion)})

    alternatives = [" | ".join(_term(x) for x in ([w, corrections[w]] if w in corrections else [w]))
                    for w in words]
    any_terms = dict.fromkeys([_term(w) for w in words] + [_term(c) for c in corrections.values()]
                              + [_term(w) for w in expansion_words])
    leika = next((w for w in words if len(w) == 14 and w.isdigit()), None)
    rows = db.session.execute(_SEARCH_SQL, {
        "any_text": " | ".join(any_terms),
        "all_text": " & ".join(f"({a})" for a in alternatives),
        "syn_text": " | ".join(_term(w) for w in expansion_words),
        "several": len(words) > 1,
        "has_syn": bool(expansion_words),
        "leika": leika,
        "jurisdiction_id": jurisdiction_id,
        "limit": max(1, min(int(limit), 100)),
        "offset": max(0, int(offset)),
        "headline_options": _HEADLINE_OPTIONS,
        "snippet_options": _SNIPPET_OPTIONS,
    }).mappings().all()
    result.corrections = corrections
    result.expansions = expansion_words
    result.total = rows[0]["total"] if rows else 0
    result.hits = [SearchHit(id=r["id"], slug=r["slug"], name=r["name"], topic=r["topic"], online=r["online"],
                             online_url=r["online_url"], leika_key=r["leika_key"], rank=float(r["rank"]),
                             name_html=highlighted(r["name_marked"]), snippet_html=highlighted(r["snippet_marked"]))
                   for r in rows]
    if not rows and offset > 0:
        result.total = _count_only(jurisdiction_id, raw_query)
    return result


def _count_only(jurisdiction_id: int, raw_query: str) -> int:
    first = search_catalog(jurisdiction_id, raw_query, limit=1, offset=0)
    return first.total
