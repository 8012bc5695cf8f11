#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for kasa-server's tests.
#
#   scripts/pg-test-cluster.sh start   # prints KASA_TEST_POSTGRES_URL=postgres://kasa@127.0.0.1:PORT/postgres
#   scripts/pg-test-cluster.sh stop    # stops it and deletes its directory
#   scripts/pg-test-cluster.sh url     # prints the line again while it runs
#
# Uses Debian's binaries (/usr/lib/postgresql/15/bin, override with PGBIN), a fresh data directory
# (KASA_PG_TEST_DIR, default /tmp/kasa-pg-test), 127.0.0.1 on a free port, trust auth for the
# superuser "kasa", and durability off (fsync=off: it is thrown away). PostgreSQL refuses to run as
# root, so as root the cluster runs as the "postgres" system user, which owns the directory.
# KASA_PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync, synchronous commit, full-page
# writes) — for benchmarks that compare with SQLite at synchronous=FULL; use another
# KASA_PG_TEST_DIR for it beside the test cluster.
# Typical use:
#   eval "$(scripts/pg-test-cluster.sh start)"; export KASA_TEST_POSTGRES_URL
#   cargo test -p kasa-server; scripts/pg-test-cluster.sh stop
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DIR=${KASA_PG_TEST_DIR:-${TMPDIR:-/tmp}/kasa-pg-test}
RUN=()
if [ "$(id -u)" = 0 ]; then
  RUN=(runuser -u "${KASA_PG_TEST_USER:-postgres}" --)
fi

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

running() { [ -f "$DIR/data/postmaster.pid" ] && "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || shuf -i 20000-60000 -n 1
}

case "${1:-}" in
  start)
    [ -x "$PGBIN/initdb" ] || die "no PostgreSQL binaries in $PGBIN (apt-get install postgresql-15, or set PGBIN)"
    if running; then
      cat "$DIR/env"
      exit 0
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    if [ ${#RUN[@]} -gt 0 ]; then chown "${KASA_PG_TEST_USER:-postgres}" "$DIR"; fi
    port=$(free_port)
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${KASA_PG_DURABLE:-0}" = 1 ]; then durability=""; fi
    "${RUN[@]}" "$PGBIN/initdb" -D "$DIR/data" -U kasa --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $DIR $durability -c max_connections=200" \
      start >/dev/null || { cat "$DIR/server.log" >&2; die "pg_ctl start failed"; }
    echo "KASA_TEST_POSTGRES_URL=postgres://kasa@127.0.0.1:$port/postgres" | tee "$DIR/env.tmp" >/dev/null
    mv "$DIR/env.tmp" "$DIR/env" 2>/dev/null || cp "$DIR/env.tmp" "$DIR/env"
    cat "$DIR/env"
    ;;
  stop)
    if running; then
      "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$DIR"
    ;;
  url)
    running || die "no test cluster is running (scripts/pg-test-cluster.sh start)"
    cat "$DIR/env"
    ;;
  *)
    die "usage: $0 start|stop|url"
    ;;
esac
