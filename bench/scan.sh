#!/bin/bash
# scan.sh: the whole scan of Debian's 6.1 kernel (dbg vmlinux + its 4,023
# modules) with kas_alias, against the pipeline it replaces, in one run:
#   ours:     kas_alias scan (tu, then srcline): listing, map, 4,023 plans
#   pipeline: GNU nm -n per object (one process each, as the kas_alias series
#             ran it), duplicate names across all listings (awk), and
#             llvm-addr2line on the duplicated vmlinux code addresses
# Medians of RUNS runs (hyperfine); the machine and command go with them.
#
#   bench/scan.sh [RUNS]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
kernel=$(tools/fetch-debian-kernels.sh 6.1)
vmlinux=$kernel/vmlinux
mods=$kernel/modules
for tool in hyperfine llvm-addr2line nm; do
	command -v $tool >/dev/null || { echo "scan.sh: $tool is not installed" >&2; exit 1; }
done

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
go build -o "$w/kas_alias" ./tool/cmd/kas_alias
export LC_ALL=C

# The pipeline, as a script hyperfine can run.
cat >"$w/pipeline.sh" <<PIPE
#!/bin/bash
set -euo pipefail
cd "$w"
nm -n "$vmlinux" >vmlinux.nm
sed 's|^|$mods/|' "$mods/modules.order" | xargs -P 2 -n 1 sh -c 'nm -n "\$0" >"\$0.nm.\$\$" 2>/dev/null; cat "\$0.nm.\$\$"; rm -f "\$0.nm.\$\$"' >modules.nm 2>/dev/null || true
cat vmlinux.nm modules.nm | awk '\$2 ~ /^[^Uwv]\$/ && NF == 3 { if (!((\$3, \$1) in s)) { s[\$3, \$1] = 1; n[\$3]++ } }
	END { for (k in n) if (n[k] > 1) print k }' >dups
awk 'NR == FNR { d[\$1] = 1; next } (\$3 in d) && \$2 ~ /^[tT]\$/ { print "0x" \$1 }' dups vmlinux.nm >addrs
llvm-addr2line -e "$vmlinux" <addrs >lines
PIPE
chmod +x "$w/pipeline.sh"

ours() { echo "$w/kas_alias scan --scheme $1 --vmlinux $vmlinux --modules-order $mods/modules.order --syms $w/o.syms --map-tsv $w/o.tsv --map-json $w/o.json --plan-dir $w/plans"; }
# Each run writes fresh outputs, as a Bazel action does.
hyperfine -N --warmup 1 --runs "$runs" --export-json "$w/h.json" --prepare "rm -rf $w/plans $w/o.syms $w/o.tsv $w/o.json" \
	-n "kas_alias scan (tu)" "$(ours tu)" \
	-n "kas_alias scan (srcline)" "$(ours srcline)" \
	-n "nm per object + llvm-addr2line" "$w/pipeline.sh" >&2

python3 - "$w/h.json" "$runs" "$(nproc)" "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
base = h[2]["median"]
print(f"Machine: {sys.argv[3]} cores, {sys.argv[4]}; median of {sys.argv[2]} runs (hyperfine), command: bench/scan.sh {sys.argv[2]}")
print()
print("| what | median wall | vs the pipeline |")
print("|---|---|---|")
for r in h:
    print(f"| {r['command']} | {r['median']:.2f} s | {r['median']/base:.2f}x |")
PY
