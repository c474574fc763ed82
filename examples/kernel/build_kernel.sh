#!/usr/bin/env bash
# Builds a kernel source tarball several ways from one tree, for the QEMU test:
#   baseline   no KAS_ALIAS (the kernel users have today)
#   VARIANT... relinked with KAS_ALIAS="kas_alias filter FLAGS" (--variant)
# The relinks reuse the baseline's objects: only vmlinux and bzImage change.
#
# usage: build_kernel.sh TARBALL PATCH KAS_ALIAS_BIN OUTDIR [--arch x86_64|arm64]
#                        [--llvm SUFFIX] [--signing-key PEM] [--extra-module FILE]...
#                        --config FRAGMENT... --variant NAME=FLAGS...
# FRAGMENT: lines "OPTION y|m|n" or 'OPTION "string"' applied on top of
# tinyconfig, in order. --llvm: build with LLVM=SUFFIX (clang-19, ld.lld-19...
# for -19); gcc otherwise. --signing-key: the module signing key and
# certificate (kbuild's certs/signing_key.pem layout), copied into the build
# tree as kas_alias_signing_key.pem, where a fragment's MODULE_SIG_KEY names it.
# --extra-module: the Kbuild and sources of one out-of-tree module, built
# against the baseline tree (OUTDIR/<its obj-m>.ko).
# OUTDIR receives: baseline.IMAGE, baseline.System.map, and per variant
# NAME.IMAGE, NAME.System.map, NAME.vmlinux (IMAGE: bzImage on x86_64, Image
# on arm64); configfs.ko, gen_init_cpio, config, build.log; with
# --signing-key also the kernel's own sign-file.
# Env: KERNEL_JOBS (default 2), KERNEL_WORKDIR (default: a fresh temp dir,
# removed on exit; set it to keep the tree for debugging).
set -euo pipefail

usage() { echo "usage: $0 TARBALL PATCH KAS_ALIAS_BIN OUTDIR --config FRAGMENT... --variant NAME=FLAGS..." >&2; exit 2; }
[ $# -ge 4 ] || usage
ARCH_=x86_64 LLVM_="" KEY="" EXTRA=()
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
TARBALL=$(abspath "$1")
PATCH=$(abspath "$2")
KAS_ALIAS_BIN=$(abspath "$3")
OUT=$(abspath "$4")
shift 4
FRAGMENTS=() VARIANTS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--config) FRAGMENTS+=("$(abspath "$2")") ;;
	--variant) VARIANTS+=("$2") ;;
	--arch) ARCH_=$2 ;;
	--llvm) LLVM_=$2 ;;
	--signing-key) KEY=$(abspath "$2") ;;
	--extra-module) EXTRA+=("$(abspath "$2")") ;;
	*) usage ;;
	esac
	shift 2 || usage
done
[ ${#FRAGMENTS[@]} -gt 0 ] || usage
JOBS=${KERNEL_JOBS:-2}
case "$ARCH_" in
x86_64) IMAGE=bzImage IMAGE_PATH=arch/x86/boot/bzImage ;;
arm64) IMAGE=Image IMAGE_PATH=arch/arm64/boot/Image ;;
*) echo "build_kernel.sh: --arch $ARCH_: x86_64 or arm64" >&2; exit 2 ;;
esac

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
# The scratch directory's name stays out of the binaries: DWARF names units
# relative to the source tree (kernel/kallsyms.c), as Debian's kernels do.
PREFIX_MAP="-fdebug-prefix-map=$SRC/= -fdebug-prefix-map=$BLD=."
MK=(make -C "$SRC" O="$BLD" ARCH="$ARCH_" ${LLVM_:+LLVM="$LLVM_"} -j"$JOBS" KCFLAGS="$PREFIX_MAP" KAFLAGS="$PREFIX_MAP")
mkdir -p "$BLD"
[ -z "$KEY" ] || cp "$KEY" "$BLD/kas_alias_signing_key.pem"

say "configure: tinyconfig + ${FRAGMENTS[*]##*/}"
"${MK[@]}" tinyconfig >>"$LOG" 2>&1 || fail "make tinyconfig"
# OPTION VALUE lines of all fragments, the last one for an option winning.
awk '$1 !~ /^#/ && NF == 2 { v[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; o[n++] = $1 } }
     END { for (i = 0; i < n; i++) print o[i], v[o[i]] }' "${FRAGMENTS[@]}" >"$W/options"
args=()
while read -r opt val; do
	case "$val" in
	y) args+=(-e "$opt") ;;
	m) args+=(-m "$opt") ;;
	n) args+=(-d "$opt") ;;
	\"*\") v=${val#\"} && args+=(--set-str "$opt" "${v%\"}") ;;
	*) fail "bad config line: $opt $val" ;;
	esac
done <"$W/options"
"$SRC/scripts/config" --file "$BLD/.config" "${args[@]}"
"${MK[@]}" olddefconfig >>"$LOG" 2>&1 || fail "make olddefconfig"
# Every option asked for must have survived olddefconfig's dependency rules.
while read -r opt val; do
	if [ "$val" = n ]; then
		! grep -q "^CONFIG_$opt=[ym]" "$BLD/.config" || fail "CONFIG_$opt is still set"
	else
		grep -q "^CONFIG_$opt=$val\$" "$BLD/.config" || fail "CONFIG_$opt is not $val after olddefconfig"
	fi
done <"$W/options"
cp "$BLD/.config" "$OUT/config"

say "build baseline (no KAS_ALIAS): $ARCH_ ${LLVM_:+LLVM=$LLVM_ }$IMAGE modules, -j$JOBS"
"${MK[@]}" "$IMAGE" modules >>"$LOG" 2>&1 || fail "baseline build"
! grep -q KASALIAS "$LOG" || fail "baseline build ran the KAS_ALIAS filter"
cp "$BLD/$IMAGE_PATH" "$OUT/baseline.$IMAGE"
[ -z "$KEY" ] || cp "$BLD/scripts/sign-file" "$OUT/sign-file"
if [ ${#EXTRA[@]} -gt 0 ]; then
	say "build the out-of-tree module of ${EXTRA[*]##*/}"
	# Inside the build tree, so that DWARF names its units by the prefix map.
	X=$BLD/extra_module
	rm -rf "$X" && mkdir -p "$X" && cp "${EXTRA[@]}" "$X/"
	"${MK[@]}" M="$X" modules >>"$LOG" 2>&1 || fail "out-of-tree module build"
	for m in $(sed -n 's/^obj-m *:= *\(.*\)\.o$/\1/p' "$X/Kbuild"); do
		cp "$X/$m.ko" "$OUT/$m.ko"
	done
fi
cp "$BLD/System.map" "$OUT/baseline.System.map"
cp "$BLD/fs/configfs/configfs.ko" "$OUT/configfs.ko"
cp "$BLD/usr/gen_init_cpio" "$OUT/gen_init_cpio"

relink() { # VARIANT KAS_ALIAS-command
	say "relink $1: KAS_ALIAS=\"$2\""
	local before
	before=$(grep -c KASALIAS "$LOG" || true)
	"${MK[@]}" KAS_ALIAS="$2" "$IMAGE" >>"$LOG" 2>&1 || fail "$1 relink"
	[ "$(grep -c KASALIAS "$LOG")" -gt "$before" ] || fail "$1 relink did not run the filter"
	grep -qF "KAS_ALIAS=\"$2\"" "$BLD/.vmlinux.cmd" || fail "$1: vmlinux not linked with KAS_ALIAS"
	cmp -s "$BLD/System.map" "$OUT/baseline.System.map" && fail "$1: System.map has no alias lines"
	cp "$BLD/$IMAGE_PATH" "$OUT/$1.$IMAGE"
	cp "$BLD/System.map" "$OUT/$1.System.map"
	cp "$BLD/vmlinux" "$OUT/$1.vmlinux"
}
for v in "${VARIANTS[@]}"; do
	name=${v%%=*} flags=${v#*=}
	relink "$name" "$KAS_ALIAS_BIN filter${flags:+ $flags}"
done
say "done: System.map lines: $(wc -l "$OUT"/*.System.map | sed '$d' | awk '{ printf "%s %s  ", $2, $1 }' | sed "s|$OUT/||g")"
