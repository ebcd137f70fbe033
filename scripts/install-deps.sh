#!/usr/bin/env bash
# Installs every Debian package Convene needs (scripts/packages.txt). Idempotent:
# when everything is there it does nothing, so it costs nothing to call it first
# in every other script. Needs root (apt-get).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$here/packages.txt")

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or with sudo) to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# The browser side's npm packages, exactly as web/package-lock.json pins them
# (never committed: web/node_modules is ignored). Lifecycle scripts are not run:
# we only copy files out of these packages. A stamp makes a second call free.
web="$here/../web"
stamp="$web/node_modules/.convene-lock"
if ! cmp -s "$web/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install-deps: npm ci in web/"
  (cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$web/package-lock.json" "$stamp"
fi
