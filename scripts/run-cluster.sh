#!/usr/bin/env bash
# The console as it would be deployed (docs/operations.md, "Several servers"). Installs what is
# missing (PostgreSQL, nginx), builds like scripts/run.sh, starts a throwaway PostgreSQL
# (scripts/pg.sh), three payout-server processes on 127.0.0.1:8081–8083 sharing its database (the
# demo data loaded by one of them), and nginx on http://127.0.0.1:8080 balancing over them
# (scripts/cluster/nginx.conf.template).
# Ctrl-C stops nginx, the servers and PostgreSQL. Extra arguments go to every server (see --help).
#
# The database lives in a fresh temp dir and is removed at exit, so every run starts from the demo
# data (scripts/pg.sh creates the database at each start). Logs stay in data/cluster/logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"

LISTEN_PORT=8080
SERVER_PORTS=(8081 8082 8083)
LOGS="$ROOT/data/cluster/logs"

SERVER_LIST="127.0.0.1:${SERVER_PORTS[0]}$(printf ', :%s' "${SERVER_PORTS[@]:1}")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
find_nginx() { PATH="$PATH:/usr/sbin:/sbin" command -v nginx || true; }

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  step "apt-get install postgresql (its own service is not used: scripts/pg.sh runs a throwaway cluster)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ -z "$(find_nginx)" ]; then
  as_root apt-get update -qq
  # Debian 12 has the small nginx-light; later releases only `nginx`.
  pkg=nginx-light
  apt-cache show nginx-light >/dev/null 2>&1 || pkg=nginx
  step "apt-get install $pkg"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
fi
NGINX="$(find_nginx)"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" --release
BIN="$CARGO_TARGET_DIR/release/payout-server"
cd "$ROOT"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$LISTEN_PORT" "${SERVER_PORTS[@]}"; do
  if port_in_use "$port"; then
    echo "127.0.0.1:$port is already in use (scripts/run.sh, or another run-cluster.sh?); stop that first" >&2
    exit 1
  fi
done

mkdir -p "$LOGS"
# pid file, nginx's temp dirs, its generated config and PostgreSQL's data. Readable by all: nginx's
# workers and PostgreSQL do not run as root.
RUN="$(mktemp -d "${TMPDIR:-/tmp}/payout-cluster.XXXXXX")"
chmod 755 "$RUN"
PG_DIR="$RUN/pg"
NGINX_PID=""
PG_WATCH_PID=""
declare -A SERVER_PID=()   # port → pid of the payout-server listening there

# A child that has not exited (an exited one not yet waited for is a zombie, still known to kill).
running() { local state; state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ $state != Z* ]]; }

# Waits for the children PIDS… to exit; kills those still running after SECONDS.
wait_or_kill() {
  local seconds=$1 pid i alive
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    alive=0
    for pid in "$@"; do running "$pid" && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "$@"; do
    if running "$pid"; then
      echo "pid $pid still running after ${seconds}s: killed"
      kill -KILL "$pid"
    fi
  done
  wait "$@" 2>/dev/null
}

# Stops what was started, in the order a deployment drains: the balancer (finishing the requests it
# has), the servers (SIGTERM: they finish theirs, then their settlement work stops), the database.
cleanup() {
  local status=$?
  trap '' INT TERM HUP
  set +e
  step "stopping"
  if [ -n "$NGINX_PID" ]; then
    kill -QUIT "$NGINX_PID" 2>/dev/null && echo "nginx (pid $NGINX_PID)"
    wait_or_kill 10 "$NGINX_PID"
  fi
  if [ "${#SERVER_PID[@]}" -gt 0 ]; then
    for port in "${!SERVER_PID[@]}"; do
      kill -TERM "${SERVER_PID[$port]}" 2>/dev/null && echo "payout-server :$port (pid ${SERVER_PID[$port]})"
    done
    # They have --shutdown-grace-ms (10 s by default) for open requests.
    wait_or_kill 20 "${SERVER_PID[@]}"
  fi
  if [ -n "$PG_WATCH_PID" ]; then
    kill "$PG_WATCH_PID" 2>/dev/null
    wait "$PG_WATCH_PID" 2>/dev/null
  fi
  if [ -d "$PG_DIR" ]; then
    "$ROOT/scripts/pg.sh" stop "$PG_DIR" && echo "PostgreSQL"
    [ -f "$PG_DIR/log" ] && cp "$PG_DIR/log" "$LOGS/postgres.log"
  fi
  rm -rf "$RUN"
  echo "stopped (logs in data/cluster/logs/)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 0' INT TERM
trap 'exit 129' HUP

step "PostgreSQL (scripts/pg.sh, data in $PG_DIR until exit)"
DATABASE="$("$ROOT/scripts/pg.sh" start "$PG_DIR")"
echo "$DATABASE"
# PostgreSQL is not a child of this script: a child that ends when it does, to notice if it stops.
read -r PG_PID <"$PG_DIR/data/postmaster.pid"
tail --pid="$PG_PID" -f /dev/null &
PG_WATCH_PID=$!

# Each process in a session of its own, so Ctrl-C reaches only this script, which then stops them
# in order. stdin from /dev/null: they read nothing.
step "payout-server × ${#SERVER_PORTS[@]} ($SERVER_LIST)"
for port in "${SERVER_PORTS[@]}"; do
  setsid "$BIN" --addr "127.0.0.1:$port" --database-url "$DATABASE" --demo-data --dist dist \
    --trust-forwarded-for "$@" >"$LOGS/server-$port.log" 2>&1 </dev/null &
  SERVER_PID[$port]=$!
  echo "127.0.0.1:$port  pid ${SERVER_PID[$port]}  log data/cluster/logs/server-$port.log"
done

healthy() { [[ "$(curl -fsS -m 2 "http://127.0.0.1:$1/api/health" 2>/dev/null)" == *'"ok"'* ]]; }
for port in "${SERVER_PORTS[@]}"; do
  for ((i = 0; ; i++)); do
    healthy "$port" && break
    if ! running "${SERVER_PID[$port]}"; then
      echo "payout-server :$port exited before it was ready; the end of its log:" >&2
      tail -n 20 "$LOGS/server-$port.log" >&2
      exit 1
    fi
    if [ "$i" -ge 240 ]; then
      echo "payout-server :$port is not healthy after 120 s; see data/cluster/logs/server-$port.log" >&2
      exit 1
    fi
    sleep 0.5
  done
done

step "nginx on 127.0.0.1:$LISTEN_PORT ($NGINX)"
conf="$(<"$ROOT/scripts/cluster/nginx.conf.template")"
servers=""
for port in "${SERVER_PORTS[@]}"; do
  servers+="        server 127.0.0.1:$port max_fails=2 fail_timeout=10s;"$'\n'
done
# Every temp dir of the modules built in, or nginx creates them under /var/lib/nginx at start.
built_with="$("$NGINX" -V 2>&1)"
temp_paths="    client_body_temp_path $RUN/client_body;"$'\n'"    proxy_temp_path $RUN/proxy;"
for module in fastcgi uwsgi scgi; do
  if [[ $built_with != *"--without-http_${module}_module"* ]]; then
    temp_paths+=$'\n'"    ${module}_temp_path $RUN/$module;"
  fi
done
conf="${conf//@SERVERS@/"${servers%$'\n'}"}"
conf="${conf//@TEMP_PATHS@/"$temp_paths"}"
conf="${conf//@RUN@/"$RUN"}"
conf="${conf//@LOGS@/"$LOGS"}"
conf="${conf//@LISTEN@/"127.0.0.1:$LISTEN_PORT"}"
printf '%s\n' "$conf" >"$RUN/nginx.conf"
: >"$LOGS/nginx-access.log"
: >"$LOGS/nginx-error.log"
NGINX_ARGS=(-p "$RUN/" -c "$RUN/nginx.conf" -e "$LOGS/nginx-error.log")
"$NGINX" "${NGINX_ARGS[@]}" -t -q
setsid "$NGINX" "${NGINX_ARGS[@]}" -g 'daemon off;' </dev/null >>"$LOGS/nginx-error.log" 2>&1 &
NGINX_PID=$!

for ((i = 0; ; i++)); do
  healthy "$LISTEN_PORT" && break
  if ! running "$NGINX_PID" || [ "$i" -ge 40 ]; then
    echo "nginx did not come up; the end of data/cluster/logs/nginx-error.log:" >&2
    tail -n 20 "$LOGS/nginx-error.log" >&2
    exit 1
  fi
  sleep 0.5
done

step "serving http://127.0.0.1:$LISTEN_PORT  (demo logins: lin.admin / lin.agent1 / … , password demo-pass-2026)"
echo "nginx → $SERVER_LIST (round-robin); database $DATABASE"
echo "logs in data/cluster/logs/ (nginx-access.log names the server of each request); Ctrl-C stops it all"

# Until Ctrl-C (the trap exits) or something dies. A dead server is reported and left out; nginx
# keeps sending its share to the others. Without nginx, PostgreSQL or any server, stop.
while :; do
  watched=("$NGINX_PID" "$PG_WATCH_PID" "${SERVER_PID[@]}")
  dead=""
  code=0
  wait -n -p dead "${watched[@]}" || code=$?
  [ -n "$dead" ] || { sleep 1; continue; }
  if [ "$dead" = "$NGINX_PID" ]; then
    NGINX_PID=""
    echo "nginx exited (status $code); the end of data/cluster/logs/nginx-error.log:" >&2
    tail -n 20 "$LOGS/nginx-error.log" >&2
    exit 1
  fi
  if [ "$dead" = "$PG_WATCH_PID" ]; then
    PG_WATCH_PID=""
    echo "PostgreSQL stopped; see its log in data/cluster/logs/postgres.log" >&2
    exit 1
  fi
  for port in "${!SERVER_PID[@]}"; do
    [ "${SERVER_PID[$port]}" = "$dead" ] || continue
    unset "SERVER_PID[$port]"
    echo "payout-server :$port exited (status $code); the end of data/cluster/logs/server-$port.log:" >&2
    tail -n 10 "$LOGS/server-$port.log" >&2
  done
  if [ "${#SERVER_PID[@]}" -eq 0 ]; then
    echo "no payout-server left" >&2
    exit 1
  fi
  echo "still serving through the other server(s):$(printf ' :%s' "${!SERVER_PID[@]}")" >&2
done
