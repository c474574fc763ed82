#!/bin/sh
# Runs the gazelle that tools/bootstrap.sh built into .bazeldeps/bin (with
# `bazel run //:gazelle`, or directly: tools/gazelle.sh [-mode=diff]). Imports
# of go.mod's modules resolve to the repositories gazelle's go_deps makes
# under bzlmod (@com_github_klauspost_compress//zstd), which bootstrap also
# makes for WORKSPACE mode: .bazeldeps/go_deps/repo_config names them.
# Then MODULE.bazel's use_repo(go_deps, ...) is made to list go.mod's direct
# requirements by those names (with -mode=diff: checked, not written).
set -eu
cd "${BUILD_WORKSPACE_DIRECTORY:-$(dirname "$0")/..}"
status=0
./.bazeldeps/bin/gazelle -repo_root . -external=external -repo_config .bazeldeps/go_deps/repo_config "$@" || status=$?

# go.mod's direct requirements, by the names repo_config gives them.
repos="$(awk '
  FILENAME ~ /repo_config$/ { if (match($0, /name = "[^"]*", importpath = "[^"]*"/)) {
      split(substr($0, RSTART, RLENGTH), f, "\""); name[f[4]] = f[2] } next }
  /^require \(/ { block = 1; next }
  block && /^\)/ { block = 0; next }
  /\/\/ indirect/ { next }
  block { print name[$1] ? name[$1] : "MISSING:" $1; next }
  /^require / { print name[$2] ? name[$2] : "MISSING:" $2 }
' .bazeldeps/go_deps/repo_config go.mod | sort)"
case "$repos" in *MISSING:*)
  echo "gazelle.sh: .bazeldeps/go_deps/repo_config lacks $(echo "$repos" | grep MISSING: | tr '\n' ' '): run tools/bootstrap.sh" >&2
  exit 1 ;;
esac
marker="# go.mod's direct requirements: tools/gazelle.sh writes this use_repo."
grep -qxF "$marker" MODULE.bazel || { echo "gazelle.sh: MODULE.bazel lacks the line: $marker" >&2; exit 1; }
tmp="MODULE.bazel.gazelle.$$"
trap 'rm -f "$tmp"' EXIT
awk -v marker="$marker" -v repos="$repos" '
  skip && $0 == ")" { skip = 0; next }
  skip { next }
  { print }
  $0 == marker {
    print "use_repo(\n    go_deps,"
    n = split(repos, r, "\n"); for (i = 1; i <= n; i++) if (r[i] != "") print "    \"" r[i] "\","
    print ")"
    skip = 1
  }' MODULE.bazel >"$tmp"
if cmp -s "$tmp" MODULE.bazel; then exit "$status"; fi
case " $* " in
  *" -mode=diff "*) diff -u MODULE.bazel "$tmp" || true; exit 1 ;;
  *) mv "$tmp" MODULE.bazel ;;
esac
exit "$status"
