#!/usr/bin/env bash
# Runs the whole test suite: unit tests of every module and end-to-end tests that start real
# kctld servers on ephemeral ports with temporary data dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
# A hung test must fail the run, not stall it: the suite takes well under this.
timeout --foreground 900 swift test --skip-build "$@"
