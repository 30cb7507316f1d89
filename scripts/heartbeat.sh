#!/usr/bin/env bash
# Runs a command and, every 30 seconds it is still running, says so, so that a long step (a cold
# compile of Helm's libraries, a test binary that runs for minutes) never leaves the terminal
# silent. The command's output and exit status are its own.
#
#   bash scripts/heartbeat.sh "compiling the deploy module" go vet ./...
set -euo pipefail
label=$1
shift
start=$SECONDS
"$@" &
pid=$!
(
	while sleep 30; do
		kill -0 "$pid" 2>/dev/null || exit 0
		printf '  … still %s (%ds)\n' "$label" $((SECONDS - start))
	done
) &
beat=$!
status=0
wait "$pid" || status=$?
kill "$beat" 2>/dev/null || true
wait "$beat" 2>/dev/null || true
exit "$status"
