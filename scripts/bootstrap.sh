#!/usr/bin/env bash
# Installs what pgseed needs to build, run and test on Debian 12, and nothing else.
#
# Idempotent: packages that are already installed are left alone, and the script says which ones it
# installs. Runs as root, or through sudo when it is started by another user.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git git-lfs
  libpqxx-dev nlohmann-json3-dev libssl-dev catch2
  postgresql-15 postgresql-client-15 openssl shellcheck
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

# git-lfs hooks are per user; installing them is harmless when already present.
git lfs install --skip-repo >/dev/null 2>&1 || true
log "ready"
