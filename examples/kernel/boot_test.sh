#!/usr/bin/env bash
# Boots a kernel and initramfs under QEMU (TCG, bounded time) and checks the
# "KAS_E2E:" markers init.sh prints on the serial console.
#
# usage: boot_test.sh MODE BZIMAGE INITRAMFS
#   MODE alias:    copies, kallsyms-alias (one per copy), plain-refused,
#                  probe-accepted (one per copy), fires (>= 2), insmod,
#                  module-kallsyms and module-probe (>= 1 each)
#   MODE baseline: copies, plain-refused, probe-accepted (one per copy),
#                  fires (>= 2)
# and in both, DONE and not a single FAIL.
# Env: BOOT_TIMEOUT (seconds, default 300), QEMU_ACCEL (default tcg).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 MODE BZIMAGE INITRAMFS" >&2; exit 2; }
MODE=$1 KERNEL=$2 INITRD=$3
TIMEOUT=${BOOT_TIMEOUT:-300}
ACCEL=${QEMU_ACCEL:-tcg}
OUTDIR=${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}
mkdir -p "$OUTDIR"
LOG=$OUTDIR/serial.log

command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing: apt-get install qemu-system-x86" >&2; exit 1; }
SECONDS=0
rc=0
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -m 256M -smp 1 \
	-nographic -no-reboot -nic none -monitor none -serial stdio \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4" \
	</dev/null >"$LOG" 2>&1 || rc=$?
echo "qemu ($ACCEL) exit $rc after ${SECONDS}s (limit ${TIMEOUT}s); serial log: $LOG"

# Markers may follow the firmware's escape sequences on the same line.
tr -d '\r' <"$LOG" | grep -ao 'KAS_E2E: .*' | tee "$OUTDIR/markers.txt" || true
M=$OUTDIR/markers.txt
count() { grep -c "^KAS_E2E: $1 " "$M" || true; }
copies=$(sed -n 's/^KAS_E2E: [A-Z]* copies [^:]*: \([0-9]*\) in.*/\1/p' "$M")
fail=0
need() { # CHECK MIN [MAX]
	local n
	n=$(count "PASS $1")
	if [ "$n" -lt "$2" ] || [ "$n" -gt "${3:-$n}" ]; then
		echo "MISSING: PASS $1 x$n, expected ${3:+exactly }$2" >&2
		fail=1
	fi
}
grep -q '^KAS_E2E: BOOTED ' "$M" || { echo "MISSING: BOOTED (kernel or init did not start)" >&2; fail=1; }
need copies 1 1
copies=${copies:-0}
[ "$copies" -ge 2 ] || { echo "MISSING: a duplicated name with >= 2 copies" >&2; fail=1; }
need plain-refused 1 1
need probe-accepted "$copies" "$copies"
need fires 2
if [ "$MODE" = alias ]; then
	need kallsyms-alias "$copies" "$copies"
	need insmod 1
	need module-kallsyms 1
	need module-probe 1
fi
if [ "$(count FAIL)" != 0 ]; then
	echo "FAIL markers:" >&2
	grep '^KAS_E2E: FAIL ' "$M" >&2
	fail=1
fi
grep -q '^KAS_E2E: DONE ' "$M" || { echo "MISSING: DONE (init did not finish; see $LOG)" >&2; fail=1; }
[ "$rc" = 0 ] || { echo "qemu exit status $rc (124: timeout)" >&2; fail=1; }
if [ "$fail" = 0 ]; then
	echo "RESULT: PASS ($MODE: $(count PASS) PASS markers, ${SECONDS}s)"
else
	echo "RESULT: FAIL ($MODE); last lines of the serial log:" >&2
	tail -30 "$LOG" >&2
fi
exit "$fail"
