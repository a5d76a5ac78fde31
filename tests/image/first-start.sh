#!/usr/bin/env bash
# Reproduces the official postgres image's first start on a fresh data directory, without Docker:
#
#   1. initdb as the postgres account, superuser POSTGRES_USER with POSTGRES_PASSWORD, and the
#      image's "host all all all scram-sha-256" line in pg_hba.conf;
#   2. a temporary server that listens only on its unix socket (listen_addresses='', -p $PGPORT);
#   3. CREATE DATABASE POSTGRES_DB unless it is "postgres";
#   4. the files of the initdb directory in sorted order: *.sh executed when executable and sourced
#      otherwise (under the entrypoint's `set -Eeo pipefail`), *.sql through psql with ON_ERROR_STOP,
#      anything else ignored; the first failure stops the start;
#   5. the temporary server stops; the real server starts, now also on 127.0.0.1:$PGPORT.
#
# Usage:
#   first-start.sh start INITDB_DIR WORK_DIR   (env: POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD,
#                                               POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
#                                               PGPORT, PGSEED_*) -> exit status of the init
#   first-start.sh stop WORK_DIR
#   first-start.sh crash WORK_DIR                what the container's death does to a running server:
#                                               an immediate stop (no shutdown checkpoint, the next
#                                               start recovers from WAL); for tests that kill init
#   first-start.sh next-start WORK_DIR           the container's next start: PGDATA exists, so no init,
#                                               just the real server (to see what a failed init left)
#
# As in the image, PGHOST is unset: clients use libpq's default socket directory,
# /var/run/postgresql, which the image and Debian share. When that is not writable (not root and not
# in the postgres group) the socket goes to WORK_DIR/socket and PGHOST points there instead.
set -Eeo pipefail

bindir=${PGSEED_PG_BINDIR:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
action=${1:?usage: first-start.sh start INITDB_DIR WORK_DIR | stop WORK_DIR}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- env PATH="$bindir:$PATH" "$@"; else env PATH="$bindir:$PATH" "$@"; fi
}

case "$action" in
  stop)
    work=${2:?work dir}
    if [ -f "$work/data/postmaster.pid" ]; then
      as_postgres pg_ctl -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    exit 0
    ;;
  crash)
    work=${2:?work dir}
    if [ -f "$work/data/postmaster.pid" ]; then
      as_postgres pg_ctl -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    exit 0
    ;;
  next-start)
    work=${2:?work dir}
    socket_dir=/var/run/postgresql
    [ "$(id -u)" -eq 0 ] || [ -w "$socket_dir" ] || socket_dir=$work/socket
    as_postgres pg_ctl -D "$work/data" -l "$work/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p ${PGPORT:-5432} -k $socket_dir" start >/dev/null
    exit $?
    ;;
  start) ;;
  inner) ;;  # below, as the postgres account
  *) echo "first-start.sh: unknown action $action" >&2; exit 2 ;;
esac

if [ "$action" = start ]; then
  initdb_dir=$(cd "${2:?initdb dir}" && pwd)
  work=$(mkdir -p "${3:?work dir}" && cd "$3" && pwd)
  mkdir -p "$work/data"
  socket_dir=/var/run/postgresql
  if [ "$(id -u)" -eq 0 ]; then
    install -d -o postgres -g postgres -m 2775 "$socket_dir"
    chown -R postgres:postgres "$work"
    chmod 755 "$work"
  elif [ ! -w "$socket_dir" ]; then
    socket_dir=$work/socket
    mkdir -p "$socket_dir"
    export PGHOST=$socket_dir
  fi
  export PGSEED_HARNESS_SOCKET_DIR=$socket_dir
  # The rest runs as the postgres account, as the image's entrypoint does after gosu.
  exec_self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
  as_postgres bash "$exec_self" inner "$initdb_dir" "$work"
  exit $?
fi

# ---- inner: the entrypoint's first start, as the postgres account ----
initdb_dir=$2
work=$3
# PGSEED_HARNESS_PGDATA_SUFFIX: how a container's PGDATA may be spelled, e.g. "/" (a trailing slash).
# PGSEED_HARNESS_RELATIVE_PGDATA=1: PGDATA relative to the entrypoint's working directory (WORK_DIR).
export PGDATA=$work/data${PGSEED_HARNESS_PGDATA_SUFFIX:-}
[ "${PGSEED_HARNESS_RELATIVE_PGDATA:-}" != 1 ] || PGDATA=data${PGSEED_HARNESS_PGDATA_SUFFIX:-}
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-harness-password}
export PGPORT=${PGPORT:-5432}
# Where the init script logs a temporary server it restarts itself (physical snapshot): the image
# lets it write to the container's output, but our callers read ours until it ends.
export PGSEED_INIT_SERVER_LOG=$work/temp-server.log
cd "$work"

# POSTGRES_INITDB_WALDIR and POSTGRES_INITDB_ARGS as the image passes them (the latter through eval,
# after our defaults, so that it can override them). Without --no-sync, as the image runs it: the
# fsync of the new cluster is part of every first start the benchmark times.
set --
[ -z "${POSTGRES_INITDB_WALDIR:-}" ] || set -- --waldir "$POSTGRES_INITDB_WALDIR"
eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") -D "$PGDATA" \
  --encoding=UTF8 --locale=C.UTF-8 "$@" '"${POSTGRES_INITDB_ARGS:-}" >"$work/initdb.log" 2>&1
printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -l "$work/temp-server.log" -w \
  -o "-c listen_addresses='' -p $PGPORT -k $PGSEED_HARNESS_SOCKET_DIR" start >/dev/null

process_sql() {
  local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  PGHOST=${PGHOST:-} PGHOSTADDR='' "${query_runner[@]}" --dbname "${POSTGRES_DB}" "$@"
}
if [ "$POSTGRES_DB" != postgres ]; then
  # As the image does: connect to "postgres", create the database named by the outer POSTGRES_DB.
  # shellcheck disable=SC2097,SC2098
  POSTGRES_DB=postgres process_sql --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;' >/dev/null
fi

# As in the image: bare calls under `set -Eeo pipefail`, so the first failing file ends the start.
# The trap reports it and stops the temporary server (the container would stop with it).
# shellcheck disable=SC2154  # status is assigned inside the trap
trap 'status=$?; pg_ctl -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true;
      echo "first-start: init failed with status $status; the container would stop here" >&2; exit $status' ERR
for f in "$initdb_dir"/*; do
  case "$f" in
    *.sh)
      if [ -x "$f" ]; then
        echo "first-start: running $f" >&2
        "$f"
      else
        echo "first-start: sourcing $f" >&2
        # shellcheck disable=SC1090
        . "$f"
      fi
      ;;
    *.sql) echo "first-start: running $f" >&2; process_sql -f "$f" ;;
    *) echo "first-start: ignoring $f" >&2 ;;
  esac
done
trap - ERR

pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
pg_ctl -D "$PGDATA" -l "$work/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGSEED_HARNESS_SOCKET_DIR" start >/dev/null
echo "first-start: ready on 127.0.0.1:$PGPORT" >&2
