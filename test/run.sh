#!/usr/bin/env bash
# The whole test suite, as the README names it: unit, CLI (testscript) and
# real-kernel-header tests, with the race detector. Fuzz seeds run as part
# of the normal tests.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -timeout 25m ./...
