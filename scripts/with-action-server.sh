#!/usr/bin/env bash
# with-action-server.sh PORT COMMAND...: run COMMAND while the action server listens on PORT.
set -u
port=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$here/var/logs"
"$here/.venv/bin/rasa" run actions --actions actions --port "$port" > "$here/var/logs/actions-test.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
"$here/scripts/wait-for-http.sh" "http://localhost:$port/health" 120 || { tail -30 "$here/var/logs/actions-test.log"; exit 1; }
"$@"
