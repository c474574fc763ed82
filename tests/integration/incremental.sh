#!/usr/bin/env bash
# Incremental rebuild (issue 6), on its own: after one module's source
# changes, only that module's rewrite (and the scan) runs again.
#
# A throw-away copy of the repository with its own output base builds the
# basic example from nothing, then it_incremental (lib.sh) changes a constant
# in examples/basic/modules/nf-nat.c, builds again and asserts from Bazel's
# execution log: exactly one KasAliasScan, exactly one KasAliasModule (for
# nf-nat.ko), configfs.ko not rewritten.
#
# tools/test.sh does not run this script: remote_cache.sh runs the same check
# in its second checkout, whose output base is already warm (one cold build
# of the Go tool fewer). Usage: tests/integration/incremental.sh (knobs: see
# lib.sh). Prints a summary; exits non-zero on any failed assertion.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init incremental

TREE="$IT_TMP/checkout"
OB="$IT_TMP/output-base"
LOGS="$IT_TMP/logs"
flags=("${IT_FLAGS[@]}" --remote_cache=)
mkdir -p "$LOGS"

it_snapshot
it_log "source: $IT_SOURCE_DESC"
it_checkout "$TREE"
t=$SECONDS
it_bazel "$TREE" "$OB" "$LOGS/first.log" build "${flags[@]}" //examples/basic/...
it_log "first build: $((SECONDS - t)) s"
it_incremental "$TREE" "$OB" "$LOGS" "${flags[@]}"
it_shutdown "$TREE" "$OB"
