#!/usr/bin/env bash
# Checks the alias map's traceable column of an x86_64 kernel against what
# binutils shows, computed without kas_alias:
#   usage: tests/traceable/oracle.sh VMLINUX MAP.tsv [MODULE_DIR [EVERY]]
# VMLINUX is the kernel the map was made from (a -dbg vmlinux), MAP.tsv its
# map (kas_alias scan --map-tsv), MODULE_DIR the directory of the scanned
# modules, uncompressed, the map's object names relative to it by basename;
# EVERY (default 10): check the module aliases of every EVERY-th module.
#
# Oracle, by the kernel's rules (docs/alias-map.md):
#   init:      the address is in _sinittext.._einittext, or outside
#              _stext.._etext but in __init_begin..__init_end (nm);
#   blacklist: a _kprobe_blacklist word equals the address (objdump -s of
#              __start_kprobe_blacklist..__stop_kprobe_blacklist), or it is in
#              __kprobes_text, __noinstr_text or __entry_text (nm); in a
#              module: in .kprobes.text or .noinstr.text, or named by a
#              .rela_kprobe_blacklist entry (readelf -r);
#   notrace:   neither of the function's first two instructions calls
#              __fentry__ (objdump -d; -dr for modules), the ENDBR64-aware
#              form of "no __mcount_loc entry in the function";
#   a name "foo.part.0" also takes foo's blacklist entry and foo's
#   __fentry__ call, foo being nm's lowest-addressed vmlinux symbol of that
#   name, else the module's own (a module alias the map calls unknown
#   because vmlinux has no foo is counted, not checked: which module's foo
#   the kernel finds depends on the modules loaded).
# Prints one line per disagreement and a summary; exit 1 if any disagree.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
VMLINUX=$1 MAP=$2 MODDIR=${3:-} EVERY=${4:-10}
for t in nm objdump readelf awk; do
	command -v "$t" >/dev/null || { echo "oracle.sh: $t is not installed" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# First (call) instruction lines after each function label: the labels whose
# first or second instruction calls __fentry__ (or whose relocation names it).
fentry() { # [-r] FILE: prints SECTION ADDRESS per traced label
	objdump -d --no-show-raw-insn "$@" | awk '
		/^Disassembly of section / { sec = $4; sub(/:$/, "", sec); next }
		/^[0-9a-f]+ <.*>:$/ { a = $1; n = 0; next }
		a != "" && n < 3 { n++; if ($0 ~ /__fentry__/) { print sec, a; a = "" } else if (n == 3) a = "" }'
}

nm -n --defined-only "$VMLINUX" >"$tmp/nm"
fentry "$VMLINUX" >"$tmp/vm.fentry"
sym() { awk -v n="$1" '$3 == n { print $1; exit }' "$tmp/nm"; }
bs=$(sym __start_kprobe_blacklist) be=$(sym __stop_kprobe_blacklist)
: >"$tmp/vm.nokprobe"
if [ -n "$bs" ] && [ "$bs" != "$be" ]; then
	# objdump -s prints four 4-byte groups a line, in memory order: two
	# groups make one little-endian address.
	objdump -s --start-address="0x$bs" --stop-address="0x$be" "$VMLINUX" | awk '
		function le(h,  i, r) { r = ""; for (i = 15; i >= 1; i -= 2) r = r substr(h, i, 2); return r }
		/^ [0-9a-f]+ / { print le($2 $3); if ($4 != "") print le($4 $5) }' >"$tmp/vm.nokprobe"
fi
{
	for n in _sinittext _einittext _stext _etext __init_begin __init_end \
		__kprobes_text_start __kprobes_text_end __noinstr_text_start __noinstr_text_end \
		__entry_text_start __entry_text_end; do
		echo "$n $(sym $n)"
	done
} >"$tmp/vm.bounds"

awk -F'\t' -v tmp="$tmp" '
	BEGIN {
		while ((getline l < (tmp "/vm.bounds")) > 0) { split(l, f, " "); b[f[1]] = f[2] }
		while ((getline l < (tmp "/vm.fentry")) > 0) { split(l, f, " "); traced[f[2]] = 1 }
		while ((getline l < (tmp "/vm.nokprobe")) > 0) nokprobe[l] = 1
		while ((getline l < (tmp "/nm")) > 0) { split(l, f, " "); if (!(f[3] in first)) first[f[3]] = f[1] }
	}
	function in_(a, s, e) { return b[s] != "" && (a "") >= b[s] && (a "") < b[e] }
	function freed(a) { return in_(a, "_sinittext", "_einittext") || (!in_(a, "_stext", "_etext") && in_(a, "__init_begin", "__init_end")) }
	function black(a) {
		return (a in nokprobe) || in_(a, "__kprobes_text_start", "__kprobes_text_end") ||
			in_(a, "__noinstr_text_start", "__noinstr_text_end") || in_(a, "__entry_text_start", "__entry_text_end") ||
			(b["_stext"] != "" && !in_(a, "_stext", "_etext") && !freed(a))
	}
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$(col["object"]) != "vmlinux" || $(col["kprobe"]) == "" { next }
	{
		a = $(col["value"]); name = $(col["name"]); p = ""
		if (index(name, ".") > 0) p = first[substr(name, 1, index(name, ".") - 1)]
		if (freed(a)) want = "init"
		else if (black(a) || (p != "" && black(p))) want = "blacklist"
		else if (!(a in traced) && (index(name, ".") == 0 || p == "" || !(p in traced) || freed(p))) want = "notrace"
		else want = "yes"
		n[want]++
		if (want != $(col["traceable"])) { bad++; print "vmlinux " $1 " at " a ": map says " $(col["traceable"]) ", binutils " want }
	}
	END {
		printf "vmlinux: %d aliases checked (yes %d, notrace %d, init %d, blacklist %d), %d disagree\n",
			n["yes"] + n["notrace"] + n["init"] + n["blacklist"], n["yes"], n["notrace"], n["init"], n["blacklist"], bad
		exit bad > 0
	}' "$MAP" || status=1

[ -n "$MODDIR" ] || exit "${status:-0}"

# Modules: every EVERY-th module of the map that has aliases.
awk -F'\t' 'NR > 1 && $3 != "vmlinux" && !seen[$3]++ { print $3 }' "$MAP" | awk -v e="$EVERY" '(NR - 1) % e == 0' >"$tmp/mods"
total=0 bad=0 undecided=0
while read -r mod; do
	ko=$(find "$MODDIR" -name "$mod" -print -quit)
	[ -n "$ko" ] || { echo "oracle.sh: $mod is not under $MODDIR" >&2; exit 1; }
	fentry -r "$ko" >"$tmp/mod.fentry"
	# ".rela_kprobe_blacklist": OFFSET INFO TYPE VALUE SECTION + ADDEND, the
	# section symbol's value 0: SECTION ADDEND, as 16 hex digits.
	readelf -rW "$ko" | awk '
		/^Relocation section / { on = ($3 == "\x27.rela_kprobe_blacklist\x27"); next }
		on && NF == 7 && $6 == "+" { a = sprintf("%16s", $7); gsub(/ /, "0", a); print $5, a }' >"$tmp/mod.nokprobe"
	# objdump -t: "VALUE FLAGS SECTION<tab>SIZE NAME"; NAME SECTION VALUE.
	objdump -t "$ko" | awk -F'\t' 'NF == 2 { n = split($1, a, " "); split($2, b, " "); print b[2], a[n], a[1] }' >"$tmp/mod.nm"
	out=$(awk -F'\t' -v tmp="$tmp" -v mod="$mod" '
		BEGIN {
			while ((getline l < (tmp "/mod.fentry")) > 0) { split(l, f, " "); traced[f[1] " " f[2]] = 1 }
			while ((getline l < (tmp "/mod.nokprobe")) > 0) nokprobe[l] = 1
			while ((getline l < (tmp "/vm.fentry")) > 0) { split(l, f, " "); vtraced[f[2]] = 1 }
			while ((getline l < (tmp "/nm")) > 0) { split(l, f, " "); if (!(f[3] in vfirst)) vfirst[f[3]] = f[1] }
			while ((getline l < (tmp "/mod.nm")) > 0) { split(l, f, " "); if (!(f[1] in mfirst)) mfirst[f[1]] = f[2] " " f[3] }
		}
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$(col["object"]) != mod || $(col["type"]) !~ /^[tTW]$/ { next }
		{
			sec = $(col["section"]); a = $(col["value"]); name = $(col["name"])
			want = "yes"
			if (sec == ".kprobes.text" || sec == ".noinstr.text" || ((sec " " a) in nokprobe)) want = "blacklist"
			else if (!((sec " " a) in traced)) {
				want = "notrace"
				if (index(name, ".") > 0) {
					p = substr(name, 1, index(name, ".") - 1)
					if (p in vfirst) {
						if (vfirst[p] in vtraced) want = "yes"
					} else if ($(col["traceable"]) == "unknown") {
						undecided++ # another loaded module may have a p: not decided here
						next
					} else if ((p in mfirst) && (mfirst[p] in traced)) want = "yes"
				}
			}
			n++
			if (want != $(col["traceable"])) { bad++; print mod " " $1 " at " sec "+" a ": map says " $(col["traceable"]) ", binutils " want }
		}
		END { print "COUNT", n + 0, bad + 0, undecided + 0 }' "$MAP")
	printf '%s\n' "$out" | grep -v '^COUNT' || true
	set -- $(printf '%s\n' "$out" | grep '^COUNT')
	total=$((total + $2)) bad=$((bad + $3)) undecided=$((undecided + $4))
done <"$tmp/mods"
echo "modules: $(wc -l <"$tmp/mods") modules, $total aliases checked, $bad disagree ($undecided unknown where the parent of a foo.part name is in modules only, not checked)"
[ "$bad" = 0 ] || status=1
exit "${status:-0}"
