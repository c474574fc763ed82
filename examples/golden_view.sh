#!/bin/sh
# golden_view.sh KIND FILE INPUT...: what the tool decided in one of its
# outputs, without the facts of the compiler that made its input, so one
# golden holds for gcc 12 (Bazel 4.2.3 on Debian 12) and gcc 16 (Bazel 7.7.1 in
# the sid root). Those facts are checked against an oracle the tool did not
# compute where one is at hand; a mismatch shows in the view (and so fails its
# golden) instead of being dropped.
#
#   syms LISTING          an `nm -n` listing with alias lines: each address becomes
#                         aN, N counting distinct addresses in order (an alias line
#                         shares its original's aN); undefined symbols get "-"
#   map_tsv MAP LISTING   the alias map: a vmlinux value as the listing's aN, a
#   map_json MAP LISTING  _text+0xOFF probe location as _text+(aN), the aN it lands
#                         on; a module's value is its plan's (checked there)
#   plan PLAN MODULE MAP  a module's plan: symbols_sha256 checked against the sha256 of
#                         the module's ELF header, section headers, .symtab, its string
#                         table and SHT_SYMTAB_SHNDX (offsets from readelf); each alias's
#                         section, value and size checked against readelf's entry for its
#                         original symbol (named by the map)
#
# Bytes the tool writes are compared in full elsewhere: both Bazels on the same
# input bytes (tests/integration/bazel4_vs_7.sh), and the tool's own goldens.
# Addresses are small here (awk's numbers are doubles).
set -eu
kind="$1"
shift
AWK_LIB='
function fail(msg) { print FILENAME ": " msg > "/dev/stderr"; exit 1 }
function hexval(s,   i, n, c) {
  n = 0
  sub(/^0x/, "", s)
  for (i = 1; i <= length(s); i++) {
    c = index("0123456789abcdef", substr(s, i, 1))
    if (c == 0) return -1
    n = n * 16 + c - 1
  }
  return n
}
function is_hex(s) { return s != "" && s !~ /[^0-9a-f]/ }
# load_listing(file): ord[address text] = aN; at[numeric address] = aN; text_addr.
function load_listing(file,   line, addr, n) {
  while ((getline line < file) > 0) {
    addr = substr(line, 1, 16)
    if (!is_hex(addr) || length(addr) != 16) continue
    if (!(addr in ord)) { ord[addr] = "a" (++n); at[hexval(addr)] = ord[addr] }
    if (substr(line, 18) == "T _text") text_addr = hexval(addr)
  }
  close(file)
}
function probe(loc,   off) {
  if (loc !~ /^_text\+0x/) return loc
  off = hexval(substr(loc, 7))
  if (text_addr == "" || !((text_addr + off) in at)) return loc " (lands on no listed address)"
  return "_text+(" at[text_addr + off] ")"
}
'

case "$kind" in
  syms)
    [ $# = 1 ] || { echo "usage: golden_view.sh syms LISTING" >&2; exit 1; }
    awk "$AWK_LIB"'
      {
        addr = substr($0, 1, 16); rest = substr($0, 17)
        if (rest !~ /^ [A-Za-z] [^ ]+$/) fail("line " NR " is not an nm -n line: " $0)
        if (addr ~ /^ +$/) { print "-" rest; next }
        if (!is_hex(addr) || length(addr) != 16) fail("line " NR " has no 16-digit address: " $0)
        if (!(addr in ord)) ord[addr] = "a" (++n)
        print ord[addr] rest
      }' "$1"
    ;;
  map_tsv)
    [ $# = 2 ] || { echo "usage: golden_view.sh map_tsv MAP LISTING" >&2; exit 1; }
    awk -F '\t' -v OFS='\t' -v listing="$2" "$AWK_LIB"'
      NR == 1 { load_listing(listing); if ($5 != "value" || $9 != "kprobe") fail("header is not the alias map'"'"'s"); print; next }
      $3 == "vmlinux" { if (!($5 in ord)) fail("value " $5 " is no address of the listing"); $5 = ord[$5] }
      $3 != "vmlinux" { $5 = "(in the plan)" }
      { $9 = probe($9); print }' "$1"
    ;;
  map_json)
    [ $# = 2 ] || { echo "usage: golden_view.sh map_json MAP LISTING" >&2; exit 1; }
    awk -v listing="$2" "$AWK_LIB"'
      NR == 1 { load_listing(listing) }
      /^ *"object": / { object = $2 }
      /^ *"value": "/ && object != "\"vmlinux\"," { sub(/"[0-9a-f]+"/, "\"(in the plan)\"") }
      /^ *"value": "/ && object == "\"vmlinux\"," {
        v = $2; gsub(/[",]/, "", v)
        if (!(v in ord)) fail("value " v " is no address of the listing")
        sub(/"[0-9a-f]+"/, "\"" ord[v] "\"")
      }
      /^ *"kprobe": "/ { v = $2; c = v ~ /,$/ ? "," : ""; gsub(/[",]/, "", v); sub(/"[^"]*",?$/, "\"" probe(v) "\"" c) }
      { print }' "$1"
    ;;
  plan)
    [ $# = 3 ] || { echo "usage: golden_view.sh plan PLAN MODULE MAP" >&2; exit 1; }
    # The bytes a plan's identity covers, in file order of their parts.
    eval "$(readelf -hW "$2" | awk -F: '
      /^ *Class:/ { print "hdr=" ($2 ~ /ELF64/ ? 64 : 52) }
      /Start of section headers/ { print "shoff=" $2 + 0 }
      /Size of section headers/ { print "shent=" $2 + 0 }
      /Number of section headers/ { print "shnum=" $2 + 0 }')"
    parts="$(readelf -SW "$2" | sed 's/^ *\[ *\([0-9]*\)\]/\1/' | awk '
      $1 ~ /^[0-9]+$/ { t[$1] = $3; off[$1] = $5; size[$1] = $6; lk[$1] = ($(NF-2)); n = $1 }
      END {
        for (i = 0; i <= n; i++) if (t[i] == "SYMTAB") st = i
        for (i = 0; i <= n; i++) if (i == st || i == lk[st] || (t[i] == "SYMTAB_SHNDX" && lk[i] == st)) print off[i], size[i]
      }')"
    sum="$( { head -c "$hdr" "$2"; tail -c +$((shoff + 1)) "$2" | head -c $((shent * shnum))
      echo "$parts" | while read -r o z; do tail -c +$((0x$o + 1)) "$2" | head -c $((0x$z)); done; } | sha256sum | cut -d' ' -f1)"
    # readelf -sW: "Num: Value Size Type Bind Vis Ndx Name" of every symbol.
    readelf -sW "$2" | awk '$1 ~ /^[0-9]+:$/ && NF == 8 { print $8 "\t" $7 "\t" $2 "\t" $3 }' >"${TMPDIR:-/tmp}/golden_view.$$"
    trap 'rm -f "${TMPDIR:-/tmp}/golden_view.$$"' EXIT
    awk -v sum="$sum" -v module="$(basename "$2")" -v syms="${TMPDIR:-/tmp}/golden_view.$$" -v map="$3" "$AWK_LIB"'
      BEGIN {
        FS = "\t"
        while ((getline line < map) > 0) { split(line, f, "\t"); if (f[3] == module) orig[f[1]] = f[2] }
        while ((getline line < syms) > 0) { split(line, f, "\t"); cand[f[1]] = cand[f[1]] "|" f[2] " " hexval(f[3]) " " f[4] }
        FS = " "
      }
      /^ *"symbols_sha256": "/ {
        v = $2; gsub(/[",]/, "", v)
        if (v == sum) sub(/"[0-9a-f]+"/, "\"(sha256 of the symbol tables of " module ")\"")
        print; next
      }
      /^ *"name": "/ { name = $2; gsub(/[",]/, "", name); print; next }
      /^ *"section": / { sec = $2; sub(/,$/, "", sec); sec_line = $0; next }
      /^ *"value": / { val = $2; sub(/,$/, "", val); val_line = $0; next }
      /^ *"size": / {
        size = $2; sub(/,$/, "", size)
        o = orig[name]
        if (o != "" && index(cand[o] "|", "|" sec " " val " " size "|")) {
          indent = $0; sub(/".*/, "", indent)
          printf "%s\"section\": \"%s'"'"'s\",\n%s\"value\": \"%s'"'"'s\",\n%s\"size\": \"%s'"'"'s\",\n", indent, o, indent, o, indent, o
        } else {
          print sec_line " (not the section, value and size of " (o == "" ? "an original in the map" : o) ")"; print val_line; print
        }
        next
      }
      { print }' "$1"
    ;;
  *)
    echo "golden_view.sh: unknown kind $kind (syms, map_tsv, map_json, plan)" >&2
    exit 1
    ;;
esac
