#!/usr/bin/env bash
# fetch-debian-kernels.sh: Debian 12's amd64 kernels 6.1 and 6.12 (the -dbg
# vmlinux and every module) in the cache outside the repository, for the
# real-data step of `make test` (tests/realdata/run.sh) and the benchmarks
# (bench/). Idempotent, stamped and atomic: a kernel directory appears
# complete, with its stamp, or not at all, and a second run only compares
# stamps with what apt offers.
#
#   tools/fetch-debian-kernels.sh [6.1] [6.12]      (default: both)
#
# Prints the directory of each kernel asked for, one a line, in argument order:
#   ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/debian-<series>/
#     vmlinux System.map the -dbg package's (vmlinux with .symtab and DWARF)
#     config vmlinuz     the -unsigned package's (vmlinuz: the bootable image,
#                        for the boot of the stock kernel in tests/realdata)
#     modules/           its lib/modules/<abi>/ as shipped (6.1 .ko, 6.12 .ko.xz),
#                        with modules.order, modules.builtin, modules.builtin.modinfo
#     modules-ko/        6.12 only: the same tree with every .ko.xz decompressed to .ko
#     stamp              the packages (name, version, size, SHA256) and the layout
#
# Which ABI: the highest (sort -V) for which apt offers both
# linux-image-<abi>-amd64-dbg and linux-image-<abi>-amd64-unsigned in one
# version (6.1: <abi> = 6.1.0-N from bookworm and bookworm-security; 6.12:
# 6.12.N+deb12 from bookworm-security). KAS_ALIAS_DEBIAN_6_1 or
# KAS_ALIAS_DEBIAN_6_12 names an ABI instead (e.g. 6.1.0-56). The choice goes
# to stderr and into the stamp; when apt offers a newer one, the next run
# replaces the cached kernel.
#
# Downloads go through apt-get download only (which checks each .deb against
# the signed archive index) into a temporary directory that is removed once
# extracted: the cache keeps the extracted files, not the 2 GB of packages.
# Needs apt-get, ar (binutils), xz, tar.
set -euo pipefail

CACHE=${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}
LAYOUT=3 # bump when what a kernel directory holds changes
log() { printf 'fetch-debian-kernels: %s\n' "$*" >&2; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
die() { log "$*"; exit 1; }

series=("$@")
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)
for s in "${series[@]}"; do
	case $s in 6.1 | 6.12) ;; *) die "unknown kernel series '$s' (6.1 or 6.12)" ;; esac
done
for t in apt-get apt-cache ar xz tar flock; do
	command -v $t >/dev/null || die "$t is not installed (tools/bootstrap.sh installs it)"
done
mkdir -p "$CACHE"
# One fetch at a time per cache (the benchmarks and the tests share it).
exec 9>"$CACHE/.fetch-debian-kernels.lock"
flock 9

# abis SERIES: the ABIs apt offers for SERIES, both packages present
# ($names: apt's linux-image-6.* package names).
abis() {
	local re
	case $1 in
	6.1) re='6\.1\.0-[0-9]+' ;;
	6.12) re='6\.12\.[0-9]+\+deb12' ;;
	esac
	sed -nE "s/^linux-image-($re)-amd64-(dbg|unsigned)\$/\1 \2/p" <<<"$names" |
		sort -u | awk '{ n[$1]++ } END { for (a in n) if (n[a] == 2) print a }' | sort -V
}

# choose SERIES: print the ABI chosen for SERIES.
choose() {
	local var=KAS_ALIAS_DEBIAN_${1//./_} abi
	abi=${!var:-}
	if [ -z "$abi" ]; then
		abi=$(abis "$1" | tail -n1)
		[ -n "$abi" ] || die "apt offers no linux-image-$1*-amd64-dbg with its -unsigned twin (bookworm-security missing from the apt sources?)"
	fi
	echo "$abi"
}

# infos PACKAGE...: "PACKAGE VERSION SIZE SHA256" of the candidate apt would
# download, one a line (one apt-cache process: each takes about a second).
infos() {
	# apt-cache fails when one package is unknown: fetch names it then.
	{ apt-cache show --no-all-versions "$@" 2>/dev/null || true; } | awk '
		/^Package: / { p = $2 } /^Version: / { v = $2 } /^Size: / { s = $2 }
		/^SHA256: / { print p, v, s, $2 }'
}

# data DEB: the data.tar.xz member of DEB on stdout, decompressed.
data() {
	local m
	m=$(ar t "$1" | grep '^data\.tar') || die "$1: no data.tar member"
	[ "$m" = data.tar.xz ] || die "$1: $m: only data.tar.xz is handled"
	ar p "$1" "$m" | xz -dc -T2
}

# fetch SERIES ABI DBGINFO IMGINFO: make $CACHE/debian-SERIES hold ABI's
# packages (DBGINFO, IMGINFO: their infos lines).
fetch() {
	local s=$1 abi=$2 dir=$CACHE/debian-$1
	local dbg=linux-image-$2-amd64-dbg img=linux-image-$2-amd64-unsigned
	[ -n "$3" ] || die "apt does not offer $dbg"
	[ -n "$4" ] || die "apt does not offer $img"
	local version
	version=$(cut -d' ' -f2 <<<"$3")
	[ "$version" = "$(cut -d' ' -f2 <<<"$4")" ] || die "$dbg and $img differ in version: $3 / $4"
	local want
	want=$(printf 'series %s\nabi %s\n%s\n%s\nlayout %s\n' "$s" "$abi" "$3" "$4" "$LAYOUT")
	log "$s: $dbg and $img $version"
	if [ "$(cat "$dir/stamp" 2>/dev/null)" = "$want" ]; then
		log "$s: $dir (stamped)"
		return
	fi
	local tmp t0 t1 t2 t3
	rm -rf "$CACHE/.debian-$s".* # what an interrupted run left (we hold the lock)
	tmp=$(mktemp -d "$CACHE/.debian-$s.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	mkdir "$tmp/debs" "$tmp/x"
	# apt-get download runs as _apt when it can: let it reach and write there.
	chmod 0755 "$tmp"
	chmod 0777 "$tmp/debs"
	t0=$(date +%s.%N)
	(cd "$tmp/debs" && apt-get download -q "$dbg=$version" "$img=$version" >&2) ||
		die "apt-get download $dbg $img failed"
	t1=$(date +%s.%N)
	# System.map and vmlinux are near the start of the -dbg archive (5.7 GB
	# unpacked): --occurrence=1 stops tar once both are out, and the writers
	# before it in the pipeline end on SIGPIPE (141); tar checks each
	# member's size. (The -unsigned package's System.map is a placeholder.)
	local b=./usr/lib/debug/boot st
	set +o pipefail
	data "$tmp/debs/${dbg}_"*.deb |
		tar -x -C "$tmp/x" --occurrence=1 "$b/System.map-$abi-amd64" "$b/vmlinux-$abi-amd64"
	st=("${PIPESTATUS[@]}")
	set -o pipefail
	[ "${st[1]}" = 0 ] && [ -s "$tmp/x/$b/vmlinux-$abi-amd64" ] && [ -s "$tmp/x/$b/System.map-$abi-amd64" ] ||
		die "$dbg: no $b/vmlinux-$abi-amd64 and System.map-$abi-amd64 (status ${st[*]})"
	case ${st[0]} in 0 | 141) ;; *) die "$dbg: reading data.tar.xz failed (status ${st[0]})" ;; esac
	mv "$tmp/x/$b/vmlinux-$abi-amd64" "$tmp/vmlinux"
	mv "$tmp/x/$b/System.map-$abi-amd64" "$tmp/System.map"
	t2=$(date +%s.%N)
	data "$tmp/debs/${img}_"*.deb | tar -x -C "$tmp/x" "./boot/config-$abi-amd64" "./boot/vmlinuz-$abi-amd64" "./lib/modules/$abi-amd64"
	mv "$tmp/x/boot/config-$abi-amd64" "$tmp/config"
	mv "$tmp/x/boot/vmlinuz-$abi-amd64" "$tmp/vmlinuz"
	mv "$tmp/x/lib/modules/$abi-amd64" "$tmp/modules"
	[ -s "$tmp/modules/modules.order" ] || die "$img: no modules.order"
	local n nxz
	n=$(find "$tmp/modules" -name '*.ko' | wc -l)
	nxz=$(find "$tmp/modules" -name '*.ko.xz' | wc -l)
	[ $((n + nxz)) -gt 0 ] || die "$img: no modules"
	if [ "$nxz" -gt 0 ]; then
		cp -a "$tmp/modules" "$tmp/modules-ko"
		find "$tmp/modules-ko" -name '*.ko.xz' -print0 | xargs -0 -r -P 2 -n 200 xz -d
	fi
	t3=$(date +%s.%N)
	rm -rf "$tmp/debs" "$tmp/x"
	printf '%s\n' "$want" >"$tmp/stamp"
	# Swap in the finished directory; a crash in between leaves no stamp at
	# $dir (the old tree is gone or untouched), so the next run fetches again.
	if [ -e "$dir" ]; then
		mv "$dir" "$tmp.old"
	fi
	mv "$tmp" "$dir"
	trap - EXIT
	rm -rf "$tmp.old"
	log "$s: $dir: $n .ko, $nxz .ko.xz; download $(secs "$t0" "$t1") s, vmlinux $(secs "$t1" "$t2") s, modules $(secs "$t2" "$t3") s"
}

names=$(apt-cache pkgnames linux-image-6. 2>/dev/null || true)
if [ -z "$names" ]; then
	# A fresh machine may have no package lists yet.
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	log "apt knows no linux-image package: apt-get update"
	$sudo apt-get update -qq >&2
	names=$(apt-cache pkgnames linux-image-6. 2>/dev/null || true)
fi
abi=() pkgs=()
for s in "${series[@]}"; do
	a=$(choose "$s")
	abi+=("$a")
	pkgs+=("linux-image-$a-amd64-dbg" "linux-image-$a-amd64-unsigned")
done
info=$(infos "${pkgs[@]}")
line() { awk -v p="$1" '$1 == p' <<<"$info"; }
for i in "${!series[@]}"; do
	fetch "${series[$i]}" "${abi[$i]}" "$(line "${pkgs[2 * i]}")" "$(line "${pkgs[2 * i + 1]}")"
done
for s in "${series[@]}"; do
	echo "$CACHE/debian-$s"
done
