#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, the benchmark and scripts/run-cluster.sh.
#   scripts/pg.sh start DIR   initdb into DIR (if new), start on a free port, create the
#                             database `payout` (if missing), print its URL (also written to DIR/url)
#   scripts/pg.sh stop DIR    stop it (fast shutdown)
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "${1:-}" in
  start)
    DIR="$(mkdir -p "$2" && cd "$2" && pwd)"
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
      echo "PostgreSQL is not installed (scripts/setup-test.sh and scripts/run-cluster.sh install it)" >&2
      exit 1
    fi
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      as_pg "$PG_BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --no-locale >"$DIR/initdb.log"
    fi
    PORT="$(free_port)"
    # Durable like production (fsync on); enough connections for three servers and the tests.
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB" \
      start >/dev/null
    if [ -z "$(psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'payout'")" ]; then
      psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c 'CREATE DATABASE payout' >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$PORT/payout" | tee "$DIR/url"
    ;;
  stop)
    DIR="$2"
    if [ -f "$DIR/data/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
    ;;
esac
