#!/usr/bin/env bash
# Boots a stock distribution kernel under QEMU and runs
# examples/kernel/traceable_check.sh in it: for every code alias of vmlinux
# and of the modules given, the kernel accepts a kprobe on the map's
# location if and only if the map says traceable "yes", and kas_alias
# resolve prints the address where the kernel puts each probe.
#   usage: tests/traceable/boot_stock.sh VMLINUZ MAP.tsv KAS_ALIAS BUSYBOX [MODULE.ko...]
# VMLINUZ: the kernel (Debian: /boot/vmlinuz-VERSION of linux-image-VERSION-unsigned),
# MAP.tsv: the map of its -dbg vmlinux and modules (kas_alias scan --map-tsv),
# KAS_ALIAS: a static kas_alias (go build, CGO_ENABLED=0), BUSYBOX: busybox-static's,
# MODULE.ko: uncompressed modules without dependencies to load first.
# Env: BOOT_TIMEOUT (seconds, default 600), QEMU_ACCEL (default tcg).
# Prints the check's KAS_E2E lines; exit 1 if one is FAIL or one is missing.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '6p' "$0" >&2; exit 2; }
VMLINUZ=$1 MAP=$2 KAS=$3 BUSYBOX=$4
shift 4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for t in qemu-system-x86_64 cpio gzip timeout; do
	command -v $t >/dev/null || { echo "boot_stock.sh: $t is not installed" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
R=$tmp/root
mkdir -p "$R/bin" "$R/etc/kas" "$R/lib/modules" "$R/proc" "$R/sys" "$R/tmp" "$R/dev"
install -m 755 "$BUSYBOX" "$R/bin/busybox"
install -m 755 "$KAS" "$R/bin/kas_alias"
install -m 644 "$MAP" "$R/etc/kas/map.tsv"
install -m 755 "$HERE/../../examples/kernel/traceable_check.sh" "$R/etc/kas/traceable_check.sh"
for ko in "$@"; do install -m 644 "$ko" "$R/lib/modules/"; done
cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
for ko in /lib/modules/*.ko; do
	[ -e "$ko" ] || continue
	insmod "$ko" && echo "KAS_E2E: INFO insmod $ko" || echo "KAS_E2E: FAIL insmod $ko"
done
echo "KAS_E2E: INFO kernel $(uname -r)"
sh /etc/kas/traceable_check.sh /etc/kas/map.tsv /bin/kas_alias
echo "KAS_E2E: DONE"
poweroff -f
EOF
chmod 755 "$R/init"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -n) >"$tmp/initramfs.gz"
log=$tmp/serial.log
rc=0
timeout --kill-after=10 "${BOOT_TIMEOUT:-600}" qemu-system-x86_64 -accel "${QEMU_ACCEL:-tcg}" -m 1G -smp 1 \
	-nographic -no-reboot -nic none -monitor none -serial stdio \
	-kernel "$VMLINUZ" -initrd "$tmp/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3" </dev/null >"$log" 2>&1 || rc=$?
tr -d '\r' <"$log" | grep -ao 'KAS_E2E: .*' >"$tmp/markers" || true
cat "$tmp/markers"
fail=0
grep -q '^KAS_E2E: DONE' "$tmp/markers" || { echo "boot_stock.sh: the guest did not finish (qemu exit $rc); serial log:" >&2; tail -20 "$log" >&2; fail=1; }
for c in traceable resolve; do
	grep -q "^KAS_E2E: PASS $c " "$tmp/markers" || { echo "boot_stock.sh: no PASS $c" >&2; fail=1; }
done
! grep -q '^KAS_E2E: FAIL' "$tmp/markers" || fail=1
exit $fail
