#!/usr/bin/env bash
# pgseed-init: restores the latest pgseed dump the first time a PostgreSQL container starts.
#
# Install with `cmake --install <build> --component initdb --prefix <dir>`: this script lands in
# <dir>/docker-entrypoint-initdb.d/ with the dump and its metadata beside it. The official postgres
# image runs it once, on an empty data directory, against a temporary socket-only server.
#
# If an init file fails, or the container is killed, the volume is already initialised and the next
# start skips init: whatever this script left is what the user gets. So everything is checked before
# anything changes, the dump is restored into a scratch database, and POSTGRES_DB is replaced only
# once the scratch database is complete and its tables and row counts match the metadata exactly.
# The replacement is two renames in one transaction; the image's empty POSTGRES_DB is dropped only
# after that. (That DROP DATABASE forces a checkpoint, which flushes the restored data; the image
# stops the temporary server right after, which would checkpoint it anyway: same first-start time.) A failure or a kill at any point leaves POSTGRES_DB either as the image made it (empty)
# or complete, never missing and never half-built. What a kill can leave besides is one database
# named <db>_pgseed_init_<hex> (a half-built scratch) or <db>_pgseed_old_<hex> (the image's empty
# database, already replaced); both are safe to drop, see README.
#
# Uses only what the image ships: bash, coreutils, psql, pg_restore, zstd, and openssl for hashing
# where the image has it. The metadata is parsed as JSON by the temporary server (jsonb), which touches no data.
# Works executed or sourced (the image sources .sh files that are not executable); when sourced it
# returns, never exits.
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

# Milliseconds since the epoch, or nothing when no clock with sub-second resolution is at hand.
# bash 5 has EPOCHREALTIME (no fork; its separator follows the locale); busybox `date` (Alpine
# images) prints %N literally, so its output is checked before any arithmetic is done with it.
_pgseed_now() {
  local now=${EPOCHREALTIME:-}
  if [[ $now =~ ^([0-9]+)[.,]([0-9]{3}) ]]; then
    printf '%s%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  elif now=$(date +%s%N 2>/dev/null) && [[ $now =~ ^[0-9]{19,}$ ]]; then
    printf '%s\n' "${now:0:${#now}-6}"
  elif now=$(date +%s 2>/dev/null) && [[ $now =~ ^[0-9]+$ ]]; then
    printf '%s000\n' "$now"
  fi
}
# " in 1.234s", or nothing when there is no clock: a missing timing never fails a start.
_pgseed_elapsed() {
  local now; now=$(_pgseed_now)
  [[ $1 =~ ^[0-9]+$ && $now =~ ^[0-9]+$ ]] || return 0
  local ms=$((now - $1))
  printf ' in %d.%03ds' $((ms / 1000)) $((ms % 1000))
}

_pgseed_psql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet -At --username "$_pgseed_user" "$@"; }

# The first ERROR line of psql's output, with its DETAIL, as one line for an error message.
_pgseed_server_error() {
  local line message="" detail=""
  while IFS= read -r line; do
    case "$line" in
      *ERROR:*) [ -n "$message" ] || message=${line#*ERROR:  } ;;
      DETAIL:*) [ -n "$detail" ] || detail=${line#DETAIL:  } ;;
    esac
  done <<< "$1"
  printf '%s%s' "${message:-${1%%$'\n'*}}" "${detail:+ ($detail)}"
}

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

# 16 hex digits for the helper databases' names, so that they never collide with a database someone
# else made (or with a leftover of an earlier attempt) and are recognisable as ours.
_pgseed_random_hex() {
  local hex
  hex=$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
  [[ $hex =~ ^[0-9a-f]{16}$ ]] || printf -v hex '%04x%04x%04x%04x' $RANDOM $RANDOM $RANDOM $RANDOM
  printf '%s\n' "$hex"
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

  # 1. Everything about the files, before anything changes.
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
  if [ ! -f "$metadata" ] || [ ! -r "$metadata" ]; then
    _pgseed_fail "metadata $metadata is missing or unreadable; a dump without metadata cannot be verified"; return 1
  fi

  # The metadata, parsed as JSON by the server and checked field by field like `pgseed verify` does;
  # the server's version and whether it can compress large values with lz4 (see the restore below);
  # and the prefix of the helper databases' names: the start of POSTGRES_DB, cut on a character
  # boundary, so that "<prefix>_pgseed_init_<16 hex>" fits in 63 bytes. The prefix comes last: it is
  # the only field that may hold the separator.
  # psql reads the file itself (backquotes, with the path quoted by psql): no size limit of argv.
  # psql interpolates :'variables' only in input it reads, not in -c strings: hence the here-docs.
  local fields output
  output=$(_pgseed_psql --dbname template1 -F '|' -v metafile="$metadata" -v db="$database" 2>&1 <<'SQL'
\set meta `cat :'metafile'`
WITH m AS (SELECT :'meta'::jsonb AS j),
counts AS (
  SELECT e.key, e.value
  FROM m, jsonb_each(CASE WHEN jsonb_typeof(j->'recordCounts') = 'object' THEN j->'recordCounts' ELSE '{}' END) e),
problems(n, problem) AS (
  SELECT 1, 'is not a JSON object' FROM m WHERE jsonb_typeof(j) IS DISTINCT FROM 'object'
  UNION ALL
  SELECT 2, 'field checksum is not 64 lowercase hex digits' FROM m
  WHERE jsonb_typeof(j->'checksum') IS DISTINCT FROM 'string' OR j->>'checksum' !~ '^[0-9a-f]{64}$'
  UNION ALL
  SELECT 3, 'field sizeBytes must be a non-negative integer' FROM m
  WHERE jsonb_typeof(j->'sizeBytes') IS DISTINCT FROM 'number' OR (j->'sizeBytes')::text !~ '^[0-9]{1,18}$'
  UNION ALL
  SELECT 4, 'field postgres.pgDumpMajor must be a positive integer' FROM m
  WHERE jsonb_typeof(j#>'{postgres,pgDumpMajor}') IS DISTINCT FROM 'number'
     OR (j#>'{postgres,pgDumpMajor}')::text !~ '^[1-9][0-9]{0,4}$'
  UNION ALL
  SELECT 5, 'field recordCounts must be an object' FROM m
  WHERE jsonb_typeof(j->'recordCounts') IS DISTINCT FROM 'object'
  UNION ALL
  SELECT 6, 'recordCounts.' || regexp_replace(key, '[[:cntrl:]]', '?', 'g') || ' must be a non-negative integer' FROM counts
  WHERE jsonb_typeof(value) <> 'number' OR value::text !~ '^[0-9]{1,18}$'
  UNION ALL
  SELECT 7, 'field ' || f || ' must be a string' FROM m, unnest(ARRAY['version', 'timestamp', 'file']) f
  WHERE jsonb_typeof(j->f) IS DISTINCT FROM 'string')
SELECT coalesce((SELECT 'error|' || problem FROM problems ORDER BY n LIMIT 1),
  concat_ws('|', 'ok', j->>'checksum', j->>'sizeBytes', j#>>'{postgres,pgDumpMajor}',
    (SELECT count(*) FROM counts), current_setting('server_version_num'),
    coalesce((SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'), false),
    regexp_replace(left(j->>'version', 12), '[|[:cntrl:]]', '', 'g'),
    (SELECT left(:'db', max(k)) FROM generate_series(0, length(:'db')) k WHERE octet_length(left(:'db', k)) <= 34)))
FROM m;
SQL
  ) || {
    case "$output" in
      *'type json'*|*'Unicode'*|*'invalid byte sequence'*|*'unsupported'*)
        _pgseed_fail "metadata $metadata is not valid JSON: $(_pgseed_server_error "$output")" ;;
      *) _pgseed_fail "cannot read metadata $metadata through the server as $_pgseed_user: $(_pgseed_server_error "$output")" ;;
    esac
    return 1
  }
  IFS='|' read -r -a fields <<< "$output"
  if [ "${fields[0]}" = error ]; then
    _pgseed_fail "metadata $metadata: ${output#error|}; regenerate the dump"; return 1
  fi
  if [ "${fields[0]}" != ok ] || [ "${#fields[@]}" -lt 9 ] || ! [[ ${fields[5]} =~ ^[0-9]+$ ]]; then
    _pgseed_fail "metadata $metadata: unexpected answer from the server: $output"; return 1
  fi
  local expected_checksum=${fields[1]} expected_size=${fields[2]} dump_major=${fields[3]} tables=${fields[4]}
  local server_major=$((fields[5] / 10000)) lz4=${fields[6]} version=${fields[7]}
  local prefix=${output#*|*|*|*|*|*|*|*|}

  if [ "$dump_major" -gt "$server_major" ]; then
    _pgseed_fail "dump $dump was written by pg_dump $dump_major, newer than this PostgreSQL $server_major; use a postgres:$dump_major image or regenerate the dump"
    return 1
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
  _pgseed_log "verified $(basename "$dump") ($actual_size bytes, sha256 ok by ${hashed#* })$(_pgseed_elapsed "$started")"

  # 2. Restore into a scratch database and check it; POSTGRES_DB is not touched until it is complete.
  local suffix; suffix=$(_pgseed_random_hex)
  local scratch="${prefix}_pgseed_init_$suffix" old="${prefix}_pgseed_old_$suffix"
  # On failure: no scratch database. POSTGRES_DB was never touched.
  _pgseed_drop_scratch() {
    _pgseed_psql --dbname template1 -v db="$scratch" <<'SQL' || true
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db";
SQL
  }
  local restore_started; restore_started=$(_pgseed_now)
  # A zstd dump (pgseed's default) is decompressed first, because pg_restore -j needs a file it can
  # seek in. It goes to the temporary directory, never into the data volume, named after this shell's
  # pid: a killed start's leftover is removed once its pid is gone, and a start running beside this
  # one (a shared /tmp outside a container) keeps its file.
  local restore_file=$dump leftover owner
  if [ "$(head -c 4 "$dump" | od -An -tx1 | tr -d ' \n')" = 28b52ffd ]; then
    for leftover in "${TMPDIR:-/tmp}"/pgseed-init-*.dump; do
      owner=${leftover##*/pgseed-init-}; owner=${owner%%-*}
      { [ -e "$leftover" ] && ! kill -0 "$owner" 2>/dev/null && rm -f "$leftover"; } || true
    done
    if ! restore_file=$(mktemp "${TMPDIR:-/tmp}/pgseed-init-$$-XXXXXX.dump") || ! zstd -dcq -- "$dump" > "$restore_file"; then
      rm -f "$restore_file"
      _pgseed_fail "cannot decompress $dump into ${TMPDIR:-/tmp} (is zstd installed, is there space?); $database was left empty"
      return 1
    fi
    _pgseed_log "decompressed $(basename "$dump")$(_pgseed_elapsed "$restore_started")"
  fi
  # The comment (psql's \l+) tells whoever finds this database after a killed first start what it is.
  _pgseed_psql --dbname template1 -v db="$scratch" -v owner="$_pgseed_user" -v target="$database" <<'SQL' || {
CREATE DATABASE :"db" OWNER :"owner" TEMPLATE template0;
SELECT format('COMMENT ON DATABASE %I IS %L', :'db',
  'pgseed-init: scratch restore for ' || :'target' || ', left by a killed first start: incomplete, drop it') \gexec
SQL
    [ "$restore_file" = "$dump" ] || rm -f "$restore_file"
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
      --username "$_pgseed_user" --no-password --dbname "$scratch" "$restore_file"; then
    [ "$restore_file" = "$dump" ] || rm -f "$restore_file"
    _pgseed_drop_scratch
    _pgseed_fail "pg_restore of $dump failed; $database was left empty"; return 1
  fi
  [ "$restore_file" = "$dump" ] || rm -f "$restore_file"
  _pgseed_log "restored into $scratch with $jobs jobs$([ "$lz4" = t ] && echo ', lz4 for large values')$(_pgseed_elapsed "$restore_started")"

  # The restored tables against recordCounts, both ways, as `pgseed restore` checks them: the user
  # tables are enumerated exactly as src/pgseed/core/inventory.cpp does (so pgseed_provenance, which a
  # bare pg_dump of a seeded container carries along, is left out), and counted by a temporary
  # function through their server-made names: no name from the metadata ever becomes SQL.
  # Prints one line per problem (control characters of metadata keys shown as '?').
  local problems
  problems=$(_pgseed_psql --dbname "$scratch" -F '|' -v metafile="$metadata" 2>&1 <<'SQL'
\set meta `cat :'metafile'`
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.pgseed_count(regclass) RETURNS bigint LANGUAGE plpgsql AS
$$ DECLARE n bigint; BEGIN EXECUTE format('SELECT count(*) FROM %s', $1) INTO n; RETURN n; END $$;
WITH actual AS (
  SELECT format('%I.%I', n.nspname, c.relname) AS key, pg_temp.pgseed_count(c.oid) AS rows
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
    AND c.relname NOT LIKE 'pgseed\_%'
    AND NOT c.relispartition
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')),
expected AS (SELECT key, value::text::bigint AS rows FROM jsonb_each(:'meta'::jsonb->'recordCounts'))
SELECT CASE
         WHEN e.key IS NULL THEN format('table %s is in the dump but not in the metadata', a.key)
         WHEN a.key IS NULL THEN format('table %s is in the metadata but not in the dump',
                                        regexp_replace(e.key, '[[:cntrl:]]', '?', 'g'))
         ELSE format('count mismatch: %s has %s rows, metadata says %s', a.key, a.rows, e.rows)
       END
FROM actual a FULL JOIN expected e ON a.key = e.key
WHERE a.rows IS DISTINCT FROM e.rows
ORDER BY coalesce(a.key, e.key);
SQL
  ) || problems="cannot count the restored tables: $(_pgseed_server_error "$problems")"
  if [ -n "$problems" ]; then
    local problem count=0
    while IFS= read -r problem; do _pgseed_log "$problem"; count=$((count + 1)); done <<< "$problems"
    _pgseed_drop_scratch
    _pgseed_fail "$count table(s) do not match the metadata (first: ${problems%%$'\n'*}); $database was left empty"
    return 1
  fi

  # Where this database came from, one query away: SELECT * FROM pgseed_provenance;
  _pgseed_psql --dbname "$scratch" -v metafile="$metadata" -v checksum="$actual_checksum" \
      -v environment="$environment" <<'SQL' || { _pgseed_drop_scratch; _pgseed_fail "cannot record provenance"; return 1; }
\set meta `cat :'metafile'`
SET client_min_messages = warning;
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
SELECT m->>'file', :'checksum', m->>'version', :'environment', NULLIF(m->>'timestamp', '')::timestamptz
FROM (SELECT :'meta'::jsonb AS m) AS metadata;
SQL

  # 3. The swap: both renames commit together or not at all, so POSTGRES_DB is at every instant
  # either the image's empty database or the complete restored one. Administration goes through
  # template1, so even POSTGRES_DB=postgres (the default) can be replaced. The image's empty
  # database is dropped only afterwards (DROP DATABASE cannot run in a transaction); a kill before
  # that leaves it behind, empty, as <prefix>_pgseed_old_<hex>.
  _pgseed_psql --dbname template1 -v db="$database" -v scratch="$scratch" -v old="$old" <<'SQL' || {
BEGIN;
ALTER DATABASE :"db" RENAME TO :"old";
ALTER DATABASE :"scratch" RENAME TO :"db";
COMMENT ON DATABASE :"db" IS NULL;
SELECT format('COMMENT ON DATABASE %I IS %L', :'old',
  'pgseed-init: the empty database the image created, replaced by the restored ' || :'db' || ': drop it') \gexec
COMMIT;
SQL
    _pgseed_drop_scratch
    _pgseed_fail "cannot rename the restored database to $database; $database was left empty"; return 1
  }
  _pgseed_psql --dbname template1 -v old="$old" <<< 'DROP DATABASE :"old";' ||
    _pgseed_log "warning: cannot drop $old, the empty database $database was before the restore; drop it by hand"
  _pgseed_log "$database is ready: $tables tables match $(basename "$dump") (git $version)$(_pgseed_elapsed "$started")"
  return 0
}

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  # Sourced by the image's entrypoint: return our status; its `set -e` turns a failure into a stop.
  # `&& ... ||` keeps a caller's `set -e` from firing before we have cleaned up and returned.
  _pgseed_main && _pgseed_status=0 || _pgseed_status=$?
  unset -f _pgseed_main _pgseed_log _pgseed_fail _pgseed_now _pgseed_elapsed _pgseed_psql \
    _pgseed_server_error _pgseed_sha256 _pgseed_random_hex _pgseed_drop_scratch
  unset _pgseed_user
  return "$_pgseed_status"
else
  _pgseed_main
  exit $?
fi
