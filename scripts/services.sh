#!/usr/bin/env bash
# Private PostgreSQL+PostGIS and Redis for this checkout, under ./var/.
# Both listen only on Unix sockets inside ./var/run, so a system server or a
# second checkout on the same machine never clashes with these.
# initdb refuses to run as root, so the cluster belongs to the `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
PGDATA="$VAR/pg"
RUN="$VAR/run"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PRIVATE_PGPORT:-5432}
DBNAME=${PRIVATE_DBNAME:-maengelmelder}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    mkdir -p "$RUN" "$VAR/log"
    if [ "$(id -u)" = 0 ]; then chown postgres "$RUN" "$VAR/log"; chmod 0775 "$RUN"; fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        mkdir -p "$PGDATA"
        [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
        as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$VAR/log/initdb.log"
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$VAR/log/postgresql.log" -w -t 60 start \
            -o "-c listen_addresses='' -c unix_socket_directories='$RUN' -p $PGPORT \
                -c fsync=${PG_FSYNC:-on} -c shared_buffers=256MB -c max_connections=200" >/dev/null
    fi
    if ! as_pg "$PGBIN/psql" -h "$RUN" -p "$PGPORT" -U postgres -Atqc \
            "select 1 from pg_database where datname='$DBNAME'" postgres | grep -q 1; then
        as_pg "$PGBIN/createdb" -h "$RUN" -p "$PGPORT" -U postgres "$DBNAME"
    fi
}

pg_stop() {
    if [ -s "$PGDATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
}

redis_start() {
    mkdir -p "$VAR/redis" "$RUN" "$VAR/log"
    if [ -S "$RUN/redis.sock" ] && redis-cli -s "$RUN/redis.sock" ping >/dev/null 2>&1; then
        return
    fi
    redis-server --port 0 --unixsocket "$RUN/redis.sock" --unixsocketperm 770 \
        --dir "$VAR/redis" --appendonly yes --daemonize yes \
        --pidfile "$RUN/redis.pid" --logfile "$VAR/log/redis.log"
    for _ in $(seq 50); do
        redis-cli -s "$RUN/redis.sock" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "redis did not start, see $VAR/log/redis.log" >&2
    exit 1
}

redis_stop() {
    if [ -S "$RUN/redis.sock" ]; then
        redis-cli -s "$RUN/redis.sock" shutdown nosave >/dev/null 2>&1 || true
    fi
}

env_lines() {
    echo "export DATABASE_URL='postgresql+psycopg://postgres@/$DBNAME?host=$RUN&port=$PGPORT'"
    echo "export REDIS_URL='unix://$RUN/redis.sock'"
}

case "${1:-}" in
    start) pg_start; redis_start ;;
    stop) redis_stop; pg_stop ;;
    env) env_lines ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
