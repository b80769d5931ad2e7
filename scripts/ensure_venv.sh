#!/usr/bin/env bash
# Create .venv with the machine's python3 (if missing) and install the project with the exact
# versions of requirements.lock. The install is skipped when neither the lock nor pyproject.toml
# has changed since the last one: a hash of both is kept in .venv/.install-stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.install-stamp

if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    if [ -e "$VENV" ]; then
        # A venv whose interpreter no longer runs (the machine's Python moved) cannot be repaired.
        echo "==> $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    echo "==> Creating $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

# The interpreter's version is part of the hash: a new Python needs a fresh install too.
want=$({ "$VENV/bin/python" -VV; cat requirements.lock pyproject.toml; } | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" = "$have" ]; then
    exit 0
fi

echo "==> Installing the locked dependencies into $VENV (pip install -c requirements.lock -e '.[dev]')"
"$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
    -c requirements.lock -e '.[dev]'
echo "$want" >"$STAMP"
