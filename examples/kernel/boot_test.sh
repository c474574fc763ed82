#!/usr/bin/env bash
# Boots a kernel and initramfs under QEMU (TCG, bounded time) and checks the
# "KAS_E2E:" markers init.sh prints on the serial console.
#
# usage: boot_test.sh MODE ARCH IMAGE INITRAMFS [--need CHECK=MIN]...
#   MODE alias:    copies, kallsyms-alias (one per copy), plain-refused,
#                  probe-accepted or probe-refused (one per copy, as the
#                  map's traceable column says; >= 1 accepted), fires
#                  (>= 1), insmod, module-kallsyms, module-probe and
#                  module-fires (>= 1 each)
#   MODE baseline: copies, plain-refused, probe-accepted or probe-refused
#                  (one per copy, >= 1 accepted), fires (>= 1)
#   ARCH x86_64 (qemu-system-x86_64, ttyS0) or arm64 (qemu-system-aarch64 -M
#                  virt, ttyAMA0)
#   --need         also at least MIN "PASS CHECK" markers (sig-enforced=1)
# and in all, DONE and not a single FAIL.
# Env: BOOT_TIMEOUT (seconds, default 300), QEMU_ACCEL (default tcg).
set -euo pipefail
usage() { echo "usage: $0 MODE ARCH IMAGE INITRAMFS [--need CHECK=MIN]..." >&2; exit 2; }
[ $# -ge 4 ] || usage
MODE=$1 ARCH=$2 KERNEL=$3 INITRD=$4
shift 4
NEEDS=()
while [ $# -gt 0 ]; do
	[ "$1" = --need ] && [ $# -ge 2 ] || usage
	NEEDS+=("$2")
	shift 2
done
case "$ARCH" in
x86_64) QEMU=(qemu-system-x86_64) CONSOLE=ttyS0 PKG=qemu-system-x86 ;;
arm64) QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a57) CONSOLE=ttyAMA0 PKG=qemu-system-arm ;;
*) usage ;;
esac
TIMEOUT=${BOOT_TIMEOUT:-300}
ACCEL=${QEMU_ACCEL:-tcg}
OUTDIR=${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}
mkdir -p "$OUTDIR"
LOG=$OUTDIR/serial.log

command -v "${QEMU[0]}" >/dev/null || { echo "${QEMU[0]} missing: apt-get install $PKG" >&2; exit 1; }
SECONDS=0
rc=0
timeout --kill-after=10 "$TIMEOUT" "${QEMU[@]}" -accel "$ACCEL" -m 256M -smp 1 \
	-nographic -no-reboot -nic none -monitor none -serial stdio \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=$CONSOLE panic=-1 oops=panic quiet loglevel=4" \
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
need probe-accepted 1
probed=$(($(count "PASS probe-accepted") + $(count "PASS probe-refused")))
[ "$probed" = "$copies" ] || { echo "MISSING: PASS probe-accepted or probe-refused for each of $copies copies: $probed" >&2; fail=1; }
need fires 1
if [ "$MODE" = alias ]; then
	need kallsyms-alias "$copies" "$copies"
	need insmod 1
	need module-kallsyms 1
	need module-probe 1
	need module-fires 1
fi
for n in ${NEEDS[@]+"${NEEDS[@]}"}; do
	need "${n%%=*}" "${n#*=}"
done
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
