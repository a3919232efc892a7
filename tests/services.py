"""Real services for the test session: a private Redis and an aiosmtpd SMTP server.

PostgreSQL comes from the cluster that `make test` starts (DATABASE_URL); each test
session gets a database of its own in it.
"""
from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import redis as redis_lib
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol


class RedisServer:
    """A redis-server process on a Unix socket in a temp dir; can be stopped and restarted."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.socket = workdir / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (run `make test`, which installs it)")
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--dir", str(self.workdir),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_lib.Redis(unix_socket_path=str(self.socket))
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not come up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis(unix_socket_path=str(self.socket))


class PostgresServer:
    """A PostgreSQL cluster of its own in a temp dir, on a Unix socket only; can be stopped
    and started under requests without touching the session's cluster.

    initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user
    (as in scripts/services.sh).
    """

    BIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))

    def __init__(self, workdir: Path | None = None, database: str = "maengelmelder"):
        import tempfile

        # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="mm-pg-"))
        self.data = self.workdir / "data"
        self.database = database
        self.url = f"postgresql+psycopg://postgres@/{database}?host={self.workdir}"

    def _run(self, *args: str) -> None:
        command = [str(self.BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if not self.data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.workdir, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w", "-t", "60", "start",
                      "-o", f"-c listen_addresses='' -c unix_socket_directories='{self.workdir}' -c fsync=off")
            self._run("createdb", "-h", str(self.workdir), "-U", "postgres", self.database)
            return
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w", "-t", "60", "start",
                  "-o", f"-c listen_addresses='' -c unix_socket_directories='{self.workdir}' -c fsync=off")

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as in a crash or a restart by the admin."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class S3Server:
    """moto's standalone S3 API server in a process of its own on a free loopback port.

    A real HTTP S3 API (the same protocol MinIO or a cloud store speaks): boto3 talks to it
    over TCP exactly as in production. Credentials are dummies that moto accepts.
    """

    ACCESS_KEY = "mm-test-access"
    SECRET_KEY = "mm-test-secret"
    REGION = "eu-central-1"

    def __init__(self):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import sys

        binary = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("moto_server did not come up (is moto[server] installed? make test installs it)")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def environment(self) -> dict[str, str]:
        """What boto3's default credential chain reads (as in production from the unit's environment)."""
        return {"AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=self.REGION,
                            aws_access_key_id=self.ACCESS_KEY, aws_secret_access_key=self.SECRET_KEY)

    def new_bucket(self, prefix: str = "photos") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.REGION})
        return name

    def url(self, bucket: str, prefix: str = "") -> str:
        """A MEDIA_STORAGE_URL for ``bucket`` on this server."""
        return f"s3://{bucket}/{prefix}?endpoint_url={self.endpoint}&region={self.REGION}"


class _Collector:
    def __init__(self, server: "SMTPServer"):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if self.server.refusing:
            return "451 4.3.0 Try again later (test server refusing)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.refusing:
            return "451 4.3.0 Try again later (test server refusing)"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd in a thread, keeping every received message; can refuse on demand."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.refusing = False
        self.port = _free_port()
        self.controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def admin_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("Set DATABASE_URL (make test starts a private PostgreSQL and sets it)")
    return url


@contextlib.contextmanager
def scratch_database(prefix: str):
    """A new, empty database in the test cluster (its URL), dropped afterwards."""
    base = make_url(admin_database_url())
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
