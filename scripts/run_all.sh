#!/usr/bin/env bash
# Start the development web server, a Celery worker and Celery beat together, on whatever the
# settings give (by default the embedded SQLite database and kombu's filesystem broker, so no
# server is needed). Ctrl-C stops all three; so does any one of them exiting.
#
# `make run` prepares the database first and then calls this script.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=.venv/bin
LOGINS=var/demo-logins.txt

# Job control gives each background job a process group of its own, so stopping one also stops
# its children (runserver's autoreloader child, the worker's pool processes).
set -m
pids=()

stop_all() {
    # A second Ctrl-C (or a hang-up) while stopping skips the wait, but never leaves a process.
    force=0
    trap 'force=1' INT TERM HUP
    trap - EXIT
    echo
    echo "==> Stopping the web server, the worker and beat"
    # The leaders first: the worker then does a warm shutdown of its own pool, and runserver's
    # reloader takes its serving child down with it.
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 30); do
        alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] || [ "$force" -eq 1 ] && break
        sleep 0.5
    done
    # Whatever is left in their process groups does not outlive this script.
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait 2>/dev/null
}
trap stop_all INT TERM HUP EXIT

"$BIN/python" manage.py runserver "$HOST:$PORT" &
pids+=($!)
"$BIN/celery" -A config worker -l info --concurrency 2 &
pids+=($!)
"$BIN/celery" -A config beat -l info \
    --scheduler django_celery_beat.schedulers:DatabaseScheduler &
pids+=($!)
# Later commands stay in this script's group, so Ctrl-C always reaches the trap above.
set +m

# Print the address and the logins once the server answers, after the start-up noise.
url_host=$HOST
[ "$url_host" = "0.0.0.0" ] && url_host=127.0.0.1
url="http://$url_host:$PORT/"
"$BIN/python" - "$url" <<'PY'
import sys
import time
import urllib.error
import urllib.request

for _ in range(60):
    try:
        urllib.request.urlopen(sys.argv[1] + "accounts/login/", timeout=2)
        break
    except urllib.error.HTTPError:
        break  # the server answers; the page itself is not our concern here
    except OSError:
        time.sleep(0.5)
PY
echo
echo "================================================================================"
echo "  创先争优 portal: $url   (Ctrl-C stops the server, the worker and beat)"
if [ -s "$LOGINS" ]; then
    echo "--------------------------------------------------------------------------------"
    # seed_demo's table of logins, without its statistics; the whole output if no table.
    if grep -q '^Demo logins' "$LOGINS"; then
        sed -n '/^Demo logins/,$p' "$LOGINS"
    else
        cat "$LOGINS"
    fi
fi
echo "================================================================================"
echo

# Stay up until Ctrl-C or until one of the three exits (then stop the others).
wait -n
