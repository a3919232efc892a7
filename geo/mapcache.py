"""The public map's street views from memory: each web process keeps the visible reports of
the map areas it is asked for, and answers a view from them without asking the database.

Why: a street view in a dense town holds ~500 reports; asking PostgreSQL for them costs
~1.5 ms of database CPU per request however the query is written, more than the whole
Flask request around it, and under load the database and the app share the same cores
(bench_public). Areas are viewed again and again (a town's centre, its busy streets), and
reports change far less often than maps are looked at.

How: the world is cut into Web-Mercator cells of ``LEVEL`` (the tiles of zoom 18, about
95 × 95 m in Germany), kept in blocks of 16 × 16 cells (zoom 14, ~1.5 km). For one town,
filter and language a cell holds every visible report in it: sort key
(creation time, id), coordinates and the whole GeoJSON feature as UTF-8 (the stored
``reports.map_feature`` with its URL and labels, put together as
``geo.mapqueries.reports_geojson`` does). A view takes the cells it touches: the cells
strictly between its edge cells whole, of the edge cells the reports inside the box; it
sorts them newest first and joins their bytes. The answers are the same, byte for byte
(tests/geo/test_mapcache.py; bench_geo compares 300 views at 1M reports).

Misses: a view whose blocks are not all held is answered by the database (None here).
After a block's second miss in a map version a background thread reads it (one statement
per block), so a town whose map changes every few seconds does not keep re-reading blocks
nobody looks at twice.

Freshness: every change of map data moves the town's map version (revisions 0101, 0105,
0106). A process asks for the version at most every ``recheck_seconds`` per town (0: on
every request), so a change shows after at most that long; an answer's version (its ETag)
is the one its blocks belong to. When the version moved, the report triggers' log
(``map_block_changes``, revision 1002) names the blocks the new versions changed: those
are read again, the others are kept. When the log cannot tell (a category changed, the
process was away for more than 1,000 versions), the town's blocks are all dropped.

Memory is bounded by ``max_features`` over all towns (least recently used blocks go
first). Views that touch many cells (zoomed out: the map shows clusters there), filters by
age or by the time of the last status change (the answer changes with the clock) and very
dense blocks go to the database.
"""
from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from itertools import chain, count
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.driver import fetch_tuples
from geo.mapqueries import (
    MAP_STAMP_SQL,
    REPORT_FILTER,
    EMPTY_FEATURE_COLLECTION,
    HALF_WORLD,
    MAX_FEATURES,
    MapFilter,
    cell_bounds,
    cell_range,
    cell_size,
    feature_ends,
    feature_head,
    map_stamp,
    mercator,
)

# Cells of zoom 18 (about 95 × 95 m in Germany): a view filters only the reports of the
# cells its edges cross (~270 of a 500-report street view), the rest it takes whole.
LEVEL = 18
# Cells are kept, and loaded, in blocks of 16 × 16 (zoom 14, about 1.5 × 1.5 km).
BLOCK_LEVEL = 14
_SHIFT = LEVEL - BLOCK_LEVEL
_MASK = (1 << _SHIFT) - 1
MAX_CELLS_PER_VIEW = 1024
# A load of more rows than this is not kept (and the view is asked of the database).
MAX_ROWS_PER_LOAD = 50_000
MISSES_BEFORE_LOAD = 2

# No ORDER BY: the rows are sorted per view, after clipping. Creation time in microseconds
# and the id make the sort key of ``ORDER BY created_at DESC, id DESC``. The town's map stamp
# comes from the same snapshot (and the one row of an empty block): a block is kept only
# under the stamp its rows belong to.
_LOAD_SQL = text(f"""
    SELECT v.version, v.changed_us, f.*
    FROM ({MAP_STAMP_SQL}) AS v
    LEFT JOIN LATERAL (
        SELECT (extract(epoch FROM r.created_at) * 1000000)::bigint AS created_us, r.id,
               ST_X(r.location) AS lon, ST_Y(r.location) AS lat, r.map_feature, r.reference, r.status, r.category_id
        FROM reports r
        WHERE r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326) AND {REPORT_FILTER}
        LIMIT :limit
    ) AS f ON true
""")

# A cell without reports, and a block without any: shared, so an empty block costs an entry only.
_EMPTY: tuple = ()
_EMPTY_BLOCK: list = [_EMPTY] * (1 << (2 * (LEVEL - BLOCK_LEVEL)))
# What a block of cells costs in the memory bound besides its reports (its list of 256
# cells is ~2 KB, about four reports' worth); an empty block counts 1.
_BLOCK_COST = 4
# A block with more reports than a load may read: views touching it go to the database.
_DENSE = None
# Moves of a town's map remembered to carry held blocks over; and the most versions one
# check looks up in the log (revision 1002 keeps 1,000 per town).
_MOVES_KEPT = 256
_MAX_LOGGED_VERSIONS = 1000

# The log of the versions from the one held up to the new one (revision 1002).
_CHANGES_SQL = text("""
    SELECT version, (extract(epoch FROM changed_at) * 1000000)::bigint, block_x, block_y
    FROM map_block_changes WHERE jurisdiction_id = :jid AND version BETWEEN :held AND :new
""")

_KEY, _FEATURE = itemgetter(0), itemgetter(3)
_FEATURES_HEAD = b'{"type":"FeatureCollection","features":['
log = logging.getLogger(__name__)


def block_changes(session: Session, jurisdiction_id: int, held: tuple[int, int],
                  new: tuple[int, int]) -> frozenset | None:
    """The blocks (bx, by) that the town's map versions after the ``held`` stamp up to the
    ``new`` one changed, by the triggers' log; None when the log cannot say: a version
    without a row (made by a category change, a rebuild), versions no longer logged, or
    times that are not those of the stamps (a database reset since)."""
    (held_version, held_us), (new_version, new_us) = held, new
    if not 0 < new_version - held_version <= _MAX_LOGGED_VERSIONS:
        return None
    times, blocks = {}, set()
    for version, changed_us, bx, by in fetch_tuples(session, _CHANGES_SQL, {"jid": jurisdiction_id,
                                                                           "held": held_version, "new": new_version}):
        times[version] = changed_us
        if version > held_version:
            blocks.add((bx, by))
    if len(times) != new_version - held_version + 1 or times[held_version] != held_us or times[new_version] != new_us:
        return None
    return frozenset(blocks)


@dataclass
class _Town:
    stamp: tuple[int, int] | None = None
    checked: float = -math.inf
    # The number of the last version check applied: a slow check that began before a newer
    # one finished must not move the stamp back.
    applied: int = 0
    # Moves with the stamp. A block held from an older generation is used only if no move
    # since changed it, and a load that began before a move is dropped.
    generation: int = 0
    # generation -> the blocks that the move into it changed, None if not known (all of them);
    # the last _MOVES_KEPT moves.
    moves: dict = field(default_factory=dict)


@dataclass
class MapCache:
    max_features: int = 1_000_000
    recheck_seconds: float = 1.0
    clock: object = time.monotonic
    # With a session factory, blocks a view misses are read by a background thread and the
    # view itself is answered by the database (None): a miss costs the user nothing (reading
    # four blocks takes ~25 ms, the view alone ~2 ms). Without one (tests that isolate
    # themselves in a transaction), the blocks are read before answering.
    background: Callable[[], Session] | None = None
    _towns: dict[int, _Town] = field(default_factory=dict)
    # (town, (filter, URL prefix, language), bx, by) -> (reports held, the block's 16 × 16
    # cells by (cx % 16) * 16 + cy % 16: rows of (sort key, lon, lat, feature), generation)
    _blocks: OrderedDict = field(default_factory=OrderedDict)
    _size: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: set = field(default_factory=set)
    _misses: dict = field(default_factory=dict)  # block key -> misses in its generation
    _tasks: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=256))
    _loader: tuple[int, threading.Thread] | None = None  # (process id, thread): gunicorn forks
    _checks: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def features(self) -> int:
        """Reports held, over all blocks (for tests and monitoring)."""
        return self._size

    def usable_for(self, filters: MapFilter) -> bool:
        return self.max_features > 0 and not filters.relative_to_now

    def current(self, session: Session, jurisdiction_id: int) -> tuple[_Town, tuple[int, int]]:
        """The town's entry and map stamp (version, time of that change), asked of the
        database if the last check is older than ``recheck_seconds``."""
        town = self._towns.get(jurisdiction_id)
        if town is None:
            town = self._towns.setdefault(jurisdiction_id, _Town())
        now = self.clock()
        stamp = town.stamp
        if stamp is None or now - town.checked >= self.recheck_seconds:
            check = next(self._checks)
            new = map_stamp(session, jurisdiction_id)
            changed = None if stamp is None or new == stamp else block_changes(session, jurisdiction_id, stamp, new)
            self._apply(town, jurisdiction_id, check, new, now, stamp, changed)
        return town, town.stamp

    def _apply(self, town: _Town, jurisdiction_id: int, check: int, stamp: tuple[int, int], now: float,
               base: tuple[int, int] | None, changed: frozenset | None) -> None:
        """Take the stamp of version check number ``check``; ``changed``: the blocks changed
        since ``base`` (None: unknown)."""
        with self._lock:
            if check <= town.applied:
                return
            town.applied = check
            if stamp != town.stamp:
                town.generation += 1
                # What changed since base says nothing about a move from another stamp.
                town.moves[town.generation] = changed if town.stamp == base else None
                town.moves.pop(town.generation - _MOVES_KEPT, None)
                town.stamp = stamp
                self._forget(jurisdiction_id, town.generation, town.moves[town.generation])
            town.checked = now

    def saw_version(self, jurisdiction_id: int, version: int) -> None:
        """The database answered a view of the town with map ``version``: if that is not the
        version held, ask again on the next view rather than after ``recheck_seconds`` (so a
        user panning between answers from memory and from the database sees one map)."""
        town = self._towns.get(jurisdiction_id)
        if town is not None and town.stamp is not None and town.stamp[0] != version:
            town.checked = -math.inf

    def _forget(self, jurisdiction_id: int, generation: int, changed: frozenset | None) -> None:
        # Blocks that cannot be carried over are dropped now rather than holding two copies of
        # a town until they age out; blocks a known set of changes touched go when a view next
        # meets them. Miss counts move on to the new generation for the blocks the changes did
        # not touch: in a town whose map changes every few seconds a block would otherwise
        # rarely collect its two misses within one generation. (Under the lock.)
        if changed is None:
            for key in [k for k in self._blocks if k[0] == jurisdiction_id]:
                self._size -= self._blocks.pop(key)[0]
        for key in [k for k in self._misses if k[0] == jurisdiction_id and k[1] < generation]:
            missed = self._misses.pop(key)
            if changed is not None and key[3:] not in changed:
                moved = (key[0], generation, *key[2:])
                self._misses[moved] = max(missed, self._misses.get(moved, 0))

    @staticmethod
    def _unchanged(town: _Town, block: tuple[int, int], held: int, wanted: int) -> bool:
        """Whether no move between generations ``held`` and ``wanted`` changed ``block``."""
        for generation in range(min(held, wanted) + 1, max(held, wanted) + 1):
            changed = town.moves.get(generation)
            if changed is None or block in changed:
                return False
        return True

    def version(self, session: Session, jurisdiction_id: int) -> int:
        return self.current(session, jurisdiction_id)[1][0]

    def reports_geojson(self, session: Session, jurisdiction_id: int, bbox: tuple[float, float, float, float],
                        filters: MapFilter, *, locale: str, url_prefix: str, status_labels: dict[str, str],
                        limit: int = MAX_FEATURES) -> tuple[int, bytes] | None:
        """As ``geo.mapqueries.reports_geojson``; None when this view is for the database."""
        cx0, cy0, cx1, cy1 = cell_range(bbox, LEVEL)
        if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > MAX_CELLS_PER_VIEW:
            return None
        town, _stamp = self.current(session, jurisdiction_id)
        with self._lock:  # the stamp and the generation of the same check
            stamp, generation = town.stamp, town.generation
        # URL prefix and language are part of what a block holds (each feature is kept whole).
        filter_key = (filters.statuses, filters.category_ids, filters.department_ids, url_prefix, locale)
        blocks = (cx0 >> _SHIFT, cy0 >> _SHIFT, cx1 >> _SHIFT, cy1 >> _SHIFT)
        held, missing = self._get(town, jurisdiction_id, generation, filter_key, blocks)
        if held is None:  # a block too dense to keep
            return None
        if missing:
            if self.background is not None:
                for block in missing:  # only what is missing: a view often has most of its blocks
                    self._schedule((jurisdiction_id, generation, filter_key, filters, status_labels, block * 2))
                return None
            for block in missing:  # as the background does: the blocks held stay as they are
                loaded = self._load(session, jurisdiction_id, generation, filter_key, filters, status_labels, block * 2)
                if loaded is None:  # too dense, or the map moved on while we read
                    return None
                held.update(loaded)
        minlon, minlat, maxlon, maxlat = bbox
        chosen: list[tuple] = []
        # Cells strictly between the view's edge cells lie inside the box in that direction
        # (mercator and floor are monotonic: a report's cell orders as its coordinates), so only
        # the cells the box's edges cross are looked at report by report, and there only in the
        # direction(s) they cross.
        for (bx, by), cells in held.items():
            x_lo, x_hi = max(cx0, bx << _SHIFT), min(cx1, ((bx + 1) << _SHIFT) - 1)
            y_lo, y_hi = max(cy0, by << _SHIFT), min(cy1, ((by + 1) << _SHIFT) - 1)
            first, last = y_lo & _MASK, (y_hi & _MASK) + 1
            top, bottom = y_lo == cy0, y_hi == cy1
            for cx in range(x_lo, x_hi + 1):
                base = (cx & _MASK) << _SHIFT
                column = cells[base + first:base + last]  # this block's cells of the view in column cx
                end = len(column) - 1
                middle = chain.from_iterable(column[1 if top else 0:end if bottom else end + 1])
                edge_x = cx == cx0 or cx == cx1
                if edge_x:
                    chosen += [r for r in middle if minlon <= r[1] <= maxlon]
                else:
                    chosen.extend(middle)
                for i in {0, end} if top and bottom else (0,) if top else (end,) if bottom else ():
                    if edge_x:
                        chosen += [r for r in column[i] if minlon <= r[1] <= maxlon and minlat <= r[2] <= maxlat]
                    else:
                        chosen += [r for r in column[i] if minlat <= r[2] <= maxlat]
        if not chosen:
            return stamp[0], EMPTY_FEATURE_COLLECTION
        chosen.sort(key=_KEY, reverse=True)
        del chosen[max(1, min(int(limit), MAX_FEATURES)):]
        return stamp[0], _FEATURES_HEAD + b",".join(map(_FEATURE, chosen)) + b"]}"

    # --- blocks --------------------------------------------------------------------------------

    def _get(self, town, jurisdiction_id, generation, filter_key, blocks) -> tuple[dict[tuple[int, int], list] | None, list]:
        """The blocks held for ``generation``, by (bx, by), and those missing; None for the
        first if one is too dense."""
        bx0, by0, bx1, by1 = blocks
        found, missing = {}, []
        with self._lock:
            for bx in range(bx0, bx1 + 1):
                for by in range(by0, by1 + 1):
                    key = (jurisdiction_id, filter_key, bx, by)
                    entry = self._blocks.get(key)
                    if entry is not None and entry[2] != generation:
                        if self._unchanged(town, (bx, by), entry[2], generation):
                            if entry[2] < generation:  # carried over to the current generation
                                entry = self._blocks[key] = (entry[0], entry[1], generation)
                        elif entry[2] < generation:  # changed since it was read
                            self._size -= self._blocks.pop(key)[0]
                            entry = None
                        else:  # read for a newer generation than this view's, and changed since
                            entry = None
                    if entry is None:
                        missing.append((bx, by))
                    elif entry[1] is _DENSE:
                        return None, []
                    else:
                        self._blocks.move_to_end(key)
                        found[(bx, by)] = entry[1]
        return found, missing

    def _load(self, session, jurisdiction_id, generation, filter_key, filters, status_labels, blocks) -> dict | None:
        """Read the view's blocks (one statement) and keep them; None if a block is too dense to
        keep or the map moved on while we read (the view is then for the database).

        Whole blocks, not just the view: a town's map is in memory after a few hundred
        loads, where loading view by view needs thousands (a view is rarely asked twice,
        its neighbourhood often)."""
        bx0, by0, bx1, by1 = blocks
        limit = (1 << LEVEL) - 1
        cx0, cy0, cx1, cy1 = bx0 << _SHIFT, by0 << _SHIFT, ((bx1 + 1) << _SHIFT) - 1, ((by1 + 1) << _SHIFT) - 1
        size = cell_size(LEVEL)
        west, _s, _e, north = cell_bounds(cx0, cy0, size)
        _w, south, east, _n = cell_bounds(cx1, cy1, size)
        # The outermost cells also hold what lies beyond Web Mercator's edges (cell_range clamps so).
        west, east = (-180.0 if cx0 == 0 else west), (180.0 if cx1 == limit else east)
        north, south = (90.0 if cy0 == 0 else north), (-90.0 if cy1 == limit else south)
        params = {"jid": jurisdiction_id, "minlon": west, "minlat": south, "maxlon": east, "maxlat": north,
                  "limit": MAX_ROWS_PER_LOAD + 1, **filters.params()}
        rows = fetch_tuples(session, _LOAD_SQL, params)
        stamp = (int(rows[0][0]), int(rows[0][1]))
        keys = [(jurisdiction_id, filter_key, bx, by) for bx in range(bx0, bx1 + 1) for by in range(by0, by1 + 1)]
        if len(rows) > MAX_ROWS_PER_LOAD:
            with self._lock:
                town = self._towns.get(jurisdiction_id)
                if town is not None and town.generation == generation and town.stamp == stamp:
                    for key in keys:  # remembered, so that it is not read again on every second miss
                        self._store(key, _DENSE, 1, generation)
            return None
        found = {key[2:]: None for key in keys}
        url_prefix, locale = filter_key[-2:]
        ends = feature_ends(session, jurisdiction_id, stamp, locale, status_labels)
        floor = math.floor
        for _version, _changed, created_us, report_id, lon, lat, feature, reference, status, category_id in rows:
            if report_id is None:  # the one row of an empty load
                break
            # The cell as mapqueries.cell_range computes it for a box's corner (clamped alike).
            x, y = mercator(lon, lat)
            cx = min(max(floor((x + HALF_WORLD) / size), 0), limit)
            cy = min(max(floor((HALF_WORLD - y) / size), 0), limit)
            block_key = (cx >> _SHIFT, cy >> _SHIFT)
            if block_key not in found:  # the envelope is padded: a row may belong to a neighbour
                continue
            cells = found[block_key]
            if cells is None:
                cells = found[block_key] = [_EMPTY] * len(_EMPTY_BLOCK)
            index = ((cx & _MASK) << _SHIFT) | (cy & _MASK)
            if cells[index] is _EMPTY:
                cells[index] = []
            cells[index].append(((created_us << 40) | report_id, lon, lat,
                                 (feature_head(feature, reference, url_prefix) + ends[(category_id, status)]).encode()))
        for block_key, cells in found.items():
            if cells is None:
                found[block_key] = _EMPTY_BLOCK
        with self._lock:
            town = self._towns.get(jurisdiction_id)
            if town is None or town.generation != generation or town.stamp != stamp:
                # The map moved on (before or while we read): keep nothing, and check the version
                # on the next view; this view is for the database.
                if town is not None:
                    town.checked = -math.inf
                return None
            for key in keys:
                cells = found[key[2:]]
                self._store(key, cells, 1 if cells is _EMPTY_BLOCK else sum(map(len, cells)) + _BLOCK_COST, generation)
            while self._size > self.max_features and len(self._blocks) > len(keys):
                _key, (cost, _cells, _generation) = self._blocks.popitem(last=False)  # the view's own are newest
                self._size -= cost
        return found

    def _store(self, key, cells, cost: int, generation: int) -> None:  # under the lock
        previous = self._blocks.pop(key, None)
        if previous is not None:
            self._size -= previous[0]
        self._blocks[key] = (cost, cells, generation)
        self._size += cost

    # --- background loading --------------------------------------------------------------------

    def _schedule(self, task) -> None:
        """Read a block in the background once it was missed ``MISSES_BEFORE_LOAD`` times in
        this generation of its town's map: reading a block costs about as much as four views,
        and in a town whose map changes every few seconds most blocks are not viewed twice
        between two changes (the database answers them as if there were no cache)."""
        jurisdiction_id, generation, filter_key, _filters, _labels, (bx0, by0, bx1, by1) = task
        keys = {(jurisdiction_id, generation, filter_key, bx, by)
                for bx in range(bx0, bx1 + 1) for by in range(by0, by1 + 1)}
        with self._lock:
            if keys <= self._pending:
                return
            missed = max(self._misses.get(key, 0) for key in keys) + 1
            if missed < MISSES_BEFORE_LOAD:
                if len(self._misses) > 100_000:  # views all over a large district: start counting afresh
                    self._misses.clear()
                for key in keys:
                    self._misses[key] = missed
                return
            for key in keys:
                self._misses.pop(key, None)
            try:
                self._tasks.put_nowait((task, keys))
            except queue.Full:  # the view is answered by the database anyway
                return
            self._pending |= keys
            if self._loader is None or self._loader[0] != os.getpid() or not self._loader[1].is_alive():
                thread = threading.Thread(target=self._run_loader, name="map-cache-loader", daemon=True)
                self._loader = (os.getpid(), thread)
                thread.start()

    def _run_loader(self) -> None:
        while True:
            task, keys = self._tasks.get()
            jurisdiction_id, generation, filter_key, filters, status_labels, blocks = task
            try:
                town = self._towns.get(jurisdiction_id)
                with self._lock:
                    current = town.generation if town is not None else None
                    # Not outdated while it waited: the map did not move, or not in these blocks.
                    still_wanted = current is not None and all(
                        self._unchanged(town, (bx, by), generation, current)
                        for bx in range(blocks[0], blocks[2] + 1) for by in range(blocks[1], blocks[3] + 1))
                if still_wanted:
                    session = self.background()
                    try:
                        self._load(session, jurisdiction_id, current, filter_key, filters, status_labels, blocks)
                    finally:
                        session.close()
            except Exception:  # the map is still answered by the database; try again on the next miss
                log.exception("map cache: loading blocks %s of town %s failed", blocks, jurisdiction_id)
            finally:
                with self._lock:
                    self._pending -= keys

    def wait_for_loader(self, timeout: float = 10.0) -> bool:
        """Until no block is waiting to be read (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending:
                    return True
            time.sleep(0.01)
        return False
