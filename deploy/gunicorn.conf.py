"""gunicorn settings for the web service (deploy/systemd/maengelmelder-web.service).

    gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'

Command-line options win over these (the tests bind another port that way).
"""
import os

bind = "127.0.0.1:8000"            # nginx in front (deploy/nginx); never exposed directly
workers = int(os.environ.get("WEB_WORKERS", "4"))
worker_class = "gthread"
threads = 4
timeout = 60                        # as nginx's proxy_read_timeout
graceful_timeout = 30
keepalive = 30
max_requests = 5000                 # recycle workers now and then (memory of the map cache)
max_requests_jitter = 500
forwarded_allow_ips = "127.0.0.1"
# Access log on stdout (the journal) through the app's logger: no client address, tokens in
# paths and queries replaced (app/logs.py); the request id links it to nginx's and the app's lines.
logger_class = "app.logs.AccessLogger"
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}i)s'
# No runtime control socket (gunicorn 24 and later open one in the service account's home):
# systemd reloads and stops the service, and several gunicorns on one machine (the demo, the
# tests) would otherwise contend for one path.
control_socket_disable = True


def child_exit(server, worker):
    # Request metrics from several workers are kept in files under PROMETHEUS_MULTIPROC_DIR;
    # a dead worker's live gauges must go (app/ops/metrics.py).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # The map pages' folium is imported when a map is first built (so `flask` commands start
    # fast); a worker imports it before its first request instead, not while a citizen waits.
    from app.public.mapview import preload

    preload()
