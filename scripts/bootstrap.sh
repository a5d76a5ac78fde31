#!/usr/bin/env bash
# Installs what pgseed needs to build, run and test on Debian 12, and nothing else.
#
# Idempotent: packages that are already installed are left alone, and the script says which ones it
# installs. Runs as root, or through sudo when it is started by another user.
#
#   bash scripts/bootstrap.sh                 packages only; your git configuration is not touched
#   bash scripts/bootstrap.sh --git-lfs-install   also run `git lfs install --skip-repo`, which adds the
#                                             LFS filters to your global git config (~/.gitconfig)
#
# Changing ~/.gitconfig is opt-in: it outlives this project, and under sudo it would be root's
# config, not yours. Nothing here needs it (the tests pass the LFS filters with git -c); fetching
# shared dumps does, so the script says how when the filters are missing.
set -euo pipefail

lfs_install=0
for argument in "$@"; do
  case $argument in
    --git-lfs-install) lfs_install=1 ;;
    *) printf 'bootstrap: error: unknown argument %s (only --git-lfs-install)\n' "$argument" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config git git-lfs
  libpqxx-dev nlohmann-json3-dev libssl-dev catch2
  postgresql-15 postgresql-client-15 openssl shellcheck
  curl python3  # pgseed publish over http(s); the sharing tests' object server
  dpkg-dev file  # cpack -G DEB: dpkg-shlibdeps, and file to find the ELF files it reads
  zstd time  # dumps and physical snapshots are zstd streams; the bench reads peak memory with /usr/bin/time
  busybox  # the init script's tests on Alpine's userland (busybox mktemp, stat, tar, ...)
)

log() { printf 'bootstrap: %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  log "error: not root and sudo is missing; run this script as root"
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all packages present"
else
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  # Debian's postgresql package creates and starts a "main" cluster; pgseed never uses it, and the
  # policy-rc.d trick would hide real errors, so we just leave it alone.
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if git config --global --get filter.lfs.process >/dev/null 2>&1; then
  :  # already set up for this user
elif [ "$lfs_install" -eq 1 ]; then
  log "running git lfs install --skip-repo: adds the LFS filters to $HOME/.gitconfig"
  git lfs install --skip-repo >/dev/null
else
  log "note: git lfs is not set up for $(id -un); to fetch shared dumps run 'git lfs install' once (it edits ~/.gitconfig), or rerun with --git-lfs-install"
fi
log "ready"
