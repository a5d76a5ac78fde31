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
#   PGSEED_PHYSICAL      0: restore the logical dump even when a usable physical snapshot is there

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

# ---- The physical snapshot (dump --physical): its own functions, so that the logical path stays as is.
#
# <env>-seeded-latest.pgdata.tar.zst beside the dump is the data directory of a cluster the dump was
# restored into (see src/pgseed/core/physical.h). When this server can start on those files (same CPU
# architecture, glibc, major and catalog version, pg_control layout, locale and collation versions),
# installing them is several times faster than a restore. Any mismatch or a bad archive is one log
# line, then the logical restore as before: never an error while the logical dump is there.
#
# Crash safety. The image's next start skips init as soon as PGDATA holds PG_VERSION, so a kill while
# data files are being swapped must not leave a cluster that starts. Everything that can fail (hash,
# compatibility, unpack into PGDATA/.pgseed-physical-<hex>) happens while the temporary server still
# runs on the image's untouched cluster. Then: stop it; replace postgresql.conf by one whose only line
# includes a file that does not exist and whose name says to recreate the volume (the "poison": a
# server refuses to start on it); swap the data files by renames; start again with the clean copy of
# postgresql.conf (-c config_file); set up POSTGRES_USER and POSTGRES_DB, count, record provenance;
# sync; and only then put the clean postgresql.conf back. A kill before the poison leaves the image's
# empty cluster, a kill after the clean file is back a complete one, and anything in between a server
# that refuses to start with "recreate the volume" in its log.
_pgseed_physical_poison="pgseed-init was interrupted while installing a physical snapshot: this volume is incomplete, recreate it (docker compose down -v)"

# psql as another role than POSTGRES_USER (the snapshot's bootstrap superuser, a helper role).
_pgseed_psql_as() { local who=$1; shift; psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet -At --username "$who" "$@"; }

# Makes what was written so far durable (the unpacked files are not fsynced by tar): only the
# filesystem of PGDATA where sync can (coreutils, busybox), else everything.
_pgseed_sync() { sync -f "$1" 2>/dev/null || sync; }
# Makes the named files and directories durable, and only them (fsync each; coreutils and busybox
# take FILE arguments), else everything.
_pgseed_fsync() { sync -- "$@" 2>/dev/null || sync; }

# Stops the server of PGDATA in fast mode and waits until it is gone (postmaster.pid removed, or its
# process dead), for up to 60 s. `pg_ctl -w stop` looks every 100 ms, and an idle server is gone in
# about 10: this looks every 10.
_pgseed_stop_server() {
  local pid i
  pg_ctl -D "$PGDATA" -m fast -W stop >/dev/null || return 1
  IFS= read -r pid 2>/dev/null < "$PGDATA/postmaster.pid" || return 0
  for ((i = 0; i < 6000; i++)); do
    if [ ! -e "$PGDATA/postmaster.pid" ] || ! kill -0 "$pid" 2>/dev/null; then return 0; fi
    sleep 0.01 2>/dev/null || sleep 1
  done
  return 1
}

# Starts the server of PGDATA with OPTIONS (pg_ctl -o) and returns once it accepts connections, or
# fails as pg_ctl does. pg_ctl -w looks every 100 ms, and a cleanly stopped cluster is ready in about
# 40; postmaster.pid's status line says when (pg_ctl reads the same line): this looks every 10 ms and
# leaves pg_ctl to end on its own.
_pgseed_start_server() {
  pg_ctl -D "$PGDATA" ${PGSEED_INIT_SERVER_LOG:+-l "$PGSEED_INIT_SERVER_LOG"} -w -o "$1" start >/dev/null &
  local starter=$!
  while kill -0 "$starter" 2>/dev/null; do
    if [ "$(sed -n '8{s/ *$//;p;}' "$PGDATA/postmaster.pid" 2>/dev/null)" = ready ]; then return 0; fi
    sleep 0.01 2>/dev/null || sleep 1
  done
  wait "$starter"
}

# Returns 0 when POSTGRES_DB is ready from the snapshot, 2 when the snapshot is not used (the reason
# logged; nothing was changed), 1 on a failure after the temporary server was stopped.
_pgseed_physical() {
  local dump=$1 metadata=$2 database=$3 environment=$4 started=$5 tables=$6 version=$7
  local archive=${dump%.dump}.pgdata.tar.zst
  local arch glibc
  arch=$(uname -m 2>/dev/null) || arch=unknown
  # glibc's own answer; musl (Alpine) has none, which no snapshot made on glibc matches.
  if glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null) && [[ $glibc == 'glibc '* ]]; then glibc=${glibc#glibc }; else glibc=none; fi

  # PGDATA as the server spells it in config_file: absolute (a relative one from its physical working
  # directory, which is ours), and "." and ".." taken out as a logical cd does. Else PGDATA=data or
  # /var/lib/postgresql/./data would turn the physical start logical. Both take "link/.." out by its
  # name, the kernel does not: when the two spellings are two directories, PGDATA as it is, which
  # the check then finds is not the server's.
  local pgdata=${PGDATA:-}
  case "$pgdata" in '' | /*) ;; *) pgdata=$(pwd -P)/$pgdata ;; esac
  [ -z "$pgdata" ] || pgdata=$(CDPATH='' cd -L -- "$pgdata" 2>/dev/null && pwd -L) || pgdata=${PGDATA:-}
  [ "$pgdata" -ef "${PGDATA:-}" ] || pgdata=${PGDATA:-}

  # The metadata's physical section against this server and this image, in one query; the first
  # field that differs, with both values.
  local output
  output=$(_pgseed_psql --dbname template1 -F '|' -v metafile="$metadata" -v arch="$arch" -v glibc="$glibc" \
      -v pgdata="$pgdata" -v db="$database" 2>&1 <<'SQL'
\set meta `cat :'metafile'`
SET client_min_messages = warning;
-- The version this server gives a collation of PROVIDER and LOCALE (LC_CTYPE for libc), through a
-- temporary one; '(not available: <why>)' when this server cannot make it.
CREATE FUNCTION pg_temp.pgseed_collation_version(provider text, locale text, ctype text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE version text;
BEGIN
  IF provider = 'libc' THEN
    EXECUTE format('CREATE COLLATION pg_temp.pgseed_probe (provider = libc, lc_collate = %L, lc_ctype = %L)',
                   locale, coalesce(nullif(ctype, ''), locale));
  ELSIF provider IN ('icu', 'builtin') THEN
    EXECUTE format('CREATE COLLATION pg_temp.pgseed_probe (provider = %s, locale = %L)', provider, locale);
  ELSE
    RETURN '(not available: provider ' || coalesce(provider, 'missing') || ')';
  END IF;
  SELECT coalesce(pg_collation_actual_version(oid), '') INTO version FROM pg_collation
  WHERE collname = 'pgseed_probe' AND collnamespace = pg_my_temp_schema();
  DROP COLLATION pg_temp.pgseed_probe;
  RETURN version;
EXCEPTION WHEN others THEN
  RETURN '(not available: ' || SQLERRM || ')';
END $$;
WITH m AS (SELECT (:'meta'::jsonb)->'physical' AS p),
s AS (SELECT * FROM pg_control_system()),
i AS (SELECT * FROM pg_control_init()),
d AS (SELECT to_jsonb(db) AS j FROM pg_database db WHERE datname = current_database()),
checks AS (
  SELECT v.n, v.field, v.archive, v.here FROM m, s, i, d, LATERAL (VALUES
    (1, 'architecture (uname -m)', p->>'architecture', :'arch'),
    (2, 'glibc version', p->>'glibc', :'glibc'),
    (3, 'major version', p->>'majorVersion', (current_setting('server_version_num')::int / 10000)::text),
    (4, 'catalog version', p->>'catalogVersion', s.catalog_version_no::text),
    (5, 'pg_control version', p->>'controlVersion', s.pg_control_version::text),
    (6, 'MAXALIGN', p->>'maxAlign', i.max_data_alignment::text),
    (7, 'BLCKSZ', p->>'blockSize', i.database_block_size::text),
    (8, 'RELSEG_SIZE', p->>'relsegSize', i.blocks_per_segment::text),
    (9, 'XLOG_BLCKSZ', p->>'walBlockSize', i.wal_block_size::text),
    (10, 'WAL segment size', p->>'walSegmentSize', i.bytes_per_wal_segment::text),
    (11, 'NAMEDATALEN', p->>'nameDataLen', i.max_identifier_length::text),
    (12, 'float8 pass-by-value', p->>'float8PassByValue', i.float8_pass_by_value::text),
    (13, 'data checksums', p->>'dataChecksums', i.data_page_checksum_version::text),
    (14, 'encoding', p->>'encoding', pg_encoding_to_char((j->>'encoding')::int)),
    (15, 'locale provider', p->>'localeProvider',
         CASE j->>'datlocprovider' WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END),
    (16, 'LC_COLLATE', p->>'collate', j->>'datcollate'),
    (17, 'LC_CTYPE', p->>'ctype', j->>'datctype'),
    (18, 'database collation version', p->>'databaseCollationVersion', coalesce(j->>'datcollversion', ''))
  ) AS v(n, field, archive, here)
  UNION ALL
  -- Each collation the data uses, made again here from its provider and locale: the version this
  -- server's library gives it (the image's cluster has none of those the migrations created).
  SELECT 19, 'version of collation ' || e.key, e.value->>'version',
    pg_temp.pgseed_collation_version(e.value->>'provider', e.value->>'locale', e.value->>'ctype')
  FROM m, jsonb_each(CASE WHEN jsonb_typeof(p->'collations') = 'object' THEN p->'collations' ELSE '{}' END) e
  WHERE jsonb_typeof(e.value) = 'object'
  UNION ALL
  -- Metadata from before "collations": by name, as this server has it.
  SELECT 19, 'version of collation ' || e.key, e.value,
    coalesce((SELECT coalesce(pg_collation_actual_version(c.oid), '') FROM pg_collation c
              JOIN pg_namespace ns ON ns.oid = c.collnamespace
              WHERE format('%I.%I', ns.nspname, c.collname) = e.key), '(no such collation)')
  FROM m, jsonb_each_text(CASE WHEN jsonb_typeof(p->'collationVersions') = 'object' THEN p->'collationVersions' ELSE '{}' END) e
  WHERE jsonb_typeof(p->'collations') IS DISTINCT FROM 'object'
  UNION ALL
  -- The snapshot's roles have no password until this script sets one: it must get in without.
  SELECT 20, 'local authentication (pg_hba.conf)', 'trust',
    coalesce((SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules
              WHERE type = 'local' AND auth_method <> 'trust'), 'trust')
  UNION ALL
  -- The poison works only in the postgresql.conf the next start reads. PGDATA as the server spells
  -- it (no repeated or trailing slash; the shell took out the rest): PGDATA=/var/lib/postgresql/data/
  -- is the same directory.
  SELECT 21, 'config_file', regexp_replace(regexp_replace(:'pgdata', '/{2,}', '/', 'g'), '(.)/$', '\1') || '/postgresql.conf',
    current_setting('config_file')
  UNION ALL
  -- What an earlier init script made in the image's cluster besides POSTGRES_DB's objects: the
  -- snapshot replaces the cluster whole, so it would be gone (and a later script using it would
  -- fail), whereas the logical restore keeps it.
  SELECT 22, 'list of roles besides POSTGRES_USER', '(none)',
    coalesce((SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname !~ '^pg_' AND oid <> 10), '(none)')
  UNION ALL
  SELECT 23, 'list of databases besides POSTGRES_DB', '(none)',
    coalesce((SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database
              WHERE datname NOT IN ('postgres', 'template0', 'template1', :'db')), '(none)')
  UNION ALL
  SELECT 24, 'list of tablespaces', '(none)',
    coalesce((SELECT string_agg(spcname, ',' ORDER BY spcname) FROM pg_tablespace
              WHERE spcname NOT IN ('pg_default', 'pg_global')), '(none)')
  UNION ALL
  -- ALTER ROLE ... SET: kept in a shared catalog, which the snapshot replaces too.
  SELECT 25, 'list of role settings', '(none)',
    coalesce((SELECT string_agg(pg_get_userbyid(setrole) || ': ' || array_to_string(setconfig, ','), '; ' ORDER BY 1)
              FROM pg_db_role_setting WHERE setrole <> 0), '(none)'))
SELECT CASE
  WHEN p IS NULL THEN 'none'
  WHEN jsonb_typeof(p) <> 'object' OR coalesce(p->>'checksum', '') !~ '^[0-9a-f]{64}$'
    OR coalesce(p->>'sizeBytes', '') !~ '^[0-9]{1,18}$' THEN 'invalid'
  ELSE concat_ws('|', coalesce((SELECT 'mismatch' FROM checks WHERE archive IS DISTINCT FROM here LIMIT 1), 'ok'),
    p->>'checksum', p->>'sizeBytes',
    regexp_replace(coalesce(p->>'bootstrapUser', 'postgres'), '[|[:cntrl:]]', '', 'g'),
    regexp_replace(coalesce(p->>'database', 'postgres'), '[|[:cntrl:]]', '', 'g'),
    (SELECT concat_ws('|', field, regexp_replace(coalesce(archive, '(missing)'), '[|[:cntrl:]]', '?', 'g'),
                      regexp_replace(coalesce(here, '(none)'), '[|[:cntrl:]]', '?', 'g'))
     FROM checks WHERE archive IS DISTINCT FROM here ORDER BY n LIMIT 1))
END
FROM m;
SQL
  ) || { _pgseed_log "physical snapshot not used: cannot check it against this server: $(_pgseed_server_error "$output")"; return 2; }
  case "$output" in
    none)
      if [ -e "$archive" ]; then _pgseed_log "physical snapshot not used: the metadata has no physical section"; fi
      return 2 ;;
    invalid) _pgseed_log "physical snapshot not used: the physical section of $metadata is invalid"; return 2 ;;
  esac
  local fields; IFS='|' read -r -a fields <<< "$output"
  local verdict=${fields[0]} expected_checksum=${fields[1]} expected_size=${fields[2]}
  local bootstrap=${fields[3]} inner_database=${fields[4]}
  if [ "${PGSEED_PHYSICAL:-1}" = 0 ]; then _pgseed_log "physical snapshot not used: PGSEED_PHYSICAL=0"; return 2; fi

  # 1. The archive itself, as the dump is checked: here its size and that it is not an LFS pointer,
  # and its sha256 in step 3, read beside the unpack (0.15 s less than one after the other on the
  # bench profile); either way before anything outside the staging directory changes.
  if [ ! -f "$archive" ] || [ ! -r "$archive" ]; then
    _pgseed_log "physical snapshot not used: $archive is not there; install it beside the dump for a faster start"; return 2
  fi
  if head -c 64 "$archive" | grep -q '^version https://git-lfs.github.com/spec/'; then
    _pgseed_log "physical snapshot not used: $archive is a Git LFS pointer (run git lfs pull)"; return 2
  fi
  local actual_size hashed=""
  actual_size=$(stat -L -c %s "$archive") || return 2
  if [ "$actual_size" != "$expected_size" ]; then
    _pgseed_log "physical snapshot not used: $archive has $actual_size bytes, metadata says $expected_size"; return 2
  fi
  # 2. Compatibility.
  if [ "$verdict" != ok ]; then
    _pgseed_log "physical snapshot not used: ${fields[5]} differs: snapshot ${fields[6]}, this server ${fields[7]}; restoring the logical dump"
    return 2
  fi
  if ! command -v zstd >/dev/null 2>&1 || ! command -v tar >/dev/null 2>&1; then
    _pgseed_log "physical snapshot not used: this image has no zstd or no tar"; return 2
  fi
  if [ -z "${PGDATA:-}" ] || [ ! -f "$PGDATA/PG_VERSION" ]; then
    _pgseed_log "physical snapshot not used: PGDATA is not set to the temporary server's data directory"; return 2
  fi
  # POSTGRES_INITDB_WALDIR: pg_wal is a link to another volume, which the snapshot's own pg_wal
  # directory would replace, moving the WAL back into PGDATA without a word.
  if [ -L "$PGDATA/pg_wal" ]; then
    _pgseed_log "physical snapshot not used: $PGDATA/pg_wal is a link (POSTGRES_INITDB_WALDIR), which the snapshot's pg_wal would replace"; return 2
  fi

  # 3. Unpack beside the image's cluster, inside PGDATA (the same filesystem, so the swap is renames),
  # while the archive is hashed; a wrong checksum or a failed unpack removes the staging directory.
  local unpack_started; unpack_started=$(_pgseed_now)
  local suffix; suffix=$(_pgseed_random_hex)
  local staging="$PGDATA/.pgseed-physical-$suffix" replaced="$PGDATA/.pgseed-replaced-$suffix"
  local digest_file="$PGDATA/.pgseed-sha256-$suffix" unpacked=yes
  # The clean postgresql.conf the restarted server reads, in PGDATA itself: its relative include and
  # include_dir lines (an earlier init script's conf.d) resolve against the directory of the file.
  local clean_conf="$PGDATA/.pgseed-postgresql-$suffix.conf"
  local server_version_num; server_version_num=$(cat "$PGDATA/PG_VERSION")
  _pgseed_sha256 "$archive" > "$digest_file" &
  local hashing=$!
  # Nothing here reads or writes what the archive put in the staging directory: until its checksum
  # matches, a PG_VERSION could be a FIFO (a read would never end) or a link to anywhere. (sync -f
  # reads nothing: it writes the filesystem's dirty pages.)
  #
  # The unpack runs in the background while this shell writes its files to disk as they come. tar
  # does not, and with no dirty-page pressure the kernel waits 30 s: the disk would sit idle through
  # the CPU-bound unpack, then hold every fsync of the server's stop and start behind all of it
  # (0.15-0.4 s each for 524 MiB here; about 0.2 s less in all this way). `|| exit 1` ends the
  # background shell on a failure without running the ERR trap of an entrypoint that sources this
  # script.
  #
  # GNU tar moves 10 KiB per system call unless told; 1 MiB records take about 0.08 s off here.
  # busybox tar (Alpine) has no -b, nor --version: its failure must not be the last command of the
  # substitution, or a sourcing entrypoint's ERR trap (set -E) runs in it and stops the server.
  local records=()
  case "$(tar --version 2>/dev/null < /dev/null || :)" in *'GNU tar'*) records=(-b 2048) ;; esac
  { mkdir -m 700 "$staging" && zstd -dcq < "$archive" | tar "${records[@]}" -xf - -C "$staging" --no-same-owner || exit 1; } &
  local unpacking=$!
  while kill -0 "$unpacking" 2>/dev/null; do
    sync -f "$PGDATA" 2>/dev/null || true
    sleep 0.05 2>/dev/null || sleep 1
  done
  { wait "$unpacking" && cp -p "$PGDATA/postgresql.conf" "$clean_conf"; } || unpacked=no
  { wait "$hashing" && IFS= read -r hashed < "$digest_file"; } || hashed=""
  rm -f "$digest_file"
  if [ -z "$hashed" ]; then
    rm -rf "$staging" "$clean_conf"
    _pgseed_log "physical snapshot not used: cannot compute the sha256 of $archive"; return 2
  fi
  if [ "${hashed%% *}" != "$expected_checksum" ]; then
    rm -rf "$staging" "$clean_conf"
    _pgseed_log "physical snapshot not used: $archive failed its checksum: sha256 ${hashed%% *}, metadata says $expected_checksum"; return 2
  fi
  if [ "$unpacked" = no ] || [ ! -f "$staging/PG_VERSION" ] || [ "$(cat "$staging/PG_VERSION")" != "$server_version_num" ] ||
      [ ! -f "$staging/global/pg_control" ]; then
    rm -rf "$staging" "$clean_conf"
    _pgseed_log "physical snapshot not used: cannot unpack $archive into $staging"; return 2
  fi
  _pgseed_log "unpacked $(basename "$archive") ($actual_size bytes, sha256 ok by ${hashed#* })$(_pgseed_elapsed "$unpack_started")"
  # What the loop above has not written yet, in the background; waited for before the clean
  # postgresql.conf goes back. Nothing in between needs it on disk: the poison makes the volume
  # refuse to start until then.
  _pgseed_sync "$PGDATA" &
  local flush=$!

  # The options the image started the temporary server with, as the server recorded them (the
  # container's command line included): what follows the program's path in postmaster.opts.
  local options=""
  [ ! -r "$PGDATA/postmaster.opts" ] || IFS= read -r options < "$PGDATA/postmaster.opts" || true
  case "$options" in
    *' "'*) options="\"${options#* \"}" ;;
    *) options="-c listen_addresses='' -p ${PGPORT:-5432}" ;;
  esac
  # The restarted server writes its own postmaster.opts, with a config_file that is gone once the
  # clean postgresql.conf is back; `pg_ctl restart` (in a later init script) starts with those
  # options. The image's own go back at the end.
  local saved_opts="$PGDATA/.pgseed-postmaster-$suffix.opts"
  cp -p "$PGDATA/postmaster.opts" "$saved_opts" 2>/dev/null || saved_opts=""

  # 4. The window: from here a failure cannot go back to the logical restore.
  local broken="the data directory is incomplete and will refuse to start: recreate the volume (docker compose down -v)"
  if ! _pgseed_stop_server; then
    rm -rf "$staging" "$clean_conf" ${saved_opts:+"$saved_opts"}
    _pgseed_fail "cannot stop the temporary server to install the physical snapshot"; return 1
  fi
  local swap_started; swap_started=$(_pgseed_now)
  if ! printf '%s\n' "# $_pgseed_physical_poison" "include '$_pgseed_physical_poison'" > "$PGDATA/.pgseed-poison-$suffix" ||
      ! mv -f -- "$PGDATA/.pgseed-poison-$suffix" "$PGDATA/postgresql.conf"; then
    rm -rf "$staging" "$clean_conf" "$PGDATA/.pgseed-poison-$suffix"
    _pgseed_fail "cannot prepare $PGDATA for the physical snapshot; $database was left empty"; return 1
  fi
  # The poison on disk before any data file moves; the unpacked files need not be yet.
  _pgseed_fsync "$PGDATA/postgresql.conf" "$PGDATA"
  local entry name
  mkdir -m 700 "$replaced" || { _pgseed_fail "cannot create $replaced; $broken"; return 1; }
  # PG_VERSION stays (the snapshot's says the same, checked above): without it the image's next start
  # would take the directory for a new one and fail in initdb, without our message.
  for entry in "$PGDATA"/*; do
    name=${entry##*/}
    case "$name" in PG_VERSION|postgresql.conf|pg_hba.conf|pg_ident.conf|postgresql.auto.conf|postmaster.opts) continue ;; esac
    # Only what a cluster is made of, and what the snapshot brings in its place: anything else was put
    # here by an earlier init script (server.crt and server.key, a conf.d that postgresql.conf
    # includes) and stays, as it does beside a logical restore; without it the server may not start.
    case "$name" in
      base|global|pg_*|postmaster.pid|backup_label|tablespace_map|standby.signal|recovery.signal|current_logfiles) ;;
      *) [ -e "$staging/$name" ] || [ -L "$staging/$name" ] || continue ;;
    esac
    mv -- "$entry" "$replaced/" || { _pgseed_fail "cannot move $entry aside; $broken"; return 1; }
  done
  for entry in "$staging"/*; do
    name=${entry##*/}
    case "$name" in PG_VERSION|postgresql.conf|pg_hba.conf|pg_ident.conf|postgresql.auto.conf|postmaster.opts|postmaster.pid) continue ;; esac
    mv -- "$entry" "$PGDATA/" || { _pgseed_fail "cannot move $entry into place; $broken"; return 1; }
  done
  # PGSEED_INIT_SERVER_LOG is for the tests' harness, whose callers wait for the end of its output.
  if ! _pgseed_start_server "$options \"-c\" \"config_file=$clean_conf\""; then
    _pgseed_fail "the server did not start on the physical snapshot; $broken"; return 1
  fi
  # The image's own files, now unused: removed while the steps below run on the server.
  rm -rf "$replaced" &
  local removal=$!

  # 5. POSTGRES_USER and POSTGRES_DB, as the image makes them: the bootstrap superuser (OID 10) is
  # POSTGRES_USER, with POSTGRES_PASSWORD; POSTGRES_DB belongs to it; "postgres" exists.
  if [ "$bootstrap" != "$_pgseed_user" ]; then
    # A session cannot rename its own role: a helper superuser does it, and is dropped after.
    local helper="pgseed_init_$suffix"
    if ! { _pgseed_psql_as "$bootstrap" --dbname template1 -v helper="$helper" <<< 'CREATE ROLE :"helper" SUPERUSER LOGIN;' &&
        _pgseed_psql_as "$helper" --dbname template1 -v from="$bootstrap" -v to="$_pgseed_user" <<< 'ALTER ROLE :"from" RENAME TO :"to";' &&
        _pgseed_psql --dbname template1 -v helper="$helper" <<< 'DROP ROLE :"helper";'; }; then
      _pgseed_fail "cannot make $_pgseed_user the superuser of the physical snapshot; $broken"; return 1
    fi
  fi
  # The password as the image's initdb sets it: --pwfile reads the first line of POSTGRES_PASSWORD,
  # without its line end. It goes to psql through the environment, never through its arguments.
  local password_line=${POSTGRES_PASSWORD:-}
  password_line=${password_line%%$'\n'*}
  while [[ $password_line == *$'\r' ]]; do password_line=${password_line%$'\r'}; done
  PGSEED_INIT_PASSWORD=$password_line _pgseed_psql --dbname template1 -v user="$_pgseed_user" -v db="$database" -v inner="$inner_database" <<'SQL' ||
SET client_min_messages = warning;
-- POSTGRES_PASSWORD reaches the server in ALTER ROLE below (the image's own initdb reads it from a
-- file): whatever logging the container's command or an earlier init script turned on, this
-- session's statements stay out of the server log (docker logs) and out of pg_stat_statements.
-- Only the settings this server has (pg_settings), so that none is unknown to an older one.
DO $$ BEGIN
  PERFORM set_config(name, CASE name WHEN 'log_statement' THEN 'none' WHEN 'log_min_error_statement' THEN 'panic'
                                     WHEN 'log_transaction_sample_rate' THEN '0' WHEN 'pgaudit.log' THEN 'none'
                                     WHEN 'pg_stat_statements.track_utility' THEN 'off' ELSE '-1' END, false)
  FROM pg_settings
  WHERE name IN ('log_statement', 'log_min_duration_statement', 'log_min_duration_sample', 'log_transaction_sample_rate',
                 'log_min_error_statement', 'pgaudit.log', 'pg_stat_statements.track_utility');
END $$;
\getenv password PGSEED_INIT_PASSWORD
-- Empty (no POSTGRES_PASSWORD) clears the password, as NULL would.
\if :{?password}
ALTER ROLE :"user" PASSWORD :'password';
\else
ALTER ROLE :"user" PASSWORD NULL;
\endif
\unset password
SELECT :'db' <> :'inner' AS rename \gset
\if :rename
ALTER DATABASE :"inner" RENAME TO :"db";
CREATE DATABASE :"inner" OWNER :"user";
\endif
ALTER DATABASE :"db" OWNER TO :"user";
SQL
    { _pgseed_fail "cannot set up $_pgseed_user and $database in the physical snapshot; $broken"; return 1; }

  # 6. Every table's count against the metadata, both ways, as the logical path checks them.
  local problems
  problems=$(_pgseed_count_differences "$database" "$metadata" snapshot) ||
    problems="cannot count the tables of the physical snapshot: $(_pgseed_server_error "$problems")"
  if [ -n "$problems" ]; then
    local problem
    while IFS= read -r problem; do _pgseed_log "$problem"; done <<< "$problems"
    _pgseed_fail "the physical snapshot does not match the metadata (first: ${problems%%$'\n'*}); $broken"
    return 1
  fi
  _pgseed_record_provenance "$database" "$metadata" "$expected_checksum" "$environment" physical ||
    { _pgseed_fail "cannot record provenance; $broken"; return 1; }

  # 7. Complete: the clean postgresql.conf goes back, last. The running server keeps the options it
  # has; the image stops it next and starts the real server on the clean file.
  wait "$flush" || true
  _pgseed_sync "$PGDATA"
  mv -f -- "$clean_conf" "$PGDATA/postgresql.conf" || { _pgseed_fail "cannot put postgresql.conf back; $broken"; return 1; }
  # Durable too, or a power cut after the first start could bring the poison back.
  _pgseed_fsync "$PGDATA/postgresql.conf" "$PGDATA"
  [ -z "$saved_opts" ] || mv -f -- "$saved_opts" "$PGDATA/postmaster.opts" || true
  _pgseed_log "installed the physical snapshot: the server was stopped, swapped and started again$(_pgseed_elapsed "$swap_started")"
  wait "$removal" || true
  rm -rf "$staging" "$replaced"
  _pgseed_log "$database is ready: $tables tables match $(basename "$dump") (git $version), from its physical snapshot$(_pgseed_elapsed "$started")"
  return 0
}

# Where a database came from, one query away: SELECT * FROM pgseed_provenance. Replaces the table in
# DATABASE with one row from METADATA, CHECKSUM and ENVIRONMENT; VIA is "logical" or "physical" (the
# latter names the snapshot in restored_by). pgseed dump leaves this table out, but a bare pg_dump of
# a database started here would carry it, hence the DROP.
_pgseed_record_provenance() {
  _pgseed_psql --dbname "$1" -v metafile="$2" -v checksum="$3" -v environment="$4" -v via="$5" <<'SQL'
\set meta `cat :'metafile'`
SET client_min_messages = warning;
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
INSERT INTO public.pgseed_provenance (dump_file, checksum, git_version, environment, dumped_at, restored_by)
SELECT m->>'file', :'checksum', m->>'version', :'environment', NULLIF(m->>'timestamp', '')::timestamptz,
       CASE WHEN :'via' = 'physical' THEN 'pgseed-init (physical snapshot ' || (m->'physical'->>'file') || ')'
            ELSE 'pgseed-init' END
FROM (SELECT :'meta'::jsonb AS m) AS metadata;
SQL
}

# Prints one line per difference between the tables of DATABASE and the metadata's recordCounts:
# a table on one side only, or another count. WHAT names the restored side in the lines ("dump",
# "snapshot"). Tables are enumerated exactly as src/pgseed/core/inventory.cpp does (so
# pgseed_provenance, which a bare pg_dump of a seeded container carries along, is left out), and
# counted by a temporary function through their server-made names: no name from the metadata ever
# becomes SQL. Control characters of metadata keys are shown as '?'. Fails when psql does.
_pgseed_count_differences() {
  _pgseed_psql --dbname "$1" -F '|' -v metafile="$2" -v what="$3" 2>&1 <<'SQL'
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
         WHEN e.key IS NULL THEN format('table %s is in the ' || :'what' || ' but not in the metadata', a.key)
         WHEN a.key IS NULL THEN format('table %s is in the metadata but not in the ' || :'what',
                                        regexp_replace(e.key, '[[:cntrl:]]', '?', 'g'))
         ELSE format('count mismatch: %s has %s rows, metadata says %s', a.key, a.rows, e.rows)
       END
FROM actual a FULL JOIN expected e ON a.key = e.key
WHERE a.rows IS DISTINCT FROM e.rows
ORDER BY coalesce(a.key, e.key);
SQL
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
  # A physical snapshot beside the dump, when this server can start on it, replaces the restore.
  local physical_status=0
  _pgseed_physical "$dump" "$metadata" "$database" "$environment" "$started" "$tables" "$version" || physical_status=$?
  case $physical_status in
    0) return 0 ;;
    2) ;;  # not used, and said why: the logical restore follows
    *) return 1 ;;
  esac
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
  # seek in. It goes to the temporary directory, never into the data volume, named
  # pgseed-init-<pid>-<host>-<random>: a killed start's leftover is removed once its pid is gone, and
  # a start running beside this one (a shared /tmp outside a container) keeps its file. A process of
  # another user is running too (kill -0 fails with EPERM for it, /proc still lists it). Only names
  # with this host's name are judged: a container that shares the directory (a volume on TMPDIR) has
  # its own pids, which ours cannot see. A name without a pid is not ours; one without a host is an
  # older script's, judged as before. (The random part comes last: busybox's mktemp, Alpine's, takes
  # no suffix after it.)
  local restore_file=$dump leftover owner rest host=${HOSTNAME:-}
  host=${host//[^A-Za-z0-9._]/_}
  if [ "$(head -c 4 "$dump" | od -An -tx1 | tr -d ' \n')" = 28b52ffd ]; then
    for leftover in "${TMPDIR:-/tmp}"/pgseed-init-*; do
      rest=${leftover##*/pgseed-init-}; owner=${rest%%-*}; rest=${rest#*-}
      [[ $owner =~ ^[1-9][0-9]*$ ]] || continue
      [[ $rest == "$host"-?????? || $rest == ??????.dump ]] || continue
      { [ -f "$leftover" ] && ! kill -0 "$owner" 2>/dev/null && [ ! -d "/proc/$owner" ] && rm -f "$leftover"; } || true
    done
    if ! restore_file=$(mktemp "${TMPDIR:-/tmp}/pgseed-init-$$-$host-XXXXXX") || ! zstd -dcq -- "$dump" > "$restore_file"; then
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

  # The restored tables against recordCounts, both ways, as `pgseed restore` checks them.
  local problems
  problems=$(_pgseed_count_differences "$scratch" "$metadata" dump) ||
    problems="cannot count the restored tables: $(_pgseed_server_error "$problems")"
  if [ -n "$problems" ]; then
    local problem count=0
    while IFS= read -r problem; do _pgseed_log "$problem"; count=$((count + 1)); done <<< "$problems"
    _pgseed_drop_scratch
    _pgseed_fail "$count table(s) do not match the metadata (first: ${problems%%$'\n'*}); $database was left empty"
    return 1
  fi

  _pgseed_record_provenance "$scratch" "$metadata" "$actual_checksum" "$environment" logical ||
    { _pgseed_drop_scratch; _pgseed_fail "cannot record provenance"; return 1; }

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
  # Nothing of ours stays in that shell, which sources the files after this one.
  unset -f _pgseed_main _pgseed_log _pgseed_fail _pgseed_now _pgseed_elapsed _pgseed_psql \
    _pgseed_server_error _pgseed_sha256 _pgseed_random_hex _pgseed_drop_scratch \
    _pgseed_physical _pgseed_psql_as _pgseed_sync _pgseed_fsync _pgseed_stop_server _pgseed_start_server \
    _pgseed_record_provenance _pgseed_count_differences
  unset _pgseed_user _pgseed_physical_poison
  # eval expands the status before it runs: "unset _pgseed_status; return 0".
  eval "unset _pgseed_status; return $_pgseed_status"
else
  _pgseed_main
  exit $?
fi
