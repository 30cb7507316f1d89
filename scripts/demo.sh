#!/usr/bin/env bash
# make demo: the demo, with what a first run does said aloud. The first run downloads the
# modules (about 380 MB) and compiles some 500 packages before the demo can start; each step
# says what it does and shows how far it has got, so the terminal is never silent for long.
# Later runs start the demo within seconds. Flags go to the demo: make demo DEMO_FLAGS="--people 10".
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'make demo: %s\n' "$*"; }

say "downloading the Go modules the demo needs, if they are not here yet (about 380 MB the first time)"
modcache=$(go env GOMODCACHE)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
# go list fetches what building the demo needs (go: downloading lines, one per module, kept for
# an error); meanwhile the module cache's growth says how far it has got.
go list -deps ./cmd/cohostdemo >/dev/null 2>"$log" &
dl=$!
while kill -0 "$dl" 2>/dev/null; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$dl" 2>/dev/null || break 2
		sleep 1
	done
	size=$(du -sm "$modcache" 2>/dev/null | cut -f1 || true)
	printf '  %ds: %s MB in the module cache so far\n' $((SECONDS - start)) "${size:-?}"
done
if ! wait "$dl"; then
	cat "$log" >&2
	exit 1
fi

say "compiling cohostdemo (the first time about 1 min on 2 free cores, several on a busy machine)"
mkdir -p bin
bash scripts/compile.sh -o bin/cohostdemo ./cmd/cohostdemo

rm -f "$log"
say "starting the demo (go run ./cmd/cohostdemo does the same, without this progress)"
exec bin/cohostdemo "$@"
