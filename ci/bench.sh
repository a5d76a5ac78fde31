#!/usr/bin/env bash
# pgseed benchmarks: each pgseed operation next to the bare tool doing the same work, in one run, on
# one server, alternating, several rounds. Prints medians and the ratio pgseed / bare.
#
#   bash ci/bench.sh [rounds]      (default 5; needs ~4 GB of disk and about 15 minutes)
#   PGSEED_BENCH_ONLY=format,growth bash ci/bench.sh 3   only the dump-format and growth sections
#   (issue 11; growth seeds the profile at 4x too: ~8 GB more and 10 more minutes, fewer rounds
#   with PGSEED_GROWTH_ROUNDS)
#
# The reference database is the example app's `bench` seed set: >= 2M rows, >= 400 MB.
# PGSEED_BENCH_ONLY=physical bash ci/bench.sh 3 runs only the physical snapshot's section.
# PGSEED_BENCH_ENV=dev bash ci/bench.sh 1 runs every step on the small dev set in a minute or two: a
# check that the script works, not a measurement (the verdicts mean nothing there).
#
# Progress goes to stderr, one line per step with the time since the start; the results, and at the
# end one PASS/MISS verdict per target with the measured ratio, go to stdout. The exit status does
# not depend on the verdicts: timings on a shared machine are too noisy to fail a build on.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
root=$(pwd)
bench_env=${PGSEED_BENCH_ENV:-bench}
bench_started=$(date +%s)
step() { echo "# [$(date -u +%H:%M:%S), $(($(date +%s) - bench_started)) s in] $*" >&2; }
verdicts=()
# verdict <what> <measured ratio> <le|ge> <target>: one PASS/MISS line for the summary.
verdict() {
  local outcome
  outcome=$(awk -v m="$2" -v op="$3" -v t="$4" 'BEGIN { ok = (op == "le") ? (m <= t) : (m >= t); print ok ? "PASS" : "MISS" }')
  verdicts+=("$(printf '%-4s  %-50s measured %8s  target %s %s' "$outcome" "$1" "$2" "$([ "$3" = le ] && echo '<=' || echo '>=')" "$4")")
}

step "bootstrap and release build of pgseed"
bash scripts/bootstrap.sh >/dev/null 2>&1 || bash scripts/bootstrap.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPGSEED_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target pgseed >/dev/null
pgseed=$root/build-bench/bin/pgseed
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

work=$(mktemp -d /tmp/pgseed-bench-XXXXXX)
chmod 755 "$work"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$work"
  as_server=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
cleanup() {
  "${as_server[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A durable server with default settings: the numbers should mean what they would on a laptop.
"${as_server[@]}" "$bindir/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
"${as_server[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses=''" start >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=postgres
unset DATABASE_URL PGDATABASE || true
url() { echo "host=$work port=$port user=postgres dbname=$1"; }

now() { date +%s.%N; }
lz4_options="-c default_toast_compression=lz4"  # how pgseed and the init script restore large values
# timed_first_start PORT INITDB_DIR [--check] [COMMAND...]: seconds from an empty PGDATA to a server
# ready on 127.0.0.1:PORT, through tests/image/first-start.sh (the image's first start without
# Docker), with COMMAND (a bare restore) after it. With --check, COMMAND runs after the clock stops:
# the bench's own guard that a start restored something, which no user's start runs, so it is timed
# on no side. A failed start or COMMAND ends the bench rather than being timed as a fast start.
timed_first_start() {
  local start_port=$1 dir=$2 a b check=no
  shift 2
  if [ "${1:-}" = --check ]; then check=yes; shift; fi
  local fs_work=$work/fs-$start_port
  rm -rf "$fs_work"
  a=$(now)
  if ! PGSEED_ENVIRONMENT=$bench_env PGPORT=$start_port PGHOST='' bash tests/image/first-start.sh start "$dir" "$fs_work" 2>/dev/null ||
      { [ $check = no ] && [ $# -gt 0 ] && ! "$@"; }; then
    echo "bench: the first start from $dir${1:+ or $1 after it} failed; its logs: $fs_work" >&2
    bash tests/image/first-start.sh stop "$fs_work"
    return 1
  fi
  b=$(now)
  if [ $check = yes ] && ! "$@"; then
    echo "bench: $1 after the first start from $dir failed; its logs: $fs_work" >&2
    bash tests/image/first-start.sh stop "$fs_work"
    return 1
  fi
  bash tests/image/first-start.sh stop "$fs_work"
  rm -rf "$fs_work"
  awk -v a="$a" -v b="$b" 'BEGIN{print b-a}'
}
# A bare first start's restore, as the README documents it for a zstd dump: decompress it to a file
# (pg_restore -j needs one it can seek in), then pg_restore -j2 into the harness's "postgres".
# bare_harness_restore PORT DUMP; PGOPTIONS passes through (the lz4 variant).
bare_harness_restore() {
  local plain=$work/bare-first-start.plain.dump status=0
  zstd -dcq "$2" >"$plain" &&
    PGPASSWORD=harness-password "$bindir/pg_restore" -h 127.0.0.1 -p "$1" -U postgres -j2 --no-owner --no-acl \
      -d postgres "$plain" || status=$?
  rm -f "$plain"
  return "$status"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }

step "building the reference database ($bench_env seed set)"
"$bindir/createdb" bench_ref
t0=$(now)
"$pgseed" migrate -q -C "$root" --database-url "$(url bench_ref)" >/dev/null
"$pgseed" seed -q -C "$root" -e "$bench_env" --database-url "$(url bench_ref)" >/dev/null
t1=$(now)
"$bindir/psql" -qc "analyze" bench_ref
rows=$("$bindir/psql" -Atc "select (select count(*) from price_data_5min)+(select count(*) from news_articles)+(select count(*) from orders)+(select count(*) from agent_sessions)+(select count(*) from users)+(select count(*) from algorithms)+(select count(*) from positions)" bench_ref)
size=$("$bindir/psql" -Atc "select pg_database_size('bench_ref')" bench_ref)
echo "reference: $rows rows, $((size / 1048576)) MiB, seeded in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

# ---- physical snapshot: first start from dump --physical vs bare pg_restore and vs the logical dump ----
# PGSEED_BENCH_ONLY=physical runs this section alone (after the reference database), then the verdicts.
physical_section() {
  local pdumps=$work/physical-dumps pinit=$work/initdb-physical pempty=$work/initdb-physical-empty
  local pport=$((port + 2)) a b
  mkdir -p "$pdumps" "$pempty"
  step "physical: pgseed dump --physical (one run)"
  a=$(now)
  "$pgseed" dump -q --physical -C "$root" -e "$bench_env" --dump-dir "$pdumps" --database-url "$(url bench_ref)" >/dev/null
  b=$(now)
  local t_make; t_make=$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')
  PGSEED_DUMP_DIR=$pdumps PGSEED_ENVIRONMENT=$bench_env \
    cmake --install build-bench --component initdb --prefix "$pinit" >/dev/null 2>&1
  chmod -R a+rX "$pinit" "$pempty" "$pdumps"; chmod a+x "$work"
  local archive logical
  archive=$(readlink -f "$pdumps/$bench_env-seeded-latest.pgdata.tar.zst")
  logical=$(readlink -f "$pdumps/$bench_env-seeded-latest.dump")
  # The zstd level, measured once on this archive's content: size, compression and unpack time.
  step "physical: zstd levels"
  zstd -dcq "$archive" >"$work/pgdata.tar"
  local level levels_report="" c d
  for level in 1 3; do
    a=$(now); zstd -q -T0 -"$level" -f "$work/pgdata.tar" -o "$work/pgdata.tar.zst"; b=$(now)
    c=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b-a}')
    a=$(now); zstd -dcq "$work/pgdata.tar.zst" >/dev/null; b=$(now)
    d=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b-a}')
    levels_report+=$(printf '  zstd -%s: %5.0f MiB, compress %6s s, decompress %5s s\n' "$level" \
      "$(awk -v s="$(stat -c %s "$work/pgdata.tar.zst")" 'BEGIN{print s/1048576}')" "$c" "$d")$'\n'
  done
  local tar_mib; tar_mib=$(awk -v s="$(stat -c %s "$work/pgdata.tar")" 'BEGIN{printf "%.0f", s/1048576}')
  rm -f "$work/pgdata.tar" "$work/pgdata.tar.zst"

  physical_bare_restore() { bare_harness_restore "$pport" "$logical"; }
  physical_bare_restore_lz4() { PGOPTIONS=$lz4_options bare_harness_restore "$pport" "$logical"; }
  physical_check() {
    local rows
    rows=$(PGPASSWORD=harness-password "$bindir/psql" -h 127.0.0.1 -p "$pport" -U postgres -Atc "select count(*) from price_data_5min" postgres)
    [ "$rows" -gt "$([ "$bench_env" = bench ] && echo 2000000 || echo 0)" ] || { echo "bench: the first start restored $rows price rows" >&2; return 1; }
  }
  local -a t_phys t_phys_harness t_phys_bare t_phys_bare_lz4 t_phys_logical
  local t
  for ((r = 1; r <= rounds; r++)); do
    step "physical first start round $r of $rounds"
    t=$(timed_first_start "$pport" "$pinit/docker-entrypoint-initdb.d" --check physical_check); t_phys+=("$t")
    t=$(timed_first_start "$pport" "$pempty"); t_phys_harness+=("$t")
    t=$(timed_first_start "$pport" "$pempty" physical_bare_restore); t_phys_bare+=("$t")
    t=$(timed_first_start "$pport" "$pempty" physical_bare_restore_lz4); t_phys_bare_lz4+=("$t")
    t=$(PGSEED_PHYSICAL=0 timed_first_start "$pport" "$pinit/docker-entrypoint-initdb.d" --check physical_check); t_phys_logical+=("$t")
  done
  local ph pb pl
  ph=$(printf '%s\n' "${t_phys[@]}" | median); pb=$(printf '%s\n' "${t_phys_bare[@]}" | median)
  pl=$(printf '%s\n' "${t_phys_logical[@]}" | median)
  echo
  echo "physical snapshot ($(awk -v s="$(stat -c %s "$archive")" 'BEGIN{printf "%.0f", s/1048576}') MiB archive of a ${tar_mib} MiB data directory, made in $(printf '%.1f' "$t_make") s with the dump)"
  printf '%s' "$levels_report"
  echo "first start, empty PGDATA to ready and verified (medians of $rounds, seconds)"
  printf '%-44s %9.2f\n' "from the physical snapshot" "$ph"
  # What every start pays before and after the init directory runs (initdb, the temporary server's
  # start and stop, the real server's start): the part of the ratios no init script can shrink.
  local pe; pe=$(printf '%s\n' "${t_phys_harness[@]}" | median)
  printf '%-44s %9.2f   (initdb and the servers, paid by every start)\n' "harness alone, nothing restored" "$pe"
  printf '%-44s %9.2f   physical is %sx faster (target >= 3)\n' "harness + bare pg_restore -j2" "$pb" "$(ratio "$pb" "$ph")"
  local pbl; pbl=$(printf '%s\n' "${t_phys_bare_lz4[@]}" | median)
  printf '%-44s %9.2f   physical is %sx faster\n' "  same, bare also with lz4" "$pbl" "$(ratio "$pbl" "$ph")"
  printf '%-44s %9.2f   physical is %sx faster (target >= 3)\n' "from the logical dump (PGSEED_PHYSICAL=0)" "$pl" "$(ratio "$pl" "$ph")"
  printf '%-44s %9s   physical %s s, logical %s s: %sx\n' "above the harness alone" "" \
    "$(awk -v a="$ph" -v e="$pe" 'BEGIN{printf "%.2f", a-e}')" "$(awk -v a="$pl" -v e="$pe" 'BEGIN{printf "%.2f", a-e}')" \
    "$(awk -v p="$ph" -v l="$pl" -v e="$pe" 'BEGIN{printf "%.3f", (l-e)/(p-e)}')"
  # Every round too, and the ratios within each round: how far from the medians the noise went.
  local i bare_ratios="" logical_ratios=""
  for ((i = 0; i < rounds; i++)); do
    bare_ratios+=" $(ratio "${t_phys_bare[i]}" "${t_phys[i]}")"
    logical_ratios+=" $(ratio "${t_phys_logical[i]}" "${t_phys[i]}")"
  done
  echo "rounds, physical:$(printf ' %.2f' "${t_phys[@]}"); bare:$(printf ' %.2f' "${t_phys_bare[@]}"); logical:$(printf ' %.2f' "${t_phys_logical[@]}")"
  echo "ratios within each round, bare/physical:$bare_ratios; logical/physical:$logical_ratios"
  verdict "first start, bare pg_restore / physical (time)" "$(ratio "$pb" "$ph")" ge 3
  verdict "first start, logical / physical (time)" "$(ratio "$pl" "$ph")" ge 3
}
if [ "${PGSEED_BENCH_ONLY:-}" = physical ]; then
  physical_section
  echo
  echo "verdicts ($rounds round(s), $bench_env seed set, physical section only, $(($(date +%s) - bench_started)) s in all)"
  printf '%s\n' "${verdicts[@]}"
  exit 0
fi

dumps=$work/dumps
mkdir -p "$dumps"
# ---- issue 11: the dump format, and the growth curve ----
# PGSEED_BENCH_ONLY=format (or growth, or format,growth) runs only these sections after the
# reference database, then prints their verdicts and stops.
bench_only=${PGSEED_BENCH_ONLY:-}
bench_wants() { [ -z "$bench_only" ] || [[ ",$bench_only," == *",$1,"* ]]; }
med() { printf '%s\n' "$@" | median; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{print b-a}'; }
mib() { awk -v s="$1" 'BEGIN{printf "%.0f", s/1048576}'; }
# seconds of a restore into a fresh database, as pgseed and the init script run it (-j2, lz4)
fresh_restore() {
  "$bindir/dropdb" --if-exists format_target 2>/dev/null
  "$bindir/createdb" format_target
  PGOPTIONS=$lz4_options "$bindir/pg_restore" -j2 --no-owner --no-acl --exit-on-error -d format_target "$1"
}
# The per-variant series are space-separated strings, split on purpose.
# shellcheck disable=SC2086
if bench_wants format; then
  # pg_dump -Fc -Z0 piped through zstd, at two levels and two thread counts, against -Fc -Z1
  # (pgseed's format until issue 11). First start = decompression to a file (pg_restore -j needs one
  # it can seek in) + createdb + pg_restore -j2.
  zstd_variants=("1 0" "3 0" "1 1" "3 1")  # level, zstd -T (0: one thread per core)
  declare -A t_zdump t_zready t_zfirst zsize
  declare -a t_z1_dump t_z0_null t_z1_first t_pgseed_zdump t_bare_zdump t_pgseed_zsnapshot
  for ((r = 1; r <= rounds; r++)); do
    step "format round $r of $rounds: pg_dump -Fc -Z1"
    a=$(now); "$bindir/pg_dump" -Fc -Z1 -f "$work/f-z1.dump" bench_ref; t_z1_dump+=("$(since "$a")")
    size_f_z1=$(stat -c %s "$work/f-z1.dump")
    # The floor of any format made by pg_dump: its own serialisation, nothing compressed or written.
    step "format round $r of $rounds: pg_dump -Fc -Z0 > /dev/null"
    a=$(now); "$bindir/pg_dump" -Fc -Z0 bench_ref >/dev/null; t_z0_null+=("$(since "$a")")
    for v in "${zstd_variants[@]}"; do
      read -r level threads <<<"$v"
      step "format round $r of $rounds: pg_dump -Fc -Z0 | zstd -$level -T$threads"
      a=$(now); "$bindir/pg_dump" -Fc -Z0 bench_ref | zstd -q -"$level" -T"$threads" -c >"$work/f-$level-$threads.dump.zst"
      t_zdump[$v]+=" $(since "$a")"
      zsize[$v]=$(stat -c %s "$work/f-$level-$threads.dump.zst")
    done
    step "format round $r of $rounds: first start from -Z1"
    a=$(now); fresh_restore "$work/f-z1.dump"; t_z1_first+=("$(since "$a")")
    for level in 1 3; do
      step "format round $r of $rounds: first start from zstd -$level"
      a=$(now); zstd -dcq "$work/f-$level-0.dump.zst" >"$work/f-plain.dump"; t_zready[$level]+=" $(since "$a")"
      fresh_restore "$work/f-plain.dump"; t_zfirst[$level]+=" $(since "$a")"
      rm -f "$work/f-plain.dump"
    done
    # pgseed's own cost on top of the same pipeline (default level), and where it goes: `snapshot`
    # is the same writer without dump's migrate and seed checks.
    step "format round $r of $rounds: pgseed dump, pgseed snapshot, bare pg_dump | zstd -1"
    a=$(now); "$bindir/pg_dump" -Fc -Z0 --exclude-table=public.pgseed_provenance bench_ref | zstd -q -1 -T0 -c >"$work/f-bare.dump.zst"
    t_bare_zdump+=("$(since "$a")")
    a=$(now); "$pgseed" dump -q -C "$root" -e "$bench_env" --dump-dir "$work/fdumps" --database-url "$(url bench_ref)" >/dev/null
    t_pgseed_zdump+=("$(since "$a")")
    a=$(now); "$pgseed" snapshot -q --replace --snapshot-dir "$work/fsnapshots" --database-url "$(url bench_ref)" fmt >/dev/null
    t_pgseed_zsnapshot+=("$(since "$a")")
    rm -rf "$work/fdumps"
  done
  echo
  echo "dump format (medians of $rounds rounds, seconds; first start = decompress + createdb + pg_restore -j2, lz4)"
  z1d=$(med "${t_z1_dump[@]}"); z1f=$(med "${t_z1_first[@]}")
  printf '%-30s %8s %9s %10s %10s %12s\n' format dump size "dump/Z1" "size/Z1" "first start"
  printf '%-30s %8.2f %5s MiB %10s %10s %12.2f\n' "pg_dump -Fc -Z1" "$z1d" "$(mib "$size_f_z1")" 1.000 1.000 "$z1f"
  for v in "${zstd_variants[@]}"; do
    read -r level threads <<<"$v"
    d=$(med ${t_zdump[$v]})
    first=""; ready=""
    if [ "$threads" = 0 ]; then
        first=$(med ${t_zfirst[$level]}); ready=$(med ${t_zready[$level]})
    fi
    printf '%-30s %8.2f %5s MiB %10s %10s %12s %s\n' "pg_dump -Z0 | zstd -$level -T$threads" "$d" "$(mib "${zsize[$v]}")" \
      "$(ratio "$d" "$z1d")" "$(ratio "${zsize[$v]}" "$size_f_z1")" "${first:+$(printf '%.2f' "$first")}" \
      "${ready:+(pg_restore can start after $(printf '%.2f' "$ready") s)}"
  done
  z0n=$(med "${t_z0_null[@]}")
  printf '%-30s %8.2f %9s %10s %10s %12s %s\n' "pg_dump -Fc -Z0 > /dev/null" "$z0n" "" "$(ratio "$z0n" "$z1d")" "" "" \
    "(the floor: pg_dump alone, at most $(ratio "$z1d" "$z0n")x faster than -Z1)"
  dflt=$(med ${t_zdump["1 0"]})
  verdict "dump, zstd -1 -T0 / -Fc -Z1 (speed)" "$(ratio "$z1d" "$dflt")" ge 2
  verdict "dump, zstd -1 -T0 / -Fc -Z1 (size)" "$(ratio "${zsize["1 0"]}" "$size_f_z1")" le 0.5
  pzd=$(med "${t_pgseed_zdump[@]}"); bzd=$(med "${t_bare_zdump[@]}"); pzs=$(med "${t_pgseed_zsnapshot[@]}")
  printf '%-44s %9.2f   bare %6.2f   ratio %s\n' "pgseed dump (existing db) vs bare pipeline" "$pzd" "$bzd" "$(ratio "$pzd" "$bzd")"
  printf '%-44s %9.2f   bare %6.2f   ratio %s\n' "pgseed snapshot vs bare pipeline" "$pzs" "$bzd" "$(ratio "$pzs" "$bzd")"
  verdict "dump, pgseed / bare pg_dump | zstd (time)" "$(ratio "$pzd" "$bzd")" le 1.15
  rm -f "$work"/f-*.dump "$work"/f-*.dump.zst
fi
# shellcheck disable=SC2086
if bench_wants growth; then
  # The bench profile at 1x and 4x (seed --scale 4): dump, restore into a fresh database and reset
  # (template clone + swap), with pgseed's own peak RSS. VmHWM in /proc/<pid>/status is the kernel's
  # high-water mark of that one process's resident set, so sampling it every 20 ms misses nothing but
  # growth in the last 20 ms before exit; children (pg_dump, zstd, pg_restore) are other processes and
  # not counted. (/usr/bin/time -v would report the largest of pgseed and its waited-for children.)
  growth_rounds=${PGSEED_GROWTH_ROUNDS:-$rounds}
  timed_rss() {  # timed_rss <command...>: prints "<seconds> <peak RSS kB>"
    local a pid hwm=0 v status=0
    a=$(now)
    "$@" >/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$v" ] && hwm=$v
      sleep 0.02
    done
    wait "$pid" || status=$?
    [ "$status" -eq 0 ] || { echo "bench: $* failed ($status)" >&2; return 1; }
    echo "$(since "$a") $hwm"
  }
  declare -A g_rows g_mib g_dump g_restore g_reset g_physical g_rss_dump g_rss_restore
  gport=$((port + 3))
  growth_started_check() {  # the physical first start's server answers with the price rows
    local rows
    rows=$(PGPASSWORD=harness-password "$bindir/psql" -h 127.0.0.1 -p "$gport" -U postgres -Atc "select count(*) from price_data_5min" postgres)
    [ "$rows" -gt 0 ] || { echo "bench: the physical first start has $rows price rows" >&2; return 1; }
  }
  for scale in 1 4; do
    if [ "$scale" = 1 ]; then
      gdb=bench_ref; scale_args=(); gproject=$root
    else
      gdb=bench_x$scale; scale_args=(--scale "$scale")
      step "growth: seeding the $bench_env profile at ${scale}x (not timed)"
      # price_data_5min is unique on (coin, ts): every coin's block of 5-minute steps (4 weeks)
      # must grow with the scale, in a copy of the project, or --scale stops at the 4-week cycle.
      gproject=$work/project-x$scale
      mkdir -p "$gproject"; cp -r "$root/migrations" "$root/seeds" "$gproject/"
      SCALE=$scale perl -pi -e 's/"(block|cycle)": (\d+)/"$1": @{[$2 * $ENV{SCALE}]}/g' "$gproject/seeds/$bench_env.json"
      "$bindir/dropdb" --if-exists "$gdb" 2>/dev/null; "$bindir/createdb" "$gdb"
      "$pgseed" migrate -q -C "$gproject" --database-url "$(url "$gdb")" >/dev/null
      "$pgseed" seed -q -C "$gproject" -e "$bench_env" "${scale_args[@]}" --database-url "$(url "$gdb")" >/dev/null
      "$bindir/psql" -qc "analyze" "$gdb"
    fi
    g_rows[$scale]=$("$bindir/psql" -Atc "select sum(n_live_tup) from pg_stat_user_tables where relname not like 'pgseed%'" "$gdb")
    g_mib[$scale]=$(( $("$bindir/psql" -Atc "select pg_database_size('$gdb')" "$gdb") / 1048576 ))
    gdir=$work/growth-$scale
    # The physical snapshot of the same data and an initdb directory with it, made once, untimed.
    step "growth ${scale}x: pgseed dump --physical and its initdb directory (not timed)"
    gphysical=$work/growth-physical-$scale
    rm -rf "$gphysical"
    "$pgseed" dump -q --physical -C "$gproject" -e "$bench_env" "${scale_args[@]}" --dump-dir "$gphysical/dumps" \
      --database-url "$(url "$gdb")" >/dev/null
    PGSEED_DUMP_DIR=$gphysical/dumps PGSEED_ENVIRONMENT=$bench_env \
      cmake --install build-bench --component initdb --prefix "$gphysical/initdb" >/dev/null 2>&1
    chmod -R a+rX "$gphysical"
    # reset's template is built from the dump once, untimed; each timed reset clones it
    for ((r = 1; r <= growth_rounds; r++)); do
      step "growth ${scale}x round $r of $growth_rounds: pgseed dump, restore, reset, physical first start"
      rm -rf "$gdir"
      read -r t k < <(timed_rss "$pgseed" dump -q -C "$gproject" -e "$bench_env" "${scale_args[@]}" --dump-dir "$gdir" --database-url "$(url "$gdb")")
      g_dump[$scale]+=" $t"; g_rss_dump[$scale]+=" $k"
      "$bindir/dropdb" --if-exists growth_target 2>/dev/null
      read -r t k < <(timed_rss "$pgseed" restore -q --yes -j2 --no-safety-snapshot --database-url "$(url growth_target)" "$gdir/$bench_env-seeded-latest.dump")
      g_restore[$scale]+=" $t"; g_rss_restore[$scale]+=" $k"
      [ "$r" = 1 ] && "$pgseed" reset -q --yes -C "$gproject" -e "$bench_env" --dump-dir "$gdir" --database-url "$(url growth_reset)" >/dev/null
      read -r t k < <(timed_rss "$pgseed" reset -q --yes -C "$gproject" -e "$bench_env" --dump-dir "$gdir" --database-url "$(url growth_reset)")
      g_reset[$scale]+=" $t"
      t=$(timed_first_start "$gport" "$gphysical/initdb/docker-entrypoint-initdb.d" --check growth_started_check)
      g_physical[$scale]+=" $t"
    done
    rm -rf "$gphysical"
    "$bindir/dropdb" --if-exists growth_target 2>/dev/null; "$bindir/dropdb" --if-exists growth_reset 2>/dev/null
    [ "$scale" = 1 ] || "$bindir/dropdb" --if-exists "$gdb" 2>/dev/null
  done
  echo
  echo "growth curve, $bench_env profile at 1x and 4x (medians of $growth_rounds, seconds; per-row = (t4x/rows4x) / (t1x/rows1x))"
  printf '%-28s %12s %12s %9s %s\n' "" "1x" "4x" "per-row" "target"
  printf '%-28s %12s %12s\n' "rows" "${g_rows[1]}" "${g_rows[4]}"
  printf '%-28s %8s MiB %8s MiB\n' "database size" "${g_mib[1]}" "${g_mib[4]}"
  for what in dump restore reset physical; do
    declare -n series="g_$what"
    one=$(med ${series[1]}); four=$(med ${series[4]})
    per=$(awk -v a="$one" -v b="$four" -v r1="${g_rows[1]}" -v r4="${g_rows[4]}" 'BEGIN{printf "%.3f", (b/r4)/(a/r1)}')
    label=$what; [ "$what" != physical ] || label="physical first start"
    printf '%-28s %12.2f %12.2f %9s %s\n' "$label" "$one" "$four" "$per" "<= 1.10"
    verdict "growth 1x->4x, $label time per row" "$per" le 1.10
    unset -n series
  done
  for what in dump restore; do
    declare -n series="g_rss_$what"
    one=$(printf '%s\n' ${series[1]} | sort -n | tail -1); four=$(printf '%s\n' ${series[4]} | sort -n | tail -1)
    printf '%-28s %9s MiB %9s MiB %9s %s\n' "pgseed peak RSS, $what" "$((one / 1024))" "$((four / 1024))" "$(ratio "$four" "$one")" "< 64 MiB, flat"
    verdict "pgseed peak RSS during $what at 4x (MiB)" "$((four / 1024))" le 64
    verdict "pgseed peak RSS during $what, 4x / 1x" "$(ratio "$four" "$one")" le 1.10
    unset -n series
  done
fi
if [ -n "$bench_only" ]; then
  echo
  echo "verdicts (PGSEED_BENCH_ONLY=$bench_only, $rounds round(s), $bench_env seed set, $(($(date +%s) - bench_started)) s in all)"
  printf '%s\n' "${verdicts[@]}"
  exit 0
fi

declare -a t_pgseed_replace t_pgseed_dump t_bare_dump t_pgseed_restore t_bare_restore t_bare_restore_lz4 t_pgseed_sha t_bare_sha t_bare_dump_z6
# pgseed stores large values with lz4 (src/pgseed/core/toast_compression.h). The bare tool is timed
# as users run it, with the server's default pglz, and again with lz4, to show what the setting is
# worth and what pgseed's own steps cost on top.
for ((r = 1; r <= rounds; r++)); do
  step "round $r of $rounds: pg_dump and pgseed dump"
  # dump: pgseed (migrate + seed check + counts + pg_dump -Fc -Z1 + sha256 + metadata) vs bare pg_dump -Fc -Z1
  a=$(now); "$bindir/pg_dump" -Fc -Z1 -f "$work/bare.dump" bench_ref; b=$(now)
  t_bare_dump+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  a=$(now); dump=$("$pgseed" dump -q -C "$root" -e "$bench_env" --dump-dir "$dumps" --database-url "$(url bench_ref)"); b=$(now)
  t_pgseed_dump+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  if [ "$r" -eq 1 ]; then
    a=$(now); "$bindir/pg_dump" -Fc -f "$work/z6.dump" bench_ref; b=$(now)
    t_bare_dump_z6+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
    size_z1=$(stat -c %s "$work/bare.dump"); size_z6=$(stat -c %s "$work/z6.dump"); rm -f "$work/z6.dump"
  fi

  # checksum: pgseed verify (sha256 + metadata) vs sha256sum
  step "round $r of $rounds: sha256sum and pgseed verify"
  a=$(now); sha256sum "$dump" >/dev/null; b=$(now)
  t_bare_sha+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  a=$(now); "$pgseed" verify -q "$dump" >/dev/null; b=$(now)
  t_pgseed_sha+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")

  # restore: bare createdb + pg_restore -j2 into a fresh database vs pgseed restore -j2
  step "round $r of $rounds: pg_restore and pgseed restore"
  # (verify + scratch database + counts + swap + drop of the previous copy)
  "$bindir/dropdb" --if-exists bare_target 2>/dev/null
  a=$(now); "$bindir/createdb" bare_target && "$bindir/pg_restore" -j2 --no-owner --no-acl -d bare_target "$work/bare.dump"; b=$(now)
  t_bare_restore+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  "$bindir/dropdb" --if-exists bare_target 2>/dev/null
  a=$(now); "$bindir/createdb" bare_target && PGOPTIONS=$lz4_options "$bindir/pg_restore" -j2 --no-owner --no-acl -d bare_target "$work/bare.dump"; b=$(now)
  t_bare_restore_lz4+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  "$bindir/dropdb" --if-exists bare_target 2>/dev/null
  "$bindir/dropdb" --if-exists pgseed_target 2>/dev/null
  a=$(now); "$pgseed" restore -q --yes -j2 --snapshot-dir "$work/snapshots" --database-url "$(url pgseed_target)" "$dump" >/dev/null; b=$(now)
  t_pgseed_restore+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  # The everyday case: replacing the database you have (scratch, counts, swap, drop of the old copy).
  # Without the safety snapshot: it is a pg_dump of the old content, timed below as `snapshot`.
  a=$(now); "$pgseed" restore -q --yes -j2 --no-safety-snapshot --database-url "$(url pgseed_target)" "$dump" >/dev/null; b=$(now)
  t_pgseed_replace+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  [ "$r" -lt "$rounds" ] && rm -f "$dumps"/*.dump "$dumps"/*.json
done

m() { printf '%s\n' "$@" | median; }
pd=$(m "${t_pgseed_dump[@]}"); bd=$(m "${t_bare_dump[@]}")
pr=$(m "${t_pgseed_restore[@]}"); br=$(m "${t_bare_restore[@]}")
ps=$(m "${t_pgseed_sha[@]}"); bs=$(m "${t_bare_sha[@]}")
dump_mib=$(awk -v s="$size_z1" 'BEGIN{printf "%.0f", s/1048576}')
echo
echo "medians of $rounds rounds, seconds (ratio = pgseed / bare; for checksum, throughput ratio = bare / pgseed)"
printf '%-34s %9s %9s %8s %s\n' operation pgseed bare ratio target
printf '%-34s %9.2f %9.2f %8s %s\n' "dump (-Fc -Z1)" "$pd" "$bd" "$(ratio "$pd" "$bd")" "<= 1.15"
printf '%-34s %9.2f %9.2f %8s %s\n' "restore (-j2) into a fresh db" "$pr" "$br" "$(ratio "$pr" "$br")" "<= 1.15"
brl=$(m "${t_bare_restore_lz4[@]}")
printf '%-34s %9.2f %9.2f %8s %s\n' "  same, bare also with lz4" "$pr" "$brl" "$(ratio "$pr" "$brl")" "(pgseed's own overhead)"
printf '%-34s %9.2f %9.2f %8s %s\n' "restore replacing an existing db" "$(m "${t_pgseed_replace[@]}")" "$br" "$(ratio "$(m "${t_pgseed_replace[@]}")" "$br")" "(no target; includes dropping the old copy)"
printf '%-34s %9.2f %9.2f %8s %s\n' "sha256 of a ${dump_mib} MiB dump" "$ps" "$bs" "$(ratio "$bs" "$ps")" ">= 0.9 (throughput)"
verdict "dump, pgseed / pg_dump (time)" "$(ratio "$pd" "$bd")" le 1.15
verdict "restore into a fresh db, pgseed / bare (time)" "$(ratio "$pr" "$br")" le 1.15
verdict "sha256, pgseed / sha256sum (throughput)" "$(ratio "$bs" "$ps")" ge 0.9
echo
echo "compression: pg_dump -Fc -Z1 $(awk -v s="$size_z1" 'BEGIN{printf "%.0f", s/1048576}') MiB in $(m "${t_bare_dump[@]}") s;" \
     "default (-Z6) $(awk -v s="$size_z6" 'BEGIN{printf "%.0f", s/1048576}') MiB in ${t_bare_dump_z6[0]} s (one run)"

# ---- day to day: reset (template clone + swap) and snapshot, next to the bare commands ----
step "reset and snapshot: building the template once (not timed)"
"$pgseed" reset -q --yes -C "$root" -e "$bench_env" --dump-dir "$dumps" --database-url "$(url reset_target)" >/dev/null
"$bindir/createdb" -T bench_ref bare_template
"$bindir/psql" -qc "ALTER DATABASE bare_template WITH IS_TEMPLATE true ALLOW_CONNECTIONS false" postgres
"$bindir/createdb" -T bare_template bare_reset
# Two bare references. The copy alone (into a name that is free) is the floor. A bare *reset* is
# what DSLR, Stellar and Testcontainers run: DROP the target, then CREATE it from the template. No
# replacement can skip removing the old copy's files; the bare one drops first (and loses the
# target if the copy fails), pgseed drops after the swap.
declare -a t_reset t_bare_copy t_bare_reset t_snapshot t_bare_snapshot
for ((r = 1; r <= rounds; r++)); do
  step "round $r of $rounds: CREATE DATABASE ... TEMPLATE, DROP + CREATE, and pgseed reset"
  "$bindir/dropdb" --if-exists bare_copy 2>/dev/null
  a=$(now); "$bindir/psql" -qc "CREATE DATABASE bare_copy TEMPLATE bare_template STRATEGY FILE_COPY" postgres; b=$(now)
  t_bare_copy+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  "$bindir/dropdb" bare_copy
  a=$(now); "$bindir/psql" -qc "DROP DATABASE bare_reset" -c "CREATE DATABASE bare_reset TEMPLATE bare_template STRATEGY FILE_COPY" postgres; b=$(now)
  t_bare_reset+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  a=$(now); "$pgseed" reset -q --yes -C "$root" -e "$bench_env" --dump-dir "$dumps" --database-url "$(url reset_target)" >/dev/null; b=$(now)
  t_reset+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  step "round $r of $rounds: pg_dump and pgseed snapshot"
  a=$(now); "$bindir/pg_dump" -Fc -Z1 --exclude-table=public.pgseed_provenance -f "$work/bare-snapshot.dump" bench_ref; b=$(now)
  t_bare_snapshot+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  a=$(now); "$pgseed" snapshot -q --replace --snapshot-dir "$work/snapshots" --database-url "$(url bench_ref)" bench >/dev/null; b=$(now)
  t_snapshot+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
done
"$bindir/dropdb" --if-exists bare_copy 2>/dev/null
"$bindir/dropdb" --if-exists bare_reset 2>/dev/null
"$bindir/psql" -qc "ALTER DATABASE bare_template WITH IS_TEMPLATE false" postgres && "$bindir/dropdb" bare_template
rt=$(printf '%s\n' "${t_reset[@]}" | median); bc=$(printf '%s\n' "${t_bare_copy[@]}" | median)
br=$(printf '%s\n' "${t_bare_reset[@]}" | median)
sn=$(printf '%s\n' "${t_snapshot[@]}" | median); bsn=$(printf '%s\n' "${t_bare_snapshot[@]}" | median)
rp=$(printf '%s\n' "${t_pgseed_replace[@]}" | median)
echo
echo "day to day (medians of $rounds rounds, seconds)"
printf '%-44s %9.2f   bare %9.2f   ratio %s (target <= 1.25)\n' "reset vs DROP + CREATE DATABASE ... TEMPLATE" "$rt" "$br" "$(ratio "$rt" "$br")"
printf '%-44s %9.2f   bare %9.2f   ratio %s (the copy alone, no old copy to remove)\n' "reset vs CREATE DATABASE ... TEMPLATE only" "$rt" "$bc" "$(ratio "$rt" "$bc")"
printf '%-44s %9.2f   restore %6.2f   reset is %sx faster (target >= 3)\n' "reset vs pgseed restore of the same dump" "$rt" "$rp" "$(ratio "$rp" "$rt")"
printf '%-44s %9.2f   bare %9.2f   ratio %s (target <= 1.15)\n' "snapshot vs pg_dump -Fc -Z1" "$sn" "$bsn" "$(ratio "$sn" "$bsn")"
verdict "reset / DROP + CREATE DATABASE ... TEMPLATE (time)" "$(ratio "$rt" "$br")" le 1.25
verdict "restore / reset of the same dump (time)" "$(ratio "$rp" "$rt")" ge 3
verdict "snapshot / pg_dump -Fc -Z1 (time)" "$(ratio "$sn" "$bsn")" le 1.15

# ---- seeding: the bench profile through pgseed vs psql loading the same rows with COPY vs per-row INSERT ----
step "seeding: pgseed seed vs psql COPY vs INSERT loop"
fresh_migrated() { "$bindir/dropdb" --if-exists "$1" 2>/dev/null; "$bindir/createdb" "$1"; "$pgseed" migrate -q -C "$root" --database-url "$(url "$1")" >/dev/null; }
declare -a t_seed t_copy t_copy_lz4 t_insert
# A durable server commits each INSERT: 20000 take minutes, so the quick dev run times fewer.
insert_rows=$([ "$bench_env" = bench ] && echo 20000 || echo 2000)
for ((r = 1; r <= rounds; r++)); do
  step "seeding round $r of $rounds"
  fresh_migrated seed_target
  a=$(now); "$pgseed" seed -q -C "$root" -e "$bench_env" --database-url "$(url seed_target)" >/dev/null; b=$(now)
  t_seed+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  if [ "$r" -eq 1 ]; then
    "$bindir/pg_dump" --data-only --exclude-table='pgseed_*' -f "$work/data.sql" seed_target
    "$bindir/psql" -Atqc "select format('INSERT INTO price_data_5min VALUES (%L, %L, %s, %s, %s, %s, %s);', coin, ts, open, high, low, close, volume) from price_data_5min limit $insert_rows" seed_target >"$work/inserts.sql"
    seed_rows=$("$bindir/psql" -Atc "select sum(c) from (select count(*) c from coins union all select count(*) from users union all select count(*) from algorithms union all select count(*) from price_data_5min union all select count(*) from news_articles union all select count(*) from positions union all select count(*) from orders union all select count(*) from agent_sessions) x" seed_target)
  fi
  fresh_migrated copy_target
  a=$(now); "$bindir/psql" -q -v ON_ERROR_STOP=1 -f "$work/data.sql" copy_target >/dev/null; b=$(now)
  t_copy+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  fresh_migrated copy_target
  a=$(now); PGOPTIONS=$lz4_options "$bindir/psql" -q -v ON_ERROR_STOP=1 -f "$work/data.sql" copy_target >/dev/null; b=$(now)
  t_copy_lz4+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
  fresh_migrated insert_target
  a=$(now); "$bindir/psql" -q -v ON_ERROR_STOP=1 -f "$work/inserts.sql" insert_target >/dev/null; b=$(now)
  t_insert+=("$(awk -v a="$a" -v b="$b" 'BEGIN{print b-a}')")
done
ts_=$(m "${t_seed[@]}"); tc=$(m "${t_copy[@]}"); ti=$(m "${t_insert[@]}")
seed_rate=$(awk -v n="$seed_rows" -v t="$ts_" 'BEGIN{printf "%.0f", n/t}')
copy_rate=$(awk -v n="$seed_rows" -v t="$tc" 'BEGIN{printf "%.0f", n/t}')
insert_rate=$(awk -v n="$insert_rows" -v t="$ti" 'BEGIN{printf "%.0f", n/t}')
echo
echo "seeding the $bench_env profile ($seed_rows rows; medians of $rounds, seconds; throughput ratios)"
printf '%-44s %9.2f %10s rows/s\n' "pgseed seed -e $bench_env" "$ts_" "$seed_rate"
printf '%-44s %9.2f %10s rows/s   pgseed/psql %s (target >= 0.8)\n' "psql loading pg_dump --data-only (COPY)" "$tc" "$copy_rate" "$(ratio "$seed_rate" "$copy_rate")"
tcl=$(m "${t_copy_lz4[@]}"); copy_lz4_rate=$(awk -v n="$seed_rows" -v t="$tcl" 'BEGIN{printf "%.0f", n/t}')
printf '%-44s %9.2f %10s rows/s   pgseed/psql %s (same lz4 setting)\n' "  same, psql also with lz4" "$tcl" "$copy_lz4_rate" "$(ratio "$seed_rate" "$copy_lz4_rate")"
printf '%-44s %9.2f %10s rows/s   pgseed/INSERT %s (target >= 30)\n' "per-row INSERT loop ($insert_rows rows)" "$ti" "$insert_rate" "$(ratio "$seed_rate" "$insert_rate")"
verdict "seeding, pgseed / psql COPY (rows/s)" "$(ratio "$seed_rate" "$copy_rate")" ge 0.8
verdict "seeding, pgseed / INSERT loop (rows/s)" "$(ratio "$seed_rate" "$insert_rate")" ge 30

# ---- first start of a fresh volume (tests/image/first-start.sh reproduces the image) ----
step "first start: init script vs bare pg_restore vs migrate + seed"
initdb_dir=$work/initdb
PGSEED_DUMP_DIR=$dumps PGSEED_ENVIRONMENT=$bench_env \
  cmake --install build-bench --component initdb --prefix "$initdb_dir" >/dev/null 2>&1
empty_initdb=$work/initdb-empty
mkdir -p "$empty_initdb"
chmod -R a+rX "$initdb_dir" "$empty_initdb"
bench_dump=$(readlink -f "$dumps/$bench_env-seeded-latest.dump")
chmod a+r "$bench_dump"; chmod a+x "$work" "$dumps"
fs_port=$((port + 1))
fs_url="host=127.0.0.1 port=$fs_port user=postgres password=harness-password dbname=postgres"
bare_restore() { bare_harness_restore "$fs_port" "$bench_dump"; }
bare_restore_lz4() { PGOPTIONS=$lz4_options bare_restore; }
migrate_and_seed() {
  "$pgseed" migrate -q -C "$root" --database-url "$fs_url" >/dev/null &&
  "$pgseed" seed -q -C "$root" -e "$bench_env" --database-url "$fs_url" >/dev/null
}
# Part of the timed work, and a guard against timing a start that restored nothing.
check_restored() {
  local rows
  rows=$(PGPASSWORD=harness-password "$bindir/psql" -h 127.0.0.1 -p "$fs_port" -U postgres -Atc "select count(*) from price_data_5min" postgres)
  [ "$rows" -gt "$([ "$bench_env" = bench ] && echo 2000000 || echo 0)" ] || { echo "bench: the first start restored $rows price rows" >&2; return 1; }
}
declare -a t_fs_pgseed t_fs_bare t_fs_bare_lz4 t_fs_seed
for ((r = 1; r <= rounds; r++)); do
  step "first start round $r of $rounds"
  t=$(timed_first_start "$fs_port" "$empty_initdb" bare_restore); t_fs_bare+=("$t")
  t=$(timed_first_start "$fs_port" "$empty_initdb" bare_restore_lz4); t_fs_bare_lz4+=("$t")
  t=$(timed_first_start "$fs_port" "$initdb_dir/docker-entrypoint-initdb.d" --check check_restored); t_fs_pgseed+=("$t")
  t=$(timed_first_start "$fs_port" "$empty_initdb" migrate_and_seed); t_fs_seed+=("$t")
done
fp=$(m "${t_fs_pgseed[@]}"); fb=$(m "${t_fs_bare[@]}"); fsd=$(m "${t_fs_seed[@]}")
echo
echo "first start, empty PGDATA to ready and verified (medians of $rounds, seconds)"
printf '%-44s %9.2f\n' "pgseed init script (verify, restore, counts)" "$fp"
printf '%-44s %9.2f   ratio %s (target <= 1.10)\n' "(a) no dump + bare pg_restore -j2" "$fb" "$(ratio "$fp" "$fb")"
fbl=$(m "${t_fs_bare_lz4[@]}")
printf '%-44s %9.2f   ratio %s (the init script'"'"'s own overhead)\n' "    same, bare also with lz4" "$fbl" "$(ratio "$fp" "$fbl")"
printf '%-44s %9.2f   pgseed is %sx faster (target >= 5)\n' "(b) migrate + seed from scratch" "$fsd" "$(ratio "$fsd" "$fp")"
verdict "first start, init script / bare pg_restore (time)" "$(ratio "$fp" "$fb")" le 1.10
verdict "first start, migrate + seed / init script (time)" "$(ratio "$fsd" "$fp")" ge 5

physical_section
echo
echo "verdicts ($rounds round(s), $bench_env seed set, $(($(date +%s) - bench_started)) s in all)"
printf '%s\n' "${verdicts[@]}"
misses=$(printf '%s\n' "${verdicts[@]}" | grep -c '^MISS' || true)
echo "$((${#verdicts[@]} - misses)) of ${#verdicts[@]} targets met"
