#!/usr/bin/env bash
# Tests of the deployment: the Helm chart (lint, render of every ci/ values file, strict decoding
# into the Kubernetes API types, Pod Security "restricted", probes, secrets, shapes), its alerts and
# dashboard (PromQL parsed, metric names checked against the service's source), the Dockerfile
# (static checks, and its go build line run as written), and smoke tests that start that binary
# with the environment the chart renders. The deploy module has its own go.mod.
#
#   bash deploy/test.sh            # everything
#   bash deploy/test.sh -short     # without building or starting cohostd
#   bash deploy/test.sh -run Lint  # extra flags go to go test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export GOWORK=off

# The HA smoke test starts cohostd on a fresh PostgreSQL database of this server (the same
# default as the Makefile's); without one it is skipped, or fails under COHOST_REQUIRE_POSTGRES=1.
if [[ -z "${COHOST_TEST_DATABASE_URL:-}" ]] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
	export COHOST_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
fi

unformatted=$(gofmt -l .)
if [[ -n "$unformatted" ]]; then
	echo "gofmt needed in deploy/: $unformatted" >&2
	exit 1
fi
# A first run downloads and compiles Helm's and Kubernetes' libraries (minutes, and silent in go's
# own output): say what is going on while it lasts.
heartbeat=../scripts/heartbeat.sh
echo "deploy: compiling the deploy module's packages (Helm's and Kubernetes' libraries: minutes the first time)"
bash "$heartbeat" "compiling the deploy module" go vet ./...
echo "deploy: running its tests (a few minutes)"
bash "$heartbeat" "running the deploy module's tests" go test -count=1 "$@" ./...
