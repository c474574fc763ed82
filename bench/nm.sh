#!/bin/bash
# nm.sh: benchmark "kas_alias nm" against GNU nm -n and llvm-nm on Debian's
# 6.1 dbg vmlinux, in one run: medians of hyperfine runs and peak RSS from
# /usr/bin/time -v. Checks first that the three listings are identical.
#
#   bench/nm.sh [RUNS]      (default 10 runs after 2 warm-ups)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
vmlinux=$(tools/fetch-debian-kernels.sh 6.1)/vmlinux

for tool in hyperfine llvm-nm nm; do
	command -v $tool >/dev/null || { echo "nm.sh: $tool is not installed" >&2; exit 1; }
done
if [[ ! -x /usr/bin/time ]]; then
	apt-get install -y -q time >&2
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/kas_alias" ./tool/cmd/kas_alias

export LC_ALL=C
"$bin/kas_alias" nm "$vmlinux" >"$bin/ours"
nm -n "$vmlinux" >"$bin/gnu"
llvm-nm -n "$vmlinux" >"$bin/llvm"
cmp "$bin/ours" "$bin/gnu"
cmp "$bin/llvm" "$bin/gnu" || echo "nm.sh: note: llvm-nm output differs from GNU nm" >&2

hyperfine -N --warmup 2 --runs "$runs" --export-json "$bin/h.json" \
	-n kas_alias "sh -c '$bin/kas_alias nm $vmlinux >/dev/null'" \
	-n "GNU nm" "sh -c 'nm -n $vmlinux >/dev/null'" \
	-n llvm-nm "sh -c 'llvm-nm -n $vmlinux >/dev/null'" >&2

rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'; }
r_ours=$(rss "$bin/kas_alias" nm "$vmlinux")
r_gnu=$(rss nm -n "$vmlinux")
r_llvm=$(rss llvm-nm -n "$vmlinux")

python3 - "$bin/h.json" "$r_ours" "$r_gnu" "$r_llvm" "$runs" "$vmlinux" "$(wc -l <"$bin/gnu")" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: r["median"] for r in h}
rss = dict(zip(["kas_alias", "GNU nm", "llvm-nm"], map(int, sys.argv[2:5])))
runs, vmlinux, lines = sys.argv[5], sys.argv[6], sys.argv[7]
print(f"| tool | median wall | vs GNU nm | peak RSS |")
print(f"|---|---|---|---|")
for k in ["kas_alias", "GNU nm", "llvm-nm"]:
    print(f"| {k} | {med[k]*1000:.1f} ms | {med[k]/med['GNU nm']:.2f}x | {rss[k]/1024:.0f} MB |")
print(f"\n{lines.strip()} lines, identical output; {runs} runs after 2 warm-ups each ({vmlinux}).")
PY
