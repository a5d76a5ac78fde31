#!/usr/bin/env bash
# pgseed-init: restores the latest pgseed dump the first time a PostgreSQL container starts.
#
# Install with `cmake --install <build> --component initdb --prefix <dir>`: this script lands in
# <dir>/docker-entrypoint-initdb.d/ with the dump and its metadata beside it. The official postgres
# image runs it once, on an empty data directory, against a temporary socket-only server.
#
# If an init file fails the container stops, but the volume is already initialised and the next
# start skips init. So everything is checked before anything changes, and the dump is restored into
# a scratch database that becomes POSTGRES_DB only once its row counts match the metadata: a failed
# start leaves an empty POSTGRES_DB, never a half-built one. (The image's fresh, empty POSTGRES_DB is
# dropped before the restore rather than after it: DROP DATABASE forces a checkpoint, which after the
# restore would have to flush all of the new data first.)
#
# Uses only what the image ships: bash, coreutils, psql, pg_restore, and openssl for hashing where the
# image has it. Works executed or sourced (the image sources .sh files that are not executable); when
# sourced it returns, never exits.
#
# Environment:
#   POSTGRES_USER        role that owns the restored objects (default postgres)
#   POSTGRES_DB          database to fill (default: POSTGRES_USER)
#   PGSEED_ENVIRONMENT   which dump: <env>-seeded-latest.dump (default dev)
#   PGSEED_DUMP          explicit path of the dump (default: beside this script)
#   PGSEED_RESTORE_JOBS  pg_restore -j (default: number of CPUs)
#   PGSEED_REQUIRE_DUMP  1: a missing dump is an error instead of an empty database

_pgseed_log() { printf 'pgseed-init: %s\n' "$*" >&2; }
_pgseed_fail() { printf 'pgseed-init: error: %s\n' "$*" >&2; return 1; }

# One "key": value line of pgseed's metadata, which is pretty-printed with one key per line. The
# indent picks the level: two spaces for top-level keys ("version" also appears under "tool").
_pgseed_json_value() {
  local key=$1 file=$2 indent=${3:-2}
  sed -n -e 's/^ \{'"$indent"'\}"'"$key"'": "\([^"]*\)",\{0,1\} *$/\1/p' \
         -e 's/^ \{'"$indent"'\}"'"$key"'": \([^",]*\),\{0,1\} *$/\1/p' "$file" | head -n 1
}

_pgseed_now() { date +%s%N; }
_pgseed_elapsed() { local ms=$(( ($(_pgseed_now) - $1) / 1000000 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

_pgseed_psql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet -At --username "$_pgseed_user" "$@"; }

# sha256 of a file. openssl uses the CPU's SHA instructions and hashes a large dump 4-7x faster than
# coreutils' sha256sum, whose time adds straight to the first start. The Debian-based postgres images
# ship it (postgresql-NN depends on ssl-cert, which depends on openssl); where it is missing, as in
# busybox-based images, sha256sum does the same job more slowly. Prints "<digest> <tool>".
_pgseed_sha256() {
  local digest
  if command -v openssl >/dev/null 2>&1 && digest=$(openssl dgst -sha256 -r "$1" 2>/dev/null); then
    printf '%s openssl\n' "${digest%% *}"
  else
    digest=$(sha256sum "$1") || return 1
    printf '%s sha256sum\n' "${digest%% *}"
  fi
}

_pgseed_main() {
  local started; started=$(_pgseed_now)
  local here; here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
  _pgseed_user=${POSTGRES_USER:-postgres}
  local database=${POSTGRES_DB:-$_pgseed_user}
  local environment=${PGSEED_ENVIRONMENT:-dev}
  local dump=${PGSEED_DUMP:-$here/$environment-seeded-latest.dump}
  local metadata=${dump%.dump}.metadata.json
  local jobs=${PGSEED_RESTORE_JOBS:-$(nproc 2>/dev/null || echo 2)}

  # 1. Everything about the files, before the server is touched.
  if [ ! -e "$dump" ]; then
    if [ "${PGSEED_REQUIRE_DUMP:-0}" = 1 ]; then
      _pgseed_fail "no dump at $dump and PGSEED_REQUIRE_DUMP=1; generate one with 'cmake --build build --target generate-dump', then install the initdb component"
      return 1
    fi
    _pgseed_log "no dump at $dump: leaving $database empty"
    _pgseed_log "to start seeded: cmake --build build --target generate-dump && cmake --install build --component initdb --prefix <dir>, then recreate the volume"
    return 0
  fi
  if [ ! -f "$dump" ] || [ ! -r "$dump" ]; then
    _pgseed_fail "dump $dump is not a readable file"; return 1
  fi
  if head -c 64 "$dump" | grep -q '^version https://git-lfs.github.com/spec/'; then
    _pgseed_fail "dump $dump is a Git LFS pointer, not the dump: run git lfs pull (then install the initdb component again)"
    return 1
  fi
  if [ ! -r "$metadata" ]; then
    _pgseed_fail "metadata $metadata is missing or unreadable; a dump without metadata cannot be verified"; return 1
  fi
  local expected_checksum expected_size dump_major
  expected_checksum=$(_pgseed_json_value checksum "$metadata")
  expected_size=$(_pgseed_json_value sizeBytes "$metadata")
  dump_major=$(_pgseed_json_value pgDumpMajor "$metadata" 4)
  if ! [[ $expected_checksum =~ ^[0-9a-f]{64}$ && $expected_size =~ ^[0-9]+$ && $dump_major =~ ^[0-9]+$ ]]; then
    _pgseed_fail "metadata $metadata is unreadable: checksum, sizeBytes or postgres.pgDumpMajor missing"; return 1
  fi
  local actual_size actual_checksum
  actual_size=$(stat -L -c %s "$dump") || return 1
  if [ "$actual_size" != "$expected_size" ]; then
    _pgseed_fail "dump $dump has $actual_size bytes, metadata says $expected_size: checksum cannot match; fetch or regenerate it"
    return 1
  fi
  local hashed; hashed=$(_pgseed_sha256 "$dump") || return 1
  actual_checksum=${hashed%% *}
  if [ "$actual_checksum" != "$expected_checksum" ]; then
    _pgseed_fail "dump $dump failed its checksum: sha256 $actual_checksum, metadata says $expected_checksum"
    return 1
  fi
  # The server's version, and whether it can compress large values with lz4 (see the restore below).
  local server server_major lz4
  server=$(_pgseed_psql --dbname template1 -F ' ' -c "SELECT current_setting('server_version_num'),
      coalesce((SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'), false)") || {
    _pgseed_fail "cannot reach the server as $_pgseed_user"; return 1
  }
  server_major=$(( ${server%% *} / 10000 ))
  lz4=${server#* }
  if [ "$dump_major" -gt "$server_major" ]; then
    _pgseed_fail "dump $dump was written by pg_dump $dump_major, newer than this PostgreSQL $server_major; use a postgres:$dump_major image or regenerate the dump"
    return 1
  fi
  _pgseed_log "verified $(basename "$dump") ($actual_size bytes, sha256 ok by ${hashed#* }) in $(_pgseed_elapsed "$started")"

  # 2. Restore into a scratch database, check, then put it in place of POSTGRES_DB.
  local scratch="${database:0:40}_pgseed_init"
  # On failure: no scratch database, and POSTGRES_DB back as the image made it (empty, owned by the user).
  _pgseed_drop_scratch() {
    _pgseed_psql --dbname template1 -v db="$scratch" -v target="$database" -v owner="$_pgseed_user" <<'SQL' || true
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db";
SELECT format('CREATE DATABASE %I OWNER %I', :'target', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'target') \gexec
SQL
  }
  local restore_started; restore_started=$(_pgseed_now)
  # psql interpolates :"variables" only in input it reads, not in -c strings: hence the here-strings.
  # POSTGRES_DB is the image's fresh, empty database: nothing is lost by dropping it now.
  _pgseed_psql --dbname template1 -v db="$scratch" -v target="$database" -v owner="$_pgseed_user" <<'SQL' || {
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db";
DROP DATABASE IF EXISTS :"target";
CREATE DATABASE :"db" OWNER :"owner" TEMPLATE template0;
SQL
    _pgseed_drop_scratch
    _pgseed_fail "cannot create scratch database $scratch"; return 1
  }
  # --no-owner/--no-acl: every object belongs to POSTGRES_USER, whoever made the dump.
  # Large values (TOAST) are compressed as they are stored, by default with pglz; on a text-heavy
  # dump that is most of the restore. lz4 does it 2-3x faster and reads back faster too. Only how
  # those values are compressed on disk changes, not the data, and columns whose compression the
  # schema sets explicitly keep it (pg_dump restores ALTER ... SET COMPRESSION).
  local restore_options=${PGOPTIONS:-}
  if [ "$lz4" = t ]; then restore_options+="${restore_options:+ }-c default_toast_compression=lz4"; fi
  if ! PGOPTIONS=$restore_options pg_restore --jobs="$jobs" --no-owner --no-acl --exit-on-error \
      --username "$_pgseed_user" --no-password --dbname "$scratch" "$dump"; then
    _pgseed_drop_scratch
    _pgseed_fail "pg_restore of $dump failed; $database was left empty"; return 1
  fi
  _pgseed_log "restored into $scratch with $jobs jobs$([ "$lz4" = t ] && echo ', lz4 for large values') in $(_pgseed_elapsed "$restore_started")"

  # Every table's count against recordCounts, in one query. Keys are SQL-ready ("public.users",
  # "public.\"Odd\""); the query returns the key as text next to its count.
  local line key count_query="" tables=0 mismatches=0 expected_counts=""
  while IFS= read -r line; do
    [[ $line =~ ^\ *\"(([^\"\\]|\\.)*)\":\ *([0-9]+),?\ *$ ]] || continue
    key=${BASH_REMATCH[1]//\\\"/\"}
    count_query+="${count_query:+ UNION ALL }SELECT \$k\$${key}\$k\$, count(*) FROM ${key}"
    expected_counts+="${key}|${BASH_REMATCH[3]}"$'\n'
    tables=$((tables + 1))
  done < <(sed -n '/^  "recordCounts": {/,/^  }/p' "$metadata")
  local actual_counts=""
  if [ "$tables" -gt 0 ]; then
    actual_counts=$(_pgseed_psql --dbname "$scratch" -F '|' -c "$count_query") || actual_counts="(query failed)"
  fi
  local expected actual
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    expected=${line##*|}
    key=${line%|*}
    actual=$(grep -F -x -m 1 -- "$key|$expected" <<< "$actual_counts" || true)
    if [ -z "$actual" ]; then
      actual=$(grep -F -m 1 -- "$key|" <<< "$actual_counts" || true)
      _pgseed_log "count mismatch: $key has ${actual##*|} rows, metadata says $expected"
      mismatches=$((mismatches + 1))
    fi
  done <<< "$expected_counts"
  if [ "$mismatches" -gt 0 ]; then
    _pgseed_drop_scratch
    _pgseed_fail "$mismatches table(s) do not match the metadata; $database was left empty"; return 1
  fi

  # Where this database came from, one query away: SELECT * FROM pgseed_provenance;
  local version timestamp file
  version=$(_pgseed_json_value version "$metadata")
  timestamp=$(_pgseed_json_value timestamp "$metadata")
  file=$(_pgseed_json_value file "$metadata")
  _pgseed_psql --dbname "$scratch" -v file="$file" -v checksum="$actual_checksum" -v version="$version" \
      -v dumped_at="$timestamp" -v environment="$environment" <<'SQL' || { _pgseed_drop_scratch; _pgseed_fail "cannot record provenance"; return 1; }
-- pgseed dump leaves this table out, but a bare pg_dump of a database started here would carry it.
DROP TABLE IF EXISTS public.pgseed_provenance;
CREATE TABLE public.pgseed_provenance (
  dump_file   text NOT NULL,
  checksum    text NOT NULL,
  git_version text NOT NULL,
  environment text NOT NULL,
  dumped_at   timestamptz,
  restored_at timestamptz NOT NULL DEFAULT now(),
  restored_by text NOT NULL DEFAULT 'pgseed-init'
);
INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, dumped_at)
VALUES (:'file', :'checksum', :'version', :'environment', NULLIF(:'dumped_at', '')::timestamptz);
SQL

  # Administration goes through template1, so even POSTGRES_DB=postgres (the default) can be replaced.
  _pgseed_psql --dbname template1 -v db="$database" -v scratch="$scratch" \
      <<< 'ALTER DATABASE :"scratch" RENAME TO :"db";' || {
    _pgseed_drop_scratch
    _pgseed_fail "cannot rename the restored database to $database"; return 1
  }
  _pgseed_log "$database is ready: $tables tables match $(basename "$dump") (git ${version:0:12}) in $(_pgseed_elapsed "$started")"
  return 0
}

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  # Sourced by the image's entrypoint: return our status; its `set -e` turns a failure into a stop.
  # `&& ... ||` keeps a caller's `set -e` from firing before we have cleaned up and returned.
  _pgseed_main && _pgseed_status=0 || _pgseed_status=$?
  unset -f _pgseed_main _pgseed_log _pgseed_fail _pgseed_json_value _pgseed_now _pgseed_elapsed _pgseed_psql \
    _pgseed_sha256 _pgseed_drop_scratch
  unset _pgseed_user
  return "$_pgseed_status"
else
  _pgseed_main
  exit $?
fi
