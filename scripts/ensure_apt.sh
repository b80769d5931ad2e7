#!/usr/bin/env bash
# ensure_apt.sh PACKAGE... — install the Debian packages that are missing.
#
# Nothing is done (not even `apt-get update`) when every package is already installed, so
# repeated runs are fast. As root the missing packages are installed; otherwise, or on a machine
# without apt, the script only says what is missing and how to install it, and exits 0: the caller
# decides whether the missing piece is fatal (e.g. `msgfmt` for compilemessages).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no apt on this machine; make sure these (Debian names) are installed: $*" >&2
    exit 0
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "note: missing Debian packages: ${missing[*]}" >&2
    echo "      install them with: sudo apt-get install ${missing[*]}" >&2
    exit 0
fi

echo "==> apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale on a fresh machine: refresh them before installing.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
