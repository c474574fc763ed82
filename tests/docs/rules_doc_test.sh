#!/usr/bin/env bash
# docs/rules.md is kept by hand: fail when a rule attribute, macro argument
# or provider field of rules/ is not documented in it as a table row.
set -euo pipefail
doc=docs/rules.md
missing=0
check() { # check SECTION NAME
  # The table row "| `NAME` |" must appear under the "## SECTION" heading.
  if ! awk -v sec="## $1" -v row="| \`$2\` |" '
      $0 == sec { in_sec = 1; next }
      /^## / { in_sec = 0 }
      in_sec && index($0, row) == 1 { found = 1 }
      END { exit !found }' "$doc"; then
    echo "docs/rules.md: section \"$1\" does not document \`$2\`"
    missing=1
  fi
}
# Rules: `name = rule(` then attribute keys `"attr": attr.` (private ones start with _).
for f in rules/private/*.bzl; do
  rule=""
  while IFS= read -r line; do
    if [[ "$line" =~ ^([a-z_]+)\ =\ rule\( ]]; then rule="${BASH_REMATCH[1]}"; fi
    if [[ -n "$rule" && "$line" =~ ^\ +\"([a-z][a-z_]*)\":\ attr\. ]]; then check "$rule" "${BASH_REMATCH[1]}"; fi
  done <"$f"
done
# The macro's arguments.
args="$(sed -n '/^def kas_alias(/,/):$/p' rules/private/kas_alias.bzl | grep -oE '^ +[a-z_*]+' | tr -d ' ')"
for a in $args; do check kas_alias "$a"; done
# Provider fields: `NameInfo = provider(` then `"field": "doc"`.
for f in rules/providers.bzl rules/private/toolchain.bzl; do
  prov=""
  while IFS= read -r line; do
    if [[ "$line" =~ ^([A-Za-z]+Info)\ =\ provider\( ]]; then prov="${BASH_REMATCH[1]}"; fi
    if [[ -n "$prov" && "$line" =~ ^\ +\"([a-z_]+)\":\ \" ]]; then check "$prov" "${BASH_REMATCH[1]}"; fi
  done <"$f"
done
[ "$missing" = 0 ] && echo "docs/rules.md documents every attribute, argument and field"
exit "$missing"
