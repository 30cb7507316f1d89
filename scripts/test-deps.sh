#!/usr/bin/env bash
# Installs what the tests need when it is missing: Chromium for the headless-browser tests and the
# pinned Zoom Web Meeting SDK (meetingsdk/package-lock.json) for the real-bundle test. Safe to run
# again: each step is skipped when its result is there.
#
# apt needs root; without root and without Chromium it says how to install it and goes on (the
# browser tests then skip, unless COHOST_REQUIRE_BROWSER=1 makes them fail).
set -euo pipefail
cd "$(dirname "$0")/.."

have_chromium() {
  [ -n "${COHOST_CHROMIUM:-}" ] && [ -x "${COHOST_CHROMIUM}" ] && return 0
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if ! have_chromium; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: installing Chromium (apt-get install -y chromium; a few minutes, apt shows what it fetches)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium | { grep -E '^(Get|Setting up)' || true; }
  else
    echo "test-deps: Chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    echo "test-deps: (or set COHOST_CHROMIUM); the browser tests skip until then" >&2
  fi
fi

if [ ! -f meetingsdk/node_modules/@zoom/meetingsdk/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "test-deps: installing the pinned @zoom/meetingsdk (npm ci --prefix meetingsdk)"
    npm ci --prefix meetingsdk --no-audit --no-fund
  else
    echo "test-deps: npm is missing; install Node.js and npm, then run: npm ci --prefix meetingsdk" >&2
  fi
fi
