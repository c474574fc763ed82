#!/bin/busybox sh
# In-guest check of the alias map's traceable column and of kas_alias
# resolve, on the booted kernel the map was made for (with or without
# aliases). Prints "KAS_E2E: PASS|FAIL <check> ..." lines like init.sh:
#   traceable  for every code alias of vmlinux and of the loaded modules,
#              the kernel accepts a kprobe on the map's location (its kprobe
#              column) if and only if traceable is "yes" (one PASS line, one
#              FAIL line per disagreement; "unknown" ones are only counted);
#   resolve    "kas_alias resolve" of every "yes" alias, in one run, prints
#              the address the kernel then shows for the probe it gives
#              (/sys/kernel/debug/kprobes/list; 4 bytes further where the
#              kernel steps over an ENDBR64): one PASS line, one FAIL line
#              per disagreement.
# usage: traceable_check.sh MAP.tsv KAS_ALIAS
# Run as root, with tracefs at /sys/kernel/tracing, no kprobe events
# defined, after the modules to check are loaded.
MAP=$1 KAS=$2
T=/sys/kernel/tracing
D=/sys/kernel/debug
W=/tmp/traceable_check
say() { echo "KAS_E2E: $*"; }
[ -r "$MAP" ] && [ -x "$KAS" ] || { say "FAIL traceable usage: traceable_check.sh MAP.tsv KAS_ALIAS"; exit 1; }
mkdir -p $W
[ -e $D/kprobes/list ] || mount -t debugfs debugfs $D 2>/dev/null

# The modules loaded, as kallsyms names them, and the map's code aliases of
# vmlinux and of those: ALIAS SPEC TRACEABLE.
awk '$4 ~ /^\[.*\]$/ { m[substr($4, 2, length($4) - 2)] = 1 } END { for (k in m) print k }' /proc/kallsyms >$W/loaded
awk -F'\t' -v w=$W '
	BEGIN { while ((getline l < (w "/loaded")) > 0) loaded[l] = 1 }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["kprobe"] == "" { next }
	{ mod = $c["kprobe"]; sub(/:.*/, "", mod) }
	$c["object"] == "vmlinux" || (mod in loaded) { print $c["alias"], $c["kprobe"], $c["traceable"] }' "$MAP" >$W/aliases

# 1. traceable: one probe at a time, removed again.
n=0 yes=0 refused=0 unknown=0 bad=0
while read -r alias spec want; do
	n=$((n + 1))
	if echo "p:kprobes/kas_tc $spec" >>$T/kprobe_events 2>$W/err; then
		got=accepted
		echo "-:kprobes/kas_tc" >>$T/kprobe_events
	else
		got="refused ($(cat $W/err))"
	fi
	case "$want:$got" in
	yes:accepted) yes=$((yes + 1)) ;;
	notrace:refused* | init:refused* | blacklist:refused* | insn:refused*) refused=$((refused + 1)) ;;
	unknown:*) unknown=$((unknown + 1)) ;;
	*)
		bad=$((bad + 1))
		say "FAIL traceable $alias $spec: the map says $want, the kernel $got"
		;;
	esac
done <$W/aliases
if [ $n -gt 0 ] && [ $bad = 0 ]; then
	say "PASS traceable $n aliases: $yes yes accepted, $refused refused as the map says, $unknown unknown"
else
	say "FAIL traceable $n aliases: $yes yes accepted, $refused refused as the map says, $unknown unknown, $bad disagree"
fi

# 2. resolve: every yes alias in one run; each kprobe_events line it prints
#    is registered alone, and kprobes/list shows where the kernel put it.
awk '$3 == "yes" { print $1 }' $W/aliases >$W/yes
[ -s $W/yes ] || { say "FAIL resolve: no alias is traceable"; exit 0; }
if ! "$KAS" resolve --map "$MAP" $(cat $W/yes) >$W/resolved 2>$W/err; then
	say "FAIL resolve: $(head -3 $W/err)"
	exit 0
fi
n=0 bad=0
while IFS='	' read -r alias addr events bpf perf; do
	n=$((n + 1))
	if ! echo "$events" >>$T/kprobe_events 2>$W/err; then
		bad=$((bad + 1))
		say "FAIL resolve $alias: the kernel refuses '$events': $(cat $W/err)"
		continue
	fi
	# "ADDR  k  SYM+0xOFF  [MOD] FLAGS": one probe is registered.
	set -- $(head -1 $D/kprobes/list)
	echo "${events%% *}" | sed 's/^p:/-:/' >>$T/kprobe_events
	kaddr=$1 where=$3
	# An ENDBR64 at the entry moves the probe 4 bytes on ("SYM+0x4"):
	# compare the last four hex digits (busybox arithmetic is signed).
	low=$(printf '%04x' $((0x${addr#${addr%????}} + 4)))
	if [ "$kaddr" != "$addr" ] && { [ "${where##*+}" != 0x4 ] || [ "$kaddr" != "${addr%????}$low" ]; }; then
		bad=$((bad + 1))
		say "FAIL resolve $alias: resolve says $addr, the kernel's probe is at $kaddr ($where)"
	fi
done <$W/resolved
if [ $n -gt 0 ] && [ $bad = 0 ]; then
	say "PASS resolve $n aliases at the address the kernel shows"
else
	say "FAIL resolve $n aliases, $bad disagree"
fi
