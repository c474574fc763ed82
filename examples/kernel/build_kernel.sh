#!/usr/bin/env bash
# Builds Debian's linux-source-6.1 three ways from one tree, for the QEMU test:
#   baseline  no KAS_ALIAS (the kernel users have today)
#   counter   relinked with KAS_ALIAS="kas_alias filter --scheme=counter"
#   tu        relinked with KAS_ALIAS="kas_alias filter" (tu names from --elf)
# The relinks reuse the baseline's objects: only vmlinux and bzImage change.
#
# usage: build_kernel.sh TARBALL PATCH CONFIG_FRAGMENT KAS_ALIAS_BIN OUTDIR
# OUTDIR receives: {baseline,counter,tu}.bzImage, {baseline,counter,tu}.System.map,
# {counter,tu}.vmlinux, configfs.ko, gen_init_cpio, config, build.log.
# Env: KERNEL_JOBS (default 2), KERNEL_WORKDIR (default: a fresh temp dir,
# removed on exit; set it to keep the tree for debugging).
set -euo pipefail

[ $# -eq 5 ] || { echo "usage: $0 TARBALL PATCH CONFIG_FRAGMENT KAS_ALIAS_BIN OUTDIR" >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
TARBALL=$(abspath "$1")
PATCH=$(abspath "$2")
FRAGMENT=$(abspath "$3")
KAS_ALIAS_BIN=$(abspath "$4")
OUT=$(abspath "$5")
JOBS=${KERNEL_JOBS:-2}

if [ ! -s "$TARBALL" ]; then
	echo "build_kernel.sh: no kernel source tarball at $TARBALL" >&2
	echo "build_kernel.sh: run tools/fetch-kernel-source.sh first" >&2
	exit 1
fi
[ -x "$KAS_ALIAS_BIN" ] || { echo "build_kernel.sh: $KAS_ALIAS_BIN is not executable" >&2; exit 1; }

if [ -n "${KERNEL_WORKDIR:-}" ]; then
	W=$KERNEL_WORKDIR
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/kas_alias_kernel.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
mkdir -p "$OUT"
LOG=$OUT/build.log
: >"$LOG"
SECONDS=0
say() { printf '[%4ds] %s\n' "$SECONDS" "$*" | tee -a "$LOG" >&2; }
fail() {
	say "FAILED: $*"
	tail -40 "$LOG" >&2
	exit 1
}

# Reproducible: the version string and banner carry no time, user or host.
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
export KBUILD_BUILD_USER=kas_alias KBUILD_BUILD_HOST=bazel KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC
unset KAS_ALIAS ARCH CROSS_COMPILE KBUILD_OUTPUT MAKEFLAGS MFLAGS

SRC=$W/src
BLD=$W/build
if [ ! -f "$SRC/Makefile" ]; then
	say "extract $(basename "$TARBALL")"
	mkdir -p "$SRC"
	tar -C "$SRC" --strip-components=1 -xJf "$TARBALL"
	say "patch $(basename "$PATCH")"
	(cd "$SRC" && patch -p1 -N -s <"$PATCH") >>"$LOG" 2>&1 || fail "patch does not apply"
fi
MK=(make -C "$SRC" O="$BLD" ARCH=x86_64 -j"$JOBS")

say "configure: tinyconfig + $(basename "$FRAGMENT")"
"${MK[@]}" tinyconfig >>"$LOG" 2>&1 || fail "make tinyconfig"
args=()
while read -r opt val; do
	case "$opt" in '' | '#'*) continue ;; esac
	case "$val" in
	y) args+=(-e "$opt") ;;
	m) args+=(-m "$opt") ;;
	n) args+=(-d "$opt") ;;
	*) fail "bad line in $FRAGMENT: $opt $val" ;;
	esac
done <"$FRAGMENT"
"$SRC/scripts/config" --file "$BLD/.config" "${args[@]}"
"${MK[@]}" olddefconfig >>"$LOG" 2>&1 || fail "make olddefconfig"
# Every option asked for must have survived olddefconfig's dependency rules.
while read -r opt val; do
	case "$opt" in '' | '#'*) continue ;; esac
	if [ "$val" = n ]; then
		! grep -q "^CONFIG_$opt=[ym]" "$BLD/.config" || fail "CONFIG_$opt is still set"
	else
		grep -q "^CONFIG_$opt=$val\$" "$BLD/.config" || fail "CONFIG_$opt is not $val after olddefconfig"
	fi
done <"$FRAGMENT"
cp "$BLD/.config" "$OUT/config"

say "build baseline (no KAS_ALIAS): bzImage modules, -j$JOBS"
"${MK[@]}" bzImage modules >>"$LOG" 2>&1 || fail "baseline build"
! grep -q KASALIAS "$LOG" || fail "baseline build ran the KAS_ALIAS filter"
cp "$BLD/arch/x86/boot/bzImage" "$OUT/baseline.bzImage"
cp "$BLD/System.map" "$OUT/baseline.System.map"
cp "$BLD/fs/configfs/configfs.ko" "$OUT/configfs.ko"
cp "$BLD/usr/gen_init_cpio" "$OUT/gen_init_cpio"

relink() { # VARIANT KAS_ALIAS-command
	say "relink $1: KAS_ALIAS=\"$2\""
	local before
	before=$(grep -c KASALIAS "$LOG" || true)
	"${MK[@]}" KAS_ALIAS="$2" bzImage >>"$LOG" 2>&1 || fail "$1 relink"
	[ "$(grep -c KASALIAS "$LOG")" -gt "$before" ] || fail "$1 relink did not run the filter"
	grep -qF "KAS_ALIAS=\"$2\"" "$BLD/.vmlinux.cmd" || fail "$1: vmlinux not linked with KAS_ALIAS"
	cmp -s "$BLD/System.map" "$OUT/baseline.System.map" && fail "$1: System.map has no alias lines"
	cp "$BLD/arch/x86/boot/bzImage" "$OUT/$1.bzImage"
	cp "$BLD/System.map" "$OUT/$1.System.map"
	cp "$BLD/vmlinux" "$OUT/$1.vmlinux"
}
relink counter "$KAS_ALIAS_BIN filter --scheme=counter"
relink tu "$KAS_ALIAS_BIN filter"
say "done: $(grep -c . "$OUT/tu.System.map") System.map lines (tu), $(grep -c . "$OUT/baseline.System.map") (baseline)"
