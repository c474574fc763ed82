#!/usr/bin/env bash
# The README's main command (`make demo`): builds the bundled example (a small
# C "kernel" and two modules with the duplicate names real kernels have),
# aliases it with the rules, and prints the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel build --noshow_progress //examples/basic:aliased
bin="$(bazel info bazel-bin 2>/dev/null)/examples/basic"
printf '\n== vmlinux listing with alias lines (bazel-bin/examples/basic/aliased_symbols.syms), code part:\n'
awk '$2 ~ /^[tT]$/' "$bin/aliased_symbols.syms"
printf '\n== alias map (aliased_symbols.map.tsv):\n'
column -t -s "$(printf '\t')" "$bin/aliased_symbols.map.tsv"
printf '\n== a rewritten module (aliased_modules/configfs.ko), listed by kas_alias nm:\n'
bazel run --noshow_progress //tool/cmd/kas_alias -- nm "$bin/aliased_modules/configfs.ko" 2>/dev/null
