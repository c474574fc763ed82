#!/usr/bin/env bash
# whole.sh: the whole job on Debian 6.12 (the -dbg vmlinux and all its
# modules), against the tools users would use instead, in one run, as
# ratios (issue 12's floors):
#
#   nm -n        GNU nm -n over vmlinux and every .ko (one process, one core)
#   xz -dc -T1   liblzma decompressing every .ko.xz as shipped (one core)
#   scan .ko     kas_alias scan, every output (.syms, maps, plans), .ko tree
#   scan+rewrite kas_alias scan --plan-dir, then kas_alias rewrite --out-dir of
#                every module (.ko tree; --drop-signature: Debian signs them)
#   scan --rewrite-dir  the same in one run
#   scan .ko.xz  kas_alias scan, every output, of the tree as Debian ships it
#   nm vmlinux   kas_alias nm vmlinux against GNU nm -n vmlinux
#   growth       the scan of 1/4, 1/2 and all of the modules: wall and RSS
#
# Each figure is the median of RUNS runs, the commands taking turns; each
# run writes into a fresh directory after the previous run's outputs are
# removed and the file system has settled (sync, then SETTLE seconds: ext4
# steers new inodes away from ones freed in the last 60 s, which makes file
# creation a scan of the inode tables). The page cache is warm, as for a
# Bazel action. Wall, user and sys time and peak RSS come from GNU time.
#
#   bench/whole.sh [RUNS]      (default 5; SETTLE=65 by default)
# Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
settle=${SETTLE:-65}
export PATH="$PWD/.bazeldeps/go_sdk/bin:$PATH" GOTOOLCHAIN=local GOFLAGS=-mod=vendor LC_ALL=C
for t in /usr/bin/time nm xz; do
	command -v $t >/dev/null || { echo "whole.sh: $t is not installed (tools/bootstrap.sh installs it)" >&2; exit 1; }
done
K=$(tools/fetch-debian-kernels.sh 6.12)
V=$K/vmlinux
w=$(mktemp -d "${TMPDIR:-/tmp}/kas_alias-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
go build -o "$w/kas_alias" ./tool/cmd/kas_alias
KA=$w/kas_alias

# The module lists, in modules.order's order.
sed -e 's/\.o$/.ko/' "$K/modules-ko/modules.order" | sed "s|^|$K/modules-ko/|" >"$w/ko"
sed -e 's/\.o$/.ko/' -e 's/$/.xz/' "$K/modules/modules.order" | sed "s|^|$K/modules/|" >"$w/xz"
n=$(wc -l <"$w/ko")
for f in 4 2; do
	head -n $((n / f)) "$w/ko" >"$w/ko.1of$f"
done

# cmd NAME BASELINE COMMAND...: one benchmarked command, to be compared with
# the command named BASELINE ("-": none); OUT in it is its fresh output
# directory.
names=() bases=() cmds=()
cmd() { names+=("$1"); bases+=("$2"); shift 2; cmds+=("$*"); }
outs="--syms OUT/syms --map-tsv OUT/map.tsv --map-json OUT/map.json --plan-dir OUT/plans"
cmd "nm -n (GNU), .ko" - "nm -n $V @$w/ko >OUT/nm"
cmd "xz -dc -T1 (liblzma)" - "cat \$(cat $w/xz) | xz -dc -T1 >/dev/null"
cmd "nm -n vmlinux (GNU)" - "nm -n $V >OUT/nm"
cmd "kas_alias scan, .ko" "nm -n (GNU), .ko" "$KA scan --vmlinux $V $outs @$w/ko"
cmd "kas_alias scan + rewrite, .ko" "nm -n (GNU), .ko" "$KA scan --vmlinux $V $outs @$w/ko && $KA rewrite --drop-signature --plan-dir OUT/plans --out-dir OUT/modules @$w/ko"
cmd "kas_alias scan --rewrite-dir, .ko" "nm -n (GNU), .ko" "$KA scan --drop-signature --vmlinux $V $outs --rewrite-dir OUT/modules @$w/ko"
cmd "kas_alias scan, .ko.xz" "xz -dc -T1 (liblzma)" "$KA scan --vmlinux $V $outs --modules-order $K/modules/modules.order"
cmd "kas_alias nm vmlinux" "nm -n vmlinux (GNU)" "$KA nm $V >OUT/nm"
cmd "kas_alias scan, 1/4 of the modules" - "$KA scan --vmlinux $V $outs @$w/ko.1of4"
cmd "kas_alias scan, 1/2 of the modules" - "$KA scan --vmlinux $V $outs @$w/ko.1of2"

: >"$w/times"
for r in $(seq "$runs"); do
	for i in "${!cmds[@]}"; do
		rm -rf "$w/out"
		sync
		sleep "$settle"
		mkdir "$w/out"
		c=${cmds[$i]//OUT/$w/out}
		/usr/bin/time -o "$w/t" -f "%e %U %S %M" bash -c "$c" || { echo "whole.sh: failed: $c" >&2; exit 1; }
		echo "$i $(cat "$w/t")" >>"$w/times"
		printf 'run %d/%d: %-40s %s\n' "$r" "$runs" "${names[$i]}" "$(cat "$w/t")" >&2
	done
done

{
	echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "Input: $(sed -n 3p "$K/stamp" | cut -d' ' -f1,2), $n modules ($(du -sh "$K/modules-ko" | cut -f1) as .ko, $(du -sh "$K/modules" | cut -f1) as .ko.xz)"
	echo "Command: bench/whole.sh $runs (median of $runs runs each, commands in turn, SETTLE=$settle)"
	echo
	for i in "${!names[@]}"; do printf '%s\t%s\n' "${names[$i]}" "${bases[$i]}"; done >"$w/names"
	python3 - "$w/times" "$w/names" <<'PY'
import statistics, sys
names, bases = zip(*(l.split("\t") for l in open(sys.argv[2]).read().splitlines()))
runs = {}
for line in open(sys.argv[1]):
    i, wall, user, sys_, rss = line.split()
    runs.setdefault(int(i), []).append((float(wall), float(user), float(sys_), int(rss)))
med = {i: [statistics.median(x[k] for x in v) for k in range(4)] for i, v in runs.items()}
print("| run | wall | user | sys | peak RSS | wall ratio |")
print("|---|---|---|---|---|---|")
for i, name in enumerate(names):
    w, u, s, m = med[i]
    ratio = ""
    if bases[i] != "-":
        ratio = f"{w / med[names.index(bases[i])][0]:.2f}x {bases[i]}"
    print(f"| {name} | {w:.2f} s | {u:.2f} s | {s:.2f} s | {m / 1024:.0f} MB | {ratio} |")
PY
} | tee "$w/report"
