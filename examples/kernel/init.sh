#!/bin/busybox sh
# /init of the kas_alias QEMU test (examples/kernel). Every check prints one
# "KAS_E2E: PASS <check> ..." or "KAS_E2E: FAIL <check> ..." line on the
# serial console; boot_test.sh counts them. Data from pack_initramfs.sh:
#   /etc/kas/mode        alias | baseline
#   /etc/kas/name        a name duplicated in vmlinux (s_show)
#   /etc/kas/probes      one line per copy: ALIAS TEXT_OFFSET TRIGGER_FILE
#                        (ALIAS is - for baseline; TRIGGER_FILE - if none)
#   /etc/kas/modprobes   one line per module alias: MODULE ALIAS NAME
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing
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
# kprobe_profile line: EVENT NHIT NMISS; prints NHIT of event $1.
hits() { awk -v e="$1" '$1 == e { print $2 }' $T/kprobe_profile; }
is_zero() { [ "$1" = 0 ]; }
is_pos() { [ -n "$1" ] && [ "$1" -gt 0 ]; }

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
	while read -r alias off trig; do
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
#    alias map (kernel without aliases) is accepted.
i=0
while read -r alias off trig; do
	i=$((i + 1))
	spec=$alias
	[ "$MODE" = alias ] || spec=$off
	if echo "p:kprobes/kas$i $spec" >>$T/kprobe_events 2>/tmp/err; then
		say "PASS probe-accepted kas$i $spec"
	else
		say "FAIL probe-accepted kas$i $spec: $(cat /tmp/err)"
	fi
done <$K/probes
sed 's/^/KAS_E2E: INFO kprobe_events /' $T/kprobe_events

# 4. Each probe fires for its own function only: reading TRIGGER_FILE runs
#    exactly one of the copies. tracing_on=0: hits are still counted in
#    kprobe_profile, nothing is recorded (reading "trace" stays quiet).
echo 0 >$T/tracing_on
echo 1 >$T/events/kprobes/enable
i=0
while read -r alias off trig; do
	i=$((i + 1))
	[ "$trig" != - ] || { say "INFO fires kas$i: no trigger known"; continue; }
	before=$(awk '{ print $1, $2 }' $T/kprobe_profile)
	cat "$trig" >/dev/null
	after=$(awk '{ print $1, $2 }' $T/kprobe_profile)
	own=0 others=0
	j=0
	while read -r a2 o2 t2; do
		j=$((j + 1))
		b=$(echo "$before" | awk -v e="kas$j" '$1 == e { print $2 }')
		a=$(echo "$after" | awk -v e="kas$j" '$1 == e { print $2 }')
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

# 5. Modules rewritten by the rules: aliases listed after insmod, probeable.
if [ "$MODE" = alias ]; then
	for ko in /lib/modules/*.ko; do
		check insmod "$ko" insmod "$ko"
	done
	i=0
	while read -r mod alias name; do
		i=$((i + 1))
		line=$(grep -E " $alias[[:space:]]+\[$mod\]\$" /proc/kallsyms)
		say "INFO kallsyms $line"
		addr=${line%% *}
		# The alias is at the address of one of the module's copies of NAME.
		check module-kallsyms "$mod:$alias at ${addr:-nowhere}, a copy of $name" \
			sh -c "[ -n '$line' ] && grep -E ' $name[[:space:]]+\[$mod\]\$' /proc/kallsyms | grep -q '^$addr '"
		if echo "p:kprobes/mod$i $mod:$alias" >>$T/kprobe_events 2>/tmp/err; then
			say "PASS module-probe mod$i $mod:$alias"
		elif [ "${alias#*/}" != "$alias" ] &&
			echo "p:kprobes/mod$i $alias" >>$T/kprobe_events 2>/tmp/err2; then
			# A spec with both '/' and ':' is taken for a uprobe (PATH:OFFSET):
			# an alias with a path in it is probed unqualified (it is unique).
			say "PASS module-probe mod$i $alias (unqualified; $mod:$alias: $(cat /tmp/err))"
		else
			say "FAIL module-probe mod$i $mod:$alias: $(cat /tmp/err)"
		fi
	done <$K/modprobes
	sed 's/^/KAS_E2E: INFO kprobe_events /' $T/kprobe_events
	echo >$T/kprobe_events
fi

say "DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
# No ACPI in tinyconfig: poweroff would only halt. -no-reboot makes QEMU exit.
reboot -f
