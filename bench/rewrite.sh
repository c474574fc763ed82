#!/bin/bash
# rewrite.sh: add the planned aliases to all of Debian's 6.1 modules (4,023
# signed .ko files), in one run:
#   ours:    kas_alias rewrite --drop-signature --plan-dir --out-dir, one
#            process for every module (-j 2)
#   objcopy: GNU objcopy --add-symbol ... per module, one process each, two
#            at a time (xargs -P 2), as the kas_alias series ran it
# The plans come from `kas_alias scan --scheme tu`; KAS_ALIAS_BENCH_VOLUME=1
# replaces them with plans aliasing every local function NAME as NAME@alias
# (tests/realdata/check volume-plans), for volume. The objcopy arguments are
# made from the same plans (tests/realdata/check objcopy-args). Medians of RUNS runs
# (hyperfine); the machine and command go with them.
#
#   bench/rewrite.sh [RUNS]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
kernel=$(tools/fetch-debian-kernels.sh 6.1)
vmlinux=$kernel/vmlinux
mods=$kernel/modules
for tool in hyperfine objcopy; do
	command -v $tool >/dev/null || { echo "rewrite.sh: $tool is not installed" >&2; exit 1; }
done

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
go build -o "$w/kas_alias" ./tool/cmd/kas_alias
export LC_ALL=C
sed "s|^|$mods/|" "$mods/modules.order" >"$w/modules"
mkdir -p "$w/plans"

go build -o "$w/check" ./tests/realdata/check
"$w/kas_alias" scan --scheme tu --vmlinux "$vmlinux" --modules-order "$mods/modules.order" --plan-dir "$w/plans"
awk '{ n = $0; sub(/.*\//, "", n); print n "\t" $0 }' "$w/modules" >"$w/names"
source="kas_alias scan --scheme tu"
if [[ ${KAS_ALIAS_BENCH_VOLUME:-0} == 1 ]]; then
	"$w/check" volume-plans -modules "$w/names" -plan-dir "$w/plans" -out "$w/volume" >&2
	rm -rf "$w/plans"
	mv "$w/volume" "$w/plans"
	source="every local function NAME as NAME@alias"
fi
"$w/check" objcopy-args -modules "$w/names" -plan-dir "$w/plans" -out "$w/plans"
aliases=$(python3 -c 'import json, glob, sys; print(sum(len(json.load(open(f))["symbols"] or []) for f in glob.glob(sys.argv[1] + "/*.plan.json")))' "$w/plans")

cat >"$w/objcopy.sh" <<SH
#!/bin/bash
set -euo pipefail
xargs -P 2 -n 1 sh -c 'm=\$(basename "\$0"); objcopy @"$w/plans/\$m.objcopy.rsp" "\$0" "$w/objcopy/\$m"' <"$w/modules"
SH
chmod +x "$w/objcopy.sh"

# Each run writes into a new empty output directory (as under Bazel, which
# deletes an action's old outputs first); old outputs are deleted only at the
# end, so that no run pays for ext4's scan past recently deleted inodes.
hyperfine --warmup 1 --runs "$runs" --export-json "$w/h.json" \
	--prepare "ln -sfn \$(mktemp -d $w/run.XXXXXX) $w/ours; ln -sfn \$(mktemp -d $w/run.XXXXXX) $w/objcopy; sync" \
	-n "kas_alias rewrite" "$w/kas_alias rewrite --drop-signature -j 2 --plan-dir $w/plans --out-dir $w/ours @$w/modules" \
	-n "objcopy --add-symbol per module" "$w/objcopy.sh" >&2

python3 - "$w/h.json" "$runs" "$(nproc)" "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" "$source" "$aliases" "$(wc -l <"$w/modules")" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
base = h[1]["median"]
print(f"Machine: {sys.argv[3]} cores, {sys.argv[4]}; median of {sys.argv[2]} runs (hyperfine), command: bench/rewrite.sh {sys.argv[2]}")
print(f"Input: {sys.argv[7]} modules, {sys.argv[6]} aliases; plans: {sys.argv[5]}")
print()
print("| what | median wall | vs objcopy |")
print("|---|---|---|")
for r in h:
    print(f"| {r['command']} | {r['median']:.2f} s | {r['median']/base:.3f}x |")
PY
