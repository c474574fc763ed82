#!/bin/busybox sh
# /init of the kas_alias QEMU test (examples/kernel). Every check prints one
# "KAS_E2E: PASS <check> ..." or "KAS_E2E: FAIL <check> ..." line on the
# serial console; boot_test.sh counts them. Data from pack_initramfs.sh:
#   /etc/kas/mode        alias | baseline
#   /etc/kas/name        a name duplicated in vmlinux (s_show)
#   /etc/kas/probes      one line per copy: ALIAS TEXT_OFFSET TRIGGER_FILE
#                        TRACEABLE (ALIAS is - for baseline; TRIGGER_FILE -
#                        if none; TRACEABLE the alias map's column)
#   /etc/kas/modprobes   one line per module alias: MODULE ALIAS NAME
#                        TRACEABLE TRIGGER_FILE
#   /etc/kas/llvm        one line per alias of a ThinLTO-promoted static:
#                        ALIAS NAME.llvm.DIGITS
#   /lib/unsigned/*.ko   modules without a signature, and
#   /lib/tampered/*.ko   signed ones changed after signing (kernels enforcing
#                        module signatures only)
#   /etc/kas/traceable_check.sh, /etc/kas/map.tsv, /bin/kas_alias  (some
#                        kernels) the map's traceable column and kas_alias
#                        resolve checked against this kernel
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
T=/sys/kernel/tracing
K=/etc/kas
MODE=$(cat $K/mode)
NAME=$(cat $K/name)
say() { echo "KAS_E2E: $*"; }
check() { # NAME DETAIL CONDITION...: PASS if the condition command succeeds
	c=$1 d=$2
	shift 2
	if "$@"; then say "PASS $c $d"; else say "FAIL $c $d"; fi
}
# hits_in SNAPSHOT EVENT: NHIT of EVENT in a saved copy of kprobe_profile's
# first two columns (EVENT NHIT).
hits_in() { echo "$1" | awk -v e="$2" '$1 == e { print $2 }'; }
# expect_probe ACCEPTED REFUSED EVENT SPEC TRACEABLE: defines kprobe EVENT
# at SPEC, which the kernel must accept where the map says TRACEABLE "yes"
# (PASS ACCEPTED) and refuse where it says why not (PASS REFUSED).
expect_probe() {
	if echo "p:kprobes/$3 $4" >>$T/kprobe_events 2>/tmp/err; then
		if [ "$5" = yes ]; then say "PASS $1 $3 $4"; else say "FAIL $2 $3 $4: accepted, the map says $5"; fi
	elif [ "$5" = yes ]; then
		say "FAIL $1 $3 $4: $(cat /tmp/err)"
	else
		say "PASS $2 $3 $4 ($5): $(cat /tmp/err)"
	fi
}

echo
say "BOOTED mode=$MODE kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
[ -d $T/events ] || say "FAIL tracefs not mounted"
grep " $NAME\$" /proc/kallsyms | sed 's/^/KAS_E2E: INFO kallsyms /'

# 1. The duplicated name's copies and, on an aliased kernel, their aliases.
addrs=$(awk -v n="$NAME" '$3 == n { print $1 }' /proc/kallsyms)
ncopies=$(echo "$addrs" | grep -c .)
nprobes=$(grep -c . $K/probes)
check copies "$NAME: $ncopies in /proc/kallsyms, $nprobes in the alias map" [ "$ncopies" -ge 2 -a "$ncopies" = "$nprobes" ]
if [ "$MODE" = alias ]; then
	while read -r alias off trig tr; do
		line=$(awk -v a="$alias" '$3 == a' /proc/kallsyms)
		say "INFO kallsyms $line"
		addr=${line%% *}
		check kallsyms-alias "$alias at ${addr:-nowhere}" \
			sh -c "[ -n '$addr' ] && echo '$addrs' | grep -qx '$addr'"
	done <$K/probes
fi

# 2. A kprobe on the plain name is refused (6.1.192: "symbol is not unique").
echo >$T/error_log 2>/dev/null
if echo "p:kprobes/plain $NAME" >>$T/kprobe_events 2>/tmp/err; then
	say "FAIL plain-refused kprobe on '$NAME' was accepted"
	echo "-:kprobes/plain" >>$T/kprobe_events
else
	say "PASS plain-refused '$NAME': $(cat /tmp/err)"
fi
sed 's/^/KAS_E2E: INFO error_log /' $T/error_log 2>/dev/null | head -3

# 3. A kprobe on each alias (aliased kernel) or on each _text+OFFSET from the
#    alias map (kernel without aliases) is accepted where the map says
#    traceable "yes", and refused where it says why not (notrace...).
i=0
while read -r alias off trig tr; do
	i=$((i + 1))
	spec=$alias
	[ "$MODE" = alias ] || spec=$off
	expect_probe probe-accepted probe-refused "kas$i" "$spec" "$tr"
done <$K/probes
sed 's/^/KAS_E2E: INFO kprobe_events /' $T/kprobe_events

# 4. Each probe fires for its own function only: reading TRIGGER_FILE runs
#    exactly one of the copies. tracing_on=0: hits are still counted in
#    kprobe_profile, nothing is recorded (reading "trace" stays quiet).
echo 0 >$T/tracing_on
echo 1 >$T/events/kprobes/enable
i=0
while read -r alias off trig tr; do
	i=$((i + 1))
	[ "$tr" = yes ] || continue
	[ "$trig" != - ] || { say "INFO fires kas$i: no trigger known"; continue; }
	before=$(awk '{ print $1, $2 }' $T/kprobe_profile)
	cat "$trig" >/dev/null
	after=$(awk '{ print $1, $2 }' $T/kprobe_profile)
	own=0 others=0
	j=0
	while read -r a2 o2 t2 r2; do
		j=$((j + 1))
		b=$(hits_in "$before" "kas$j")
		a=$(hits_in "$after" "kas$j")
		d=$((${a:-0} - ${b:-0}))
		if [ $j = $i ]; then own=$d; else others=$((others + d)); fi
	done <$K/probes
	check fires "kas$i ${alias} ${off} on reading $trig: own +$own, others +$others" \
		sh -c "[ $own -gt 0 ] && [ $others = 0 ]"
done <$K/probes
sed 's/^ */KAS_E2E: INFO kprobe_profile /' $T/kprobe_profile
echo 0 >$T/events/kprobes/enable
echo 1 >$T/tracing_on
echo >$T/kprobe_events

# 5. Statics ThinLTO renamed NAME.llvm.DIGITS: their alias, made from NAME,
#    is listed at the renamed symbol's address and can be probed.
i=0
while read -r alias orig; do
	i=$((i + 1))
	oaddr=$(awk -v n="$orig" '$3 == n { print $1 }' /proc/kallsyms)
	addr=$(awk -v n="$alias" '$3 == n { print $1 }' /proc/kallsyms)
	if [ -n "$addr" ] && [ "$addr" = "$oaddr" ] && echo "p:kprobes/llvm$i $alias" >>$T/kprobe_events 2>/tmp/err; then
		say "PASS llvm-alias $alias at $addr, the address of $orig; probe accepted"
	else
		say "FAIL llvm-alias $alias at ${addr:-nowhere}, $orig at ${oaddr:-nowhere}: $(cat /tmp/err 2>/dev/null)"
	fi
done <$K/llvm
echo >$T/kprobe_events

# 6. Modules rewritten by the rules: with signatures enforced, a module
#    without one is refused and the rules' signed one loads; its aliases are
#    listed after insmod, can be probed, and the probes fire.
for ko in /lib/tampered/*.ko; do
	[ -e "$ko" ] || continue
	if insmod "$ko" 2>/tmp/err; then
		say "FAIL sig-tampered $ko (one byte changed after signing) was loaded"
		rmmod "$(basename "$ko" .ko)"
	else
		check sig-tampered "$ko (one byte changed after signing) refused: $(cat /tmp/err)" \
			grep -q 'Key was rejected' /tmp/err
	fi
done
for ko in /lib/unsigned/*.ko; do
	[ -e "$ko" ] || continue
	enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)
	if insmod "$ko" 2>/tmp/err; then
		say "FAIL sig-enforced $ko (no signature) was loaded; sig_enforce=$enforce"
		rmmod "$(basename "$ko" .ko)"
	else
		# EKEYREJECTED: refused for its (missing) signature, not otherwise.
		check sig-enforced "$ko (no signature) refused: $(cat /tmp/err); sig_enforce=$enforce" \
			sh -c "[ '$enforce' = Y ] && grep -q 'Key was rejected' /tmp/err"
	fi
done
if [ "$MODE" = alias ]; then
	for ko in /lib/modules/*.ko; do
		check insmod "$ko" insmod "$ko"
	done
	i=0
	while read -r mod alias name tr trig; do
		i=$((i + 1))
		line=$(grep -E " $alias[[:space:]]+\[$mod\]\$" /proc/kallsyms)
		say "INFO kallsyms $line"
		addr=${line%% *}
		# The alias is at the address of one of the module's copies of NAME.
		check module-kallsyms "$mod:$alias at ${addr:-nowhere}, a copy of $name" \
			sh -c "[ -n '$line' ] && grep -E ' $name[[:space:]]+\[$mod\]\$' /proc/kallsyms | grep -q '^$addr '"
		spec=$mod:$alias
		# A spec with both '/' and ':' is taken for a uprobe (PATH:OFFSET):
		# an alias with a path in it is probed unqualified (it is unique).
		[ "${alias#*/}" = "$alias" ] || spec=$alias
		expect_probe module-probe module-probe-refused "mod$i" "$spec" "$tr"
	done <$K/modprobes
	sed 's/^/KAS_E2E: INFO kprobe_events /' $T/kprobe_events
	# Each module probe with a trigger fires on reading it, and no other
	# module probe with a trigger does; configfs's own work (mount, list,
	# unmount) must fire at least one of the others.
	if grep -q '^p:kprobes/mod' $T/kprobe_events; then
		echo 0 >$T/tracing_on
		echo 1 >$T/events/kprobes/enable
		i=0
		while read -r mod alias name tr trig; do
			i=$((i + 1))
			[ "$tr" = yes ] && [ "$trig" != - ] || continue
			before=$(awk '{ print $1, $2 }' $T/kprobe_profile)
			cat "$trig" >/dev/null
			after=$(awk '{ print $1, $2 }' $T/kprobe_profile)
			own=0 others=0 j=0
			while read -r m2 a2 n2 r2 t2; do
				j=$((j + 1))
				[ "$r2" = yes ] && [ "$t2" != - ] || continue
				b=$(hits_in "$before" "mod$j")
				a=$(hits_in "$after" "mod$j")
				d=$((${a:-0} - ${b:-0}))
				if [ $j = $i ]; then own=$d; else others=$((others + d)); fi
			done <$K/modprobes
			check module-fires "mod$i $mod:$alias on reading $trig: own +$own, others +$others" \
				sh -c "[ $own -gt 0 ] && [ $others = 0 ]"
		done <$K/modprobes
		if grep -q '^configfs ' $K/modprobes; then
			mkdir -p /tmp/cfg
			mount -t configfs configfs /tmp/cfg && ls -la /tmp/cfg >/dev/null && umount /tmp/cfg
			fired=$(i=0; while read -r mod alias name tr trig; do
				i=$((i + 1))
				[ "$mod" = configfs ] || continue
				awk -v e="mod$i" -v a="$alias" '$1 == e && $2 > 0 { printf "%s(%s)+%s ", e, a, $2 }' $T/kprobe_profile
			done <$K/modprobes)
			say "INFO module-fires configfs: mounting configfs: ${fired:-no configfs probe fired}"
		fi
		echo 0 >$T/events/kprobes/enable
		echo 1 >$T/tracing_on
		sed 's/^ */KAS_E2E: INFO kprobe_profile /' $T/kprobe_profile
	fi
	echo >$T/kprobe_events
fi

# 7. The map's traceable column and kas_alias resolve, on every code alias of
#    vmlinux and of the modules loaded above (traceable_check.sh).
if [ -x /bin/kas_alias ]; then
	sh $K/traceable_check.sh $K/map.tsv /bin/kas_alias
fi

say "DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
# No ACPI in tinyconfig: poweroff would only halt. -no-reboot makes QEMU exit.
reboot -f
