#!/usr/bin/env bash
# Installs what Trunkline needs on a Debian machine, idempotently: the Debian packages the
# local pipeline and the tests use (Docker engine, distribution registry, busybox for the
# builder base image, promtool, shellcheck, jq for the workflow plan script), then the npm dependencies (which bring Node 24).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(docker.io docker-registry busybox-static prometheus shellcheck jq openssl git ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile is newer than the last install (re-runs stay fast).
install_if_stale() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
install_if_stale .
if [ -f sample-service/package-lock.json ] && ! grep -q '"sample-service"' package.json; then
  install_if_stale sample-service
fi
