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


ROOT = Path(__file__).resolve().parent.parent


class GunicornServer:
    """The app under gunicorn with deploy/gunicorn.conf.py, on a free loopback port.

    ``settings`` become environment variables, as the systemd unit's EnvironmentFile gives them.
    """

    def __init__(self, workers: int = 2, **settings: str):
        import sys

        self.port = _free_port()
        self.env = {**os.environ, "LOG_LEVEL": "WARNING", **{k: str(v) for k, v in settings.items()}}
        self.command = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                        "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "app:create_app()"]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import requests

        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.process.stderr.read().decode(errors="replace")[-2000:])
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz")

    def stop(self) -> None:
        import signal

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None


class NginxServer:
    """Debian's nginx with the project's site configuration (deploy/nginx), run with a
    prefix of its own in a temp dir, listening on free loopback ports only.

    The site file is used as shipped; only the deployment-specific values (ports, paths,
    certificate, upstream) are replaced, each of which must be found, so the test follows
    the file.
    """

    def __init__(self, upstream_port: int, static_root: Path, media_root: Path):
        import tempfile

        self.prefix = Path(tempfile.mkdtemp(prefix="mm-nginx-"))
        self.https_port, self.http_port = _free_port(), _free_port()
        self.upstream_port = upstream_port
        self.static_root, self.media_root = static_root, media_root
        self.process: subprocess.Popen | None = None

    def _certificate(self) -> tuple[Path, Path]:
        """A self-signed certificate for localhost/127.0.0.1, made here."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                # Its own trust anchor: clients that check strictly (urllib3 2) want these.
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(key, hashes.SHA256()))
        cert_path, key_path = self.prefix / "cert.pem", self.prefix / "key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_path, key_path

    def _site(self, cert: Path, key: Path) -> str:
        site = (ROOT / "deploy/nginx/maengelmelder.conf").read_text(encoding="utf-8")
        replacements = [  # (shipped text, test value, how often it must occur)
            ("    listen [::]:80;\n", "", 1),
            ("    listen [::]:443 ssl http2;\n", "", 1),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};", 1),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;", 1),
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{self.upstream_port};", 1),
            ("/etc/letsencrypt/live/maengelmelder.example.de/fullchain.pem", str(cert), 1),
            ("/etc/letsencrypt/live/maengelmelder.example.de/privkey.pem", str(key), 1),
            ("/srv/maengelmelder/app/static/", f"{self.static_root}/", 1),
            ("/var/lib/maengelmelder/media/", f"{self.media_root}/", 1),
            ("/var/log/nginx/maengelmelder.access.log", str(self.prefix / "access.log"), 1),
            ("snippets/maengelmelder-headers.conf", str(ROOT / "deploy/nginx/maengelmelder-headers.conf"), 3),
        ]
        for shipped, value, count in replacements:
            assert site.count(shipped) == count, f"deploy/nginx/maengelmelder.conf: {shipped!r} changed"
            site = site.replace(shipped, value)
        return site

    def start(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed (make test installs it)")
        cert, key = self._certificate()
        (self.prefix / "site.conf").write_text(self._site(cert, key), encoding="utf-8")
        # What Debian's /etc/nginx/nginx.conf provides around a site, with every path in the prefix.
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's temp dirs
        (self.prefix / "nginx.conf").write_text(f"""{user}daemon off;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log {self.prefix}/access.log;
    client_body_temp_path {self.prefix}/body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    include {self.prefix}/site.conf;
}}
""", encoding="utf-8")
        check = subprocess.run([binary, "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                               capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError("nginx -t: " + check.stderr)
        self.process = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.https_port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not listen: " + (self.prefix / "error.log").read_text(errors="replace"))

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown of master and workers
            self.process.wait(20)
        self.process = None
        shutil.rmtree(self.prefix, ignore_errors=True)


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
