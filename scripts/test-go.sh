#!/usr/bin/env bash
# make test-go: go test -race over every package, with progress. The first run compiles some 500
# packages with the race detector before any test starts, which takes minutes; then the tests run
# for several minutes more, the longest (chaos, harness, store) in the last stretch. Both steps
# show how far they have got, so the terminal is never silent for long.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'make test: %s\n' "$*"; }

say "compiling every package with the race detector (minutes the first time, seconds after)"
bash scripts/compile.sh -race ./...
mkdir -p bin
go build -o bin/testsummary ./scripts/testsummary

packages=$(go list ./... | wc -l)
say "running the tests of $packages packages (go test -race -count=1 ./...); a line per package as it ends"
go test -race -count=1 -json ./... | bin/testsummary -packages "$packages"
