#!/usr/bin/env bash
# Remote cache across machines, and determinism (issues 8 and 6).
#
# A real HTTP remote cache (nginx, WebDAV PUT, loopback, temporary directory)
# and two checkouts of the same source at different paths, each with its own
# output base and no disk cache:
#
#   A  builds the examples from nothing and uploads every result.
#   B  builds them again. The Go actions are kept away from the remote cache
#      (--modify_execution_info=^Go.*=+no-remote-cache), so B compiles and
#      links the kas_alias tool itself: only if that binary is byte-for-byte
#      the one A built do the KasAlias* actions (keyed on its digest) hit.
#      Asserted: every KasAlias* action a remote cache hit, none executed;
#      the tool's digest and every output file's bytes equal to A's; no
#      checkout path or output base in any action's command, environment or
#      paths.
#   B' determinism: B's KasAlias* outputs are deleted and the actions run
#      again in B, locally (no remote cache for them); their bytes must equal
#      A's: same result from another output base and checkout path.
#   B" incremental (issue 6), in B's warm output base: it_incremental (lib.sh)
#      changes a constant in one module's source and asserts that only the
#      scan and that module's rewrite run again (incremental.sh runs the same
#      check on its own, from a cold build).
#
# Usage: tests/integration/remote_cache.sh (knobs: see lib.sh). Prints a
# summary; exits non-zero on any failed assertion.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init remote_cache

KAS='KasAlias.*'
A="$IT_TMP/machine-a/rules_kas_alias"
B="$IT_TMP/elsewhere/machine-b/src"
OB_A="$IT_TMP/output-base-a"
OB_B="$IT_TMP/output-base-b"
LOGS="$IT_TMP/logs"
mkdir -p "$LOGS"

it_snapshot
it_log "source: $IT_SOURCE_DESC; targets: ${IT_TARGETS[*]}"
it_checkout "$A"
it_checkout "$B"
it_log "checkouts ready"
it_nginx_start

common=("${IT_FLAGS[@]}" "--remote_cache=$IT_CACHE_URL" --remote_upload_local_results)

# --- A: cold, uploads -----------------------------------------------------------
t=$SECONDS
it_bazel "$A" "$OB_A" "$LOGS/a.log" build "${common[@]}" \
  --execution_log_json_file="$LOGS/a.json" "${IT_TARGETS[@]}"
time_a=$((SECONDS - t))
it_bazel "$A" "$OB_A" "$LOGS/a-info.log" info execution_root
ER_A="$(tail -n 1 "$LOGS/a-info.log")"
execlog outputs "$LOGS/a.json" | it_hash "$ER_A" >"$LOGS/a.sha256"
it_shutdown "$A" "$OB_A"
kas_a="$(execlog count "$LOGS/a.json" "$KAS" executed)"
scan_a="$(execlog count "$LOGS/a.json" KasAliasScan executed)"
mod_a="$(execlog count "$LOGS/a.json" KasAliasModule executed)"
[ "$(execlog count "$LOGS/a.json" '.*' hit)" = 0 ] || it_fail "A had remote cache hits: the cache was not empty"
[ "$scan_a" -ge 1 ] && [ "$mod_a" -ge 1 ] ||
  it_die "A ran $scan_a KasAliasScan and $mod_a KasAliasModule actions: the targets alias nothing"
TOOL="$(execlog tool "$LOGS/a.json" "$KAS")"
cache_files="$(find "$IT_TMP/cache" -type f | wc -l)"
cache_mb="$(du -sm "$IT_TMP/cache" | cut -f1)"

# --- B: other checkout path, other output base, tool rebuilt --------------------
t=$SECONDS
it_bazel "$B" "$OB_B" "$LOGS/b.log" build "${common[@]}" \
  '--modify_execution_info=^Go.*=+no-remote-cache' \
  --execution_log_json_file="$LOGS/b.json" "${IT_TARGETS[@]}"
time_b=$((SECONDS - t))
it_bazel "$B" "$OB_B" "$LOGS/b-info.log" info execution_root
ER_B="$(tail -n 1 "$LOGS/b-info.log")"
execlog outputs "$LOGS/a.json" | it_hash "$ER_B" >"$LOGS/b.sha256"

kas_b_hit="$(execlog count "$LOGS/b.json" "$KAS" hit)"
kas_b_run="$(execlog count "$LOGS/b.json" "$KAS" executed)"
scan_b_hit="$(execlog count "$LOGS/b.json" KasAliasScan hit)"
mod_b_hit="$(execlog count "$LOGS/b.json" KasAliasModule hit)"
golink_b_run="$(execlog count "$LOGS/b.json" GoLink executed)"
go_b_hit="$(execlog count "$LOGS/b.json" 'Go.*' hit)"
tool_a="$(grep "  $TOOL\$" "$LOGS/a.sha256" | cut -d' ' -f1)"
tool_b="$(grep "  $TOOL\$" "$LOGS/b.sha256" | cut -d' ' -f1)"
n_out="$(wc -l <"$LOGS/a.sha256")"
n_kas_out="$(execlog outputs "$LOGS/a.json" "$KAS" | wc -l)"
diff_out="$(diff "$LOGS/a.sha256" "$LOGS/b.sha256" || true)"
leaks="$(execlog leaks "$LOGS/a.json" "$IT_TMP" "$IT_ROOT" && execlog leaks "$LOGS/b.json" "$IT_TMP" "$IT_ROOT" || true)"

# --- B': KasAlias* executed again in B, compared with A -------------------------
execlog outputs "$LOGS/a.json" "$KAS" >"$LOGS/kas-outputs.txt"
while IFS= read -r p; do rm -f "$ER_B/$p"; done <"$LOGS/kas-outputs.txt"
b2_flags=("${common[@]}" '--modify_execution_info=^Go.*=+no-remote-cache,^KasAlias.*=+no-remote-cache')
t=$SECONDS
it_bazel "$B" "$OB_B" "$LOGS/b2.log" build "${b2_flags[@]}" \
  --execution_log_json_file="$LOGS/b2.json" "${IT_TARGETS[@]}"
time_b2=$((SECONDS - t))
kas_b2_run="$(execlog count "$LOGS/b2.json" "$KAS" executed)"
kas_b2_hit="$(execlog count "$LOGS/b2.json" "$KAS" hit)"
it_hash "$ER_B" <"$LOGS/kas-outputs.txt" >"$LOGS/b2.sha256"
it_log "outputs hashed"
it_hash "$ER_A" <"$LOGS/kas-outputs.txt" >"$LOGS/a-kas.sha256"
diff_det="$(diff "$LOGS/a-kas.sha256" "$LOGS/b2.sha256" || true)"

# --- summary and verdicts -------------------------------------------------------
echo
echo "=== remote cache summary ==="
echo "  source      $IT_SOURCE_DESC"
echo "  checkout A  $A   output base $OB_A"
echo "  checkout B  $B   output base $OB_B"
echo "  cache       $IT_CACHE_URL: $cache_files files, $cache_mb MiB after A"
echo "build A (empty caches, uploads), ${time_a} s:"
execlog summary "$LOGS/a.json"
echo "build B (other path, other output base, empty local caches; Go actions not from the cache), ${time_b} s:"
execlog summary "$LOGS/b.json"
echo "requests the cache server answered (method, path, status):"
it_nginx_requests
echo "checks:"
it_check "$([ "$kas_b_run" = 0 ] && [ "$scan_b_hit" = "$scan_a" ] && [ "$mod_b_hit" = "$mod_a" ] && echo 1)" \
  "KasAlias* in B: $kas_b_hit remote cache hits (KasAliasScan $scan_b_hit/$scan_a, KasAliasModule $mod_b_hit/$mod_a), $kas_b_run executed"
it_check "$([ "$golink_b_run" -ge 1 ] && [ "$go_b_hit" = 0 ] && echo 1)" \
  "the tool was rebuilt in B, not fetched: GoLink executed $golink_b_run, Go* cache hits $go_b_hit"
it_check "$([ -n "$tool_a" ] && [ "$tool_a" = "$tool_b" ] && echo 1)" \
  "tool $TOOL reproducible: sha256 A ${tool_a:-?} B ${tool_b:-?}"
it_check "$([ -z "$diff_out" ] && [ "$n_out" -gt 0 ] && echo 1)" \
  "outputs byte-identical in A and B: $n_out files ($n_kas_out from KasAlias* actions)"
it_check "$([ -z "$leaks" ] && echo 1)" \
  "no checkout path or output base in any action's command line, environment or paths"
it_check "$([ "$kas_b2_run" = "$kas_a" ] && [ "$kas_b2_hit" = 0 ] && [ -z "$diff_det" ] && echo 1)" \
  "determinism: KasAlias* executed again in B ($kas_b2_run executed, $kas_b2_hit hits, $time_b2 s): $n_kas_out outputs byte-identical to A's"
[ -z "$diff_out" ] || printf 'outputs that differ (A, B):\n%s\n' "$diff_out"
[ -z "$diff_det" ] || printf 'KasAlias* outputs that differ after re-execution (A, B):\n%s\n' "$diff_det"
[ -z "$leaks" ] || printf 'absolute paths in actions:\n%s\n' "$leaks"
if [ "$IT_FAILED" = 1 ]; then
  echo "why B missed (execlog.py diff of A and B):"
  execlog diff "$LOGS/a.json" "$LOGS/b.json" | head -n 40
fi

# --- B": incremental rebuild in B's warm output base ----------------------------
it_incremental "$B" "$OB_B" "$LOGS" "${b2_flags[@]}"
it_shutdown "$B" "$OB_B"
