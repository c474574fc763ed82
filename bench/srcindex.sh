#!/usr/bin/env bash
# Source locations: srcindex vs llvm-addr2line on Debian's 6.1 vmlinux.
# Computes the duplicate addresses (every .symtab symbol nm prints whose name
# is at more than one distinct address), times mmap+Open+Locate of
# tool/srcindex (in-process, median of RUNS) against one llvm-addr2line
# process over the same addresses (median of RUNS), and checks that both give
# the same file:line for every address (paths compared after lexical
# cleaning: llvm keeps "dir/../x").
# Usage: bench/srcindex.sh [vmlinux]   (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}
vmlinux=${1:-$cache/debian-6.1/vmlinux}
runs=${RUNS:-5}
if [ ! -f "$vmlinux" ]; then
	tools/fetch-debian-kernels.sh 6.1 >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/srcindex.test" ./tool/srcindex/
# Addresses first (one untimed run), then llvm-addr2line, then ours.
"$tmp/srcindex.test" -test.run '^$' -test.bench '^BenchmarkKernel$' -test.benchtime 1x -srcindex.image "$vmlinux" \
	-srcindex.addrs "$tmp/addrs" -srcindex.runs 1 >/dev/null
n=$(wc -l <"$tmp/addrs")
llvm-addr2line -e "$vmlinux" <"$tmp/addrs" >/dev/null # warm the page cache
times=()
for _ in $(seq "$runs"); do
	t0=$(date +%s.%N)
	llvm-addr2line -e "$vmlinux" <"$tmp/addrs" >"$tmp/llvm"
	t1=$(date +%s.%N)
	times+=("$(echo "$t1 - $t0" | bc)")
done
llvm_med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
out=$("$tmp/srcindex.test" -test.run '^$' -test.bench '^BenchmarkKernel$' -test.benchtime 1x -srcindex.image "$vmlinux" \
	-srcindex.runs "$runs" -srcindex.llvm "$tmp/llvm")
echo "$out" | grep -v '^PASS$'
ours=$(echo "$out" | sed -n 's/.* median \([0-9.]*\) s.*/\1/p')
echo "llvm-addr2line $(llvm-addr2line --version | sed -n 's/.*LLVM version //p'): $n addresses, median of $runs: $llvm_med s"
echo "srcindex: median of $runs: $ours s; ratio srcindex/llvm-addr2line: $(echo "scale=3; $ours / $llvm_med" | bc)"
