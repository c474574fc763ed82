#!/usr/bin/env bash
# Rebuilds what every golden diff_test under examples/ compares (its file2)
# and copies it over the checked-in golden file (its file1). Review the diff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t tests < <(bazel query --noshow_progress 'attr(name, "^golden_", kind(diff_test, //examples/...))')
outs=()
for t in "${tests[@]}"; do outs+=("$(bazel query --noshow_progress "labels(file2, $t)")"); done
bazel build --noshow_progress "${outs[@]}"
for i in "${!tests[@]}"; do
  golden="$(bazel query --noshow_progress "labels(file1, ${tests[$i]})")"
  golden="${golden#//}"
  out="$(bazel cquery --noshow_progress --output=starlark --starlark:expr='" ".join([f.path for f in target.files.to_list()])' "${outs[$i]}")"
  install -D -m 644 "$out" "${golden/://}"
done
git status --short -- examples
