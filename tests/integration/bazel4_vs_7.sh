#!/usr/bin/env bash
# Same tool source, two Bazels, one answer: the KasAlias* outputs of Bazel
# 4.2.3 (WORKSPACE, rules_go 0.34.0) and Bazel 7.7.1 (bzlmod, rules_go 0.59.0,
# tools/bazel7.sh) are byte-identical on the same input bytes.
#
# The inputs are Bazel 4.2.3's build of examples/basic's kernel and modules,
# copied into tests/same_input/in/ (each Bazel's own build of them differs,
# being made by another compiler); both Bazels then build
# //tests/same_input:aliased from this checkout, and every file of the scan
# (listing, maps, plans) and of the rewrites (modules) must be equal.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SID="${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/bazel7/sid"
log() { printf 'bazel4_vs_7: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

log "inputs: examples/basic's vmlinux and modules, built by Bazel 4.2.3"
bazel build --noshow_progress //examples/basic:vmlinux //examples/basic:configfs.ko //examples/basic:nf-nat.ko
bin4="$(bazel info bazel-bin 2>/dev/null)"
rm -rf tests/same_input/in
mkdir -p tests/same_input/in
for f in vmlinux configfs.ko nf-nat.ko; do
  cp "$bin4/examples/basic/$f" tests/same_input/in/
done
chmod -R u+w tests/same_input/in

# The plans are not default outputs: ask the scan target for them, or Bazel 7
# (whose --remote_download_outputs defaults to toplevel) leaves them in its
# disk cache when the scan is a cache hit.
want=(--output_groups=+plans //tests/same_input:aliased //tests/same_input:aliased_symbols)
bazel build --noshow_progress "${want[@]}"
./tools/bazel7.sh build --noshow_progress "${want[@]}"
out7="$SID$(./tools/bazel7.sh info bazel-bin 2>/dev/null)/tests/same_input"
out4="$bin4/tests/same_input"

# What the two KasAlias* actions of each kind wrote.
outputs() { (cd "$1" && find aliased_symbols.syms aliased_symbols.map.tsv aliased_symbols.map.json aliased_symbols_plans aliased_modules -type f | sort); }
[ "$(outputs "$out4")" = "$(outputs "$out7")" ] ||
  die "the two Bazels wrote different files: $(diff <(outputs "$out4") <(outputs "$out7") | tr '\n' ' ')"
n=0
while read -r f; do
  cmp "$out4/$f" "$out7/$f" || die "$f differs between Bazel 4.2.3 ($out4) and 7.7.1 ($out7)"
  n=$((n + 1))
done < <(outputs "$out4")
[ "$n" -ge 7 ] || die "only $n outputs compared"
log "$n KasAlias* outputs byte-identical between Bazel 4.2.3 and 7.7.1 ($(outputs "$out4" | tr '\n' ' '))"
