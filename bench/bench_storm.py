"""A storm day with faults (issue 22, point 8), on this machine and loopback only.

The whole production set-up runs for a few minutes: nginx (deploy/nginx, TLS) in front of
gunicorn (deploy/gunicorn.conf.py, 2 processes), two `flask worker`, one `flask scheduler`,
a PostgreSQL cluster, a Redis and an SMTP server (aiosmtpd, into a Maildir) of their own.
Locust (as a library) plays citizens submitting reports with a 2 MP photo, people browsing
the map and the list, clerks working the queue and an Open311 client reading. Meanwhile
PostgreSQL is restarted once, Redis is restarted once and a worker is killed with SIGKILL
(and started again, as systemd would).

Reported per kind of request: rate, p50/p95 and every non-2xx by code; reports accepted vs
stored (lost, doubled), mails due vs delivered (lost, doubled), 5xx outside the fault
windows, and the seconds until normal after each fault. A baseline (/healthz through the
same nginx, measured first in the same run) puts the latencies in proportion.

usage: python bench/bench_storm.py [--seconds 180] [--markdown docs/BENCHMARKS.md]
"""
from __future__ import annotations

# Locust runs on gevent; it must patch the standard library before anything else imports it.
from locust import HttpUser, between, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import email
import email.policy
import io
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import gevent

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import write_section  # noqa: E402
from tests.services import GunicornServer, NginxServer, PostgresServer, RedisServer, _free_port  # noqa: E402

TOWN = (8.229, 51.962)
STREET_BBOX = "8.224,51.959,8.234,51.965"
FLASK = str(Path(sys.executable).with_name("flask"))
STAFF_PASSWORD = "sturm-tag-passwort-2026"


# ----------------------------------------------------------------- the record of every request

@dataclass
class Sample:
    kind: str
    at: float
    status: int  # 0: no HTTP answer (connection refused, reset)
    ms: float
    retry_after: str | None


@dataclass
class Record:
    samples: list[Sample] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # idempotency keys answered 200/201
    references: dict[str, str] = field(default_factory=dict)  # key -> reference
    faults: list[tuple[str, float, float]] = field(default_factory=list)  # name, start, end
    worker_recovery: float | None = None
    claimed_at_kill: int | None = None


RECORD = Record()
STACK: dict = {}


def _on_request(request_type, name, response_time, response_length, response=None, exception=None, **_kw):
    status = getattr(response, "status_code", 0) or 0
    retry = response.headers.get("Retry-After") if status else None
    RECORD.samples.append(Sample(name, time.time() - response_time / 1000.0, status, response_time, retry))


# ----------------------------------------------------------------- who does what

def _photo_2mp() -> bytes:
    from PIL import Image, ImageFilter

    rng = random.Random(22)
    image = Image.frombytes("RGB", (400, 312), bytes(rng.randrange(256) for _ in range(400 * 312 * 3)))
    image = image.filter(ImageFilter.GaussianBlur(1.2)).resize((1600, 1250))  # ~2 MP, photo-like detail
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


PHOTO = b""
_keys = itertools.count(1)


class _TLS(HttpUser):
    abstract = True

    def on_start(self):
        # Not trust_env: REQUESTS_CA_BUNDLE would override the session's CA, and no proxy applies.
        self.client.trust_env = False
        self.client.verify = str(STACK["cafile"])


class Citizen(_TLS):
    """Submits a report with a 2 MP photo through the JSON API, as the offline queue does: on a
    503 or a broken connection it sends the same submission again (same Idempotency-Key)."""

    weight = 3
    wait_time = between(1.0, 3.0)

    @task
    def submit(self):
        key = f"storm-{os.getpid()}-{next(_keys):07d}"
        lon, lat = TOWN[0] + random.uniform(-0.01, 0.01), TOWN[1] + random.uniform(-0.005, 0.005)
        fields = {"category": random.choice(["gully", "schlagloch", "strassenlaterne"]),
                  "description": f"Sturmschaden {key}", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
        if random.random() < 0.5:
            fields["email"] = f"{key}@example.org"
        for _attempt in range(30):
            try:
                response = self.client.post("/api/v1/intake/reports", data=fields, name="citizen: submit report",
                                            files={"photos": ("foto.jpg", PHOTO, "image/jpeg")},
                                            headers={"Idempotency-Key": key}, timeout=60)
            except Exception:  # noqa: BLE001 - recorded by Locust as a failure; try again
                response = None
            if response is not None and response.status_code in (200, 201):
                RECORD.accepted.add(key)
                RECORD.references[key] = response.json()["reference"]
                return
            if response is not None and response.status_code < 500 and response.status_code != 429:
                return  # refused for a reason a retry does not change
            gevent.sleep(float((response.headers.get("Retry-After") if response is not None else None) or 1))


class Browser(_TLS):
    weight = 4
    wait_time = between(0.3, 1.5)

    @task(4)
    def street_view(self):
        self.client.get(f"/api/v1/reports.geojson?bbox={STREET_BBOX}", name="browse: map street view")

    @task(2)
    def report_list(self):
        self.client.get("/meldungen", name="browse: list")

    @task(1)
    def report_page(self):
        if RECORD.references:
            reference = random.choice(list(RECORD.references.values()))
            with self.client.get(f"/meldungen/{reference}", name="browse: report page",
                                 catch_response=True) as response:
                if response.status_code == 404:  # not public (yet): unconfirmed or under review
                    response.success()


class Clerk(_TLS):
    """Signs in, reads the queue of new reports, opens one and moves it on."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        super().on_start()
        self.signed_in = False

    def _sign_in(self):
        page = self.client.get("/intern/anmelden", name="clerk: sign-in page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if token:
            answer = self.client.post("/intern/anmelden", name="clerk: sign in", allow_redirects=False,
                                      headers={"Referer": self.host + "/intern/anmelden"},
                                      data={"csrf_token": token.group(1), "username": STACK["staff_user"],
                                            "password": STAFF_PASSWORD})
            self.signed_in = answer.status_code in (302, 303)

    @task
    def work_the_queue(self):
        if not self.signed_in:
            self._sign_in()
            return
        queue = self.client.get("/intern/eingang?status=eingegangen", name="clerk: queue")
        ids = re.findall(r'/intern/meldungen/(\d+)"', queue.text or "")
        if not ids:
            return
        report_id = random.choice(ids)
        page = self.client.get(f"/intern/meldungen/{report_id}", name="clerk: report page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if token:
            self.client.post(f"/intern/meldungen/{report_id}/status", name="clerk: change status",
                             headers={"Referer": f"{self.host}/intern/meldungen/{report_id}"},
                             data={"csrf_token": token.group(1), "status": "in_pruefung",
                                   "public_note": "Wir sehen uns das an."}, allow_redirects=False)


class Open311Client(_TLS):
    weight = 1
    wait_time = between(0.5, 2.0)

    @task
    def requests(self):
        self.client.get("/open311/v2/requests.json", name="open311: requests")


# ----------------------------------------------------------------- the stack

def _settings(pg: PostgresServer, redis: RedisServer, smtp_port: int, media: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": pg.url, "REDIS_URL": redis.url, "RATELIMIT_STORAGE_URI": "redis+" + redis.url,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "MEDIA_STORAGE_URL": str(media),
        "SECRET_KEY": "storm-bench-" + "s" * 40, "BASE_URL": "https://127.0.0.1", "LOG_LEVEL": "ERROR",
        "PROXY_FIX_X_FOR": "1", "MEDIA_ACCEL_PREFIX": "/_fotos/",
        # Every client comes from 127.0.0.1 here: the per-client limits would count them as one.
        "INTAKE_RATE_LIMIT": "100000/minute", "OPEN311_READ_LIMIT": "100000/minute",
        "OUTBOX_LEASE_SECONDS": "20", "OUTBOX_LEASE_MARGIN_SECONDS": "5", "OUTBOX_SWEEP_SECONDS": "2",
    }


_logs = itertools.count(1)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    log = open(Path(STACK["work"]) / f"{args[0]}-{next(_logs)}.log", "wb")  # noqa: SIM115 - kept by the process
    return subprocess.Popen([FLASK, *args], cwd=ROOT, env=dict(os.environ, FLASK_APP="app:create_app", **env),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _prepare_database(url: str) -> str:
    """Migrate, load the town, make a clerk account; returns its user name."""
    from sqlalchemy import select

    from app import create_app
    from app.cli import run_migrations
    from app.db import db

    run_migrations(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "SECRET_KEY": "x" * 40,
                      "LOG_LEVEL": "ERROR"})
    with app.app_context():
        from app.demo.load import load_town
        from app.jurisdictions.models import Jurisdiction
        from app.staff.auth import hash_password
        from app.staff.models import StaffUser

        load_town(db.session)
        town = db.session.scalar(select(Jurisdiction).where(Jurisdiction.slug == "harsewinkel.de"))
        db.session.add(StaffUser(jurisdiction_id=town.id, username="leitstelle-sturm", role="dispatcher",
                                 password_hash=hash_password(STAFF_PASSWORD), display_name="Leitstelle"))
        db.session.commit()
        for engine in db.engines.values():
            engine.dispose()
    return "leitstelle-sturm"


def _query(url: str, sql: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


# ----------------------------------------------------------------- faults

def _wait_until_mid_batch(url: str, pid: int, timeout: float) -> None:
    """Wait (up to ``timeout``) until the worker ``pid`` holds claimed mails, so the kill hits a batch."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    deadline = time.time() + timeout
    try:
        with engine.connect() as conn:
            while time.time() < deadline:
                if conn.execute(text("SELECT count(*) FROM outbox_messages WHERE state = 'sending' "
                                     "AND claimed_by LIKE :p"), {"p": f"%:{pid}"}).scalar():
                    return
                gevent.sleep(0.005)
    except Exception:  # noqa: BLE001 - then the kill comes without waiting
        pass
    finally:
        engine.dispose()

def _faults(seconds: float, pg: PostgresServer, redis: RedisServer, workers: list, worker_env: dict):
    """PostgreSQL restart at 20 %, Redis restart at 45 %, a worker SIGKILLed at 70 % of the run."""
    started = time.time()

    def at(fraction):
        gevent.sleep(max(0.0, started + seconds * fraction - time.time()))

    def restart(name, server):
        begin = time.time()
        server.stop()
        gevent.sleep(3)
        server.start()
        RECORD.faults.append((name, begin, time.time()))

    at(0.20)
    restart("PostgreSQL restart (3 s down)", pg)
    at(0.45)
    restart("Redis restart (3 s down, data lost)", redis)
    at(0.70)
    victim = workers[0]
    _wait_until_mid_batch(pg.url, victim.pid, timeout=20.0)
    begin = time.time()
    if victim.poll() is not None:
        print(f"worker exited before the kill with {victim.returncode}; see {STACK['work']}", file=sys.stderr)
    else:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        RECORD.claimed_at_kill = _query(pg.url, "SELECT count(*) FROM outbox_messages WHERE state = 'sending' "
                                                "AND claimed_by LIKE :p", p=f"%:{victim.pid}")[0][0]
    gevent.sleep(2)  # systemd's RestartSec
    workers[0] = _start(["worker"], worker_env)
    RECORD.faults.append(("worker killed with SIGKILL (restarted after 2 s)", begin, time.time()))
    # Until normal: the mails the dead worker had claimed are sent by another after their lease.
    pattern = f"%:{victim.pid}"
    while time.time() - begin < 120:
        try:
            left = _query(pg.url, "SELECT count(*) FROM outbox_messages WHERE state = 'sending' "
                                  "AND claimed_by LIKE :p", p=pattern)[0][0]
        except Exception:  # noqa: BLE001
            left = 1
        if not left:
            RECORD.worker_recovery = time.time() - RECORD.faults[-1][2]
            break
        gevent.sleep(0.5)


# ----------------------------------------------------------------- the run

def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0


def _baseline(url: str, cafile: str, seconds: float = 10.0) -> float:
    import requests

    session, times, deadline = requests.Session(), [], time.time() + seconds
    session.trust_env = False
    session.verify = cafile
    while time.time() < deadline:
        t = time.perf_counter()
        session.get(url + "/healthz", timeout=10)
        times.append((time.perf_counter() - t) * 1000)
    return _percentile(times, 0.5)


def _settle(url: str, timeout: float) -> None:
    """Wait until no mail is pending or being sent for 3 s in a row (or ``timeout``)."""
    deadline, quiet_since = time.time() + timeout, None
    while time.time() < deadline:
        left = _query(url, "SELECT count(*) FROM outbox_messages WHERE state IN ('pending', 'sending')")[0][0]
        quiet_since = (quiet_since or time.time()) if not left else None
        if quiet_since and time.time() - quiet_since >= 3:
            return
        time.sleep(0.5)


def _mail_ids(maildir: Path) -> Counter:
    ids: Counter = Counter()
    for sub in ("new", "cur"):
        for path in (maildir / sub).glob("*") if (maildir / sub).exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            ids[str(message["Message-ID"])] += 1
    return ids


def run(seconds: float) -> str:
    global PHOTO
    PHOTO = _photo_2mp()
    work = Path(tempfile.mkdtemp(prefix="mm-storm-"))
    STACK["work"] = work
    pg = PostgresServer()
    redis = RedisServer(work)
    media, maildir = work / "media", work / "maildir"
    media.mkdir()
    smtp_port = _free_port()
    processes: list[subprocess.Popen] = []
    web = proxy = None
    try:
        pg.start()
        redis.start()
        STACK["staff_user"] = _prepare_database(pg.url)
        smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
                                 "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        processes.append(smtp)
        env = _settings(pg, redis, smtp_port, media)
        web = GunicornServer(workers=2, **env)
        web.start()
        proxy = NginxServer(web.port, ROOT / "app/static", media)
        proxy.start()
        STACK["cafile"] = proxy.prefix / "cert.pem"
        workers = [_start(["worker"], env), _start(["worker"], env)]
        scheduler = _start(["scheduler", "--interval", "1"], env)

        baseline_ms = _baseline(proxy.url, str(STACK["cafile"]))
        environment = Environment(user_classes=[Citizen, Browser, Clerk, Open311Client], host=proxy.url)
        environment.events.request.add_listener(_on_request)
        runner = environment.create_local_runner()
        runner.start(9, spawn_rate=9)
        storm_started = time.time()
        faults = gevent.spawn(_faults, seconds, pg, redis, workers, env)
        gevent.sleep(seconds)
        runner.quit()
        faults.join(timeout=150)
        storm_seconds = time.time() - storm_started

        # Let the mail settle: the scheduler sweeps, the workers send. Then the scheduler stops
        # (a digest or reminder it starts would add mail), the rest settles, the workers stop:
        # the counts below are final.
        _settle(pg.url, 180)
        died = [f"{p.args[1]} (exit {p.returncode})" for p in workers + [scheduler] if p.poll() is not None]
        _stop(scheduler)
        _settle(pg.url, 60)
        for worker in workers:
            _stop(worker)
        processes += workers + [scheduler]
        return _report(pg.url, maildir, baseline_ms, storm_seconds, seconds) + (
            "\n- Worker or scheduler processes that ended by themselves during the run: "
            + (", ".join(died) if died else "none") + ".")
    finally:
        for process in processes:
            _stop(process)
        if proxy:
            proxy.stop()
        if web:
            web.stop()
        redis.stop()
        pg.remove()
        shutil.rmtree(work, ignore_errors=True)


def _report(url: str, maildir: Path, baseline_ms: float, storm_seconds: float, planned: float) -> str:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in RECORD.samples:
        by_kind[sample.kind].append(sample)
    windows = [(start, end + 15.0) for _name, start, end in RECORD.faults]

    def in_window(sample: Sample) -> bool:  # the request overlaps a fault window
        return any(sample.at <= end and sample.at + sample.ms / 1000.0 >= start for start, end in windows)

    lines = [
        f"Storm day: {planned:.0f} s under nginx (TLS) + gunicorn (2 processes × 4 threads), 2 `flask worker`, "
        f"1 `flask scheduler`, 9 Locust users (3 citizens with a 2 MP photo, 4 browsing, 1 clerk, 1 Open311 "
        f"client), all on this machine's loopback; x86_64, 2 cores (shared). Baseline: `/healthz` through the "
        f"same nginx, p50 {baseline_ms:.1f} ms, measured first in the same run.",
        "",
        "| kind | requests | rate /s | p50 ms | p95 ms | p50 / baseline | non-2xx (code: count) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind in sorted(by_kind):
        samples = by_kind[kind]
        times = [s.ms for s in samples]
        codes = Counter(s.status for s in samples if not 200 <= s.status < 400)
        shown = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(codes.items())) or "–"
        p50 = _percentile(times, 0.5)
        lines.append(f"| {kind} | {len(samples)} | {len(samples) / storm_seconds:.1f} | {p50:.0f} | "
                     f"{_percentile(times, 0.95):.0f} | {p50 / baseline_ms:.1f}x | {shown} |")

    stored = dict(_query(url, "SELECT idempotency_key, count(*) FROM reports WHERE idempotency_key LIKE 'storm-%' "
                              "GROUP BY idempotency_key"))
    lost = RECORD.accepted - set(stored)
    doubled = sum(1 for n in stored.values() if n > 1)
    unanswered = set(stored) - RECORD.accepted
    states = Counter(dict(_query(url, "SELECT state, count(*) FROM outbox_messages GROUP BY state")))
    received = _mail_ids(maildir)
    mail_doubled = sum(1 for n in received.values() if n > 1)
    unsent = _query(url, "SELECT state, attempts, round(extract(epoch FROM next_attempt_at - now())), "
                         "left(last_error, 120) FROM outbox_messages WHERE state <> 'sent' ORDER BY id")
    outside = [s for s in RECORD.samples if (s.status >= 500 or s.status == 0) and not in_window(s)]
    no_retry_after = [s for s in RECORD.samples if s.status == 503 and not s.retry_after]
    lines += [
        "",
        f"- Reports accepted (200/201): **{len(RECORD.accepted)}**, stored: **{len(stored)}**, lost: "
        f"**{len(lost)}**, doubled: **{doubled}**; stored although no answer reached the citizen: "
        f"{len(unanswered)} (the retry with the same Idempotency-Key would name it).",
        f"- Mails due (outbox rows): **{sum(states.values())}** ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))}); "
        f"delivered: **{len(received)}** distinct Message-IDs, {sum(received.values())} messages, doubled: "
        f"**{mail_doubled}**, lost: **{max(0, states['sent'] - len(received))}**"
        + ("; not sent when the run ended: " + "; ".join(
            f"{state} after {attempts} attempt(s), next in {int(wait or 0)} s ({error or 'no error'})"
            for state, attempts, wait, error in unsent) if unsent else "") + ".",
        f"- 5xx or no answer outside the fault windows (fault start to 15 s after its end): **{len(outside)}**; "
        f"503 without Retry-After: **{len(no_retry_after)}**.",
    ]
    for name, start, end in RECORD.faults:
        failures = [s.at for s in RECORD.samples if start <= s.at <= end + 60 and (s.status >= 500 or s.status == 0)]
        five = Counter(s.status for s in RECORD.samples if start <= s.at <= end + 60 and s.status >= 500)
        recovery = max(0.0, max(failures) - end) if failures else 0.0
        extra = ""
        if name.startswith("worker"):
            extra = (f"; it held {RECORD.claimed_at_kill} claimed mail(s), sent by a worker "
                     f"{RECORD.worker_recovery:.1f} s after the restart (lease 20 s)"
                     if RECORD.worker_recovery is not None else "; its claimed mails: not settled within 120 s")
        lines.append(f"- {name}: {len(failures)} failed requests ({dict(five) or 'none'}), normal again "
                     f"{recovery:.1f} s after the service was back{extra}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    table = run(args.seconds)
    print(table)
    if args.markdown:
        write_section(args.markdown, "storm", table, heading="Storm day with faults (bench_storm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
