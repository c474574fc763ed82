#!/bin/bash
# fetch-debian.sh: fetch Debian 12's 6.1 kernel (dbg vmlinux and modules)
# into the benchmark cache. Idempotent: packages already in the cache are
# reused, and each extraction is stamped with the package it came from, so a
# second run does nothing.
#
#   ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/debs/*.deb          the packages
#   ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/debian-6.1/vmlinux   dbg vmlinux (.symtab + DWARF)
#   ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/debian-6.1/modules/  lib/modules/<version>/ of the
#                                                                    unsigned image (every .ko,
#                                                                    modules.order, modules.builtin)
#
# Environment: KAS_ALIAS_CACHE (cache root), KAS_ALIAS_ABI (default 6.1.0-56,
# the kernel ABI name in the package names), KAS_ALIAS_FETCH_SOURCE=1 to also
# download linux-source-6.1 (not extracted).
# Prints the paths of vmlinux and modules/ on success.
set -euo pipefail

cache=${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}
abi=${KAS_ALIAS_ABI:-6.1.0-56}
flavour=amd64
debs=$cache/debs
out=$cache/debian-6.1
mkdir -p "$debs" "$out"

log() { echo "fetch-debian: $*" >&2; }

# deb PACKAGE: print the path of PACKAGE's .deb in the cache, downloading it
# (through a temporary directory, so that an interrupted download leaves
# nothing behind) if it is not there.
deb() {
	local pkg=$1 f
	f=$(ls -1 "$debs/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
	if [[ -n $f ]]; then
		echo "$f"
		return
	fi
	log "downloading $pkg"
	local tmp
	tmp=$(mktemp -d "$debs/.download.XXXXXX")
	# apt-get download runs as _apt when it can; let it write the directory.
	chmod 0777 "$tmp"
	if ! (cd "$tmp" && apt-get download -q "$pkg" >&2); then
		rm -rf "$tmp"
		log "apt-get download $pkg failed (is bookworm-security in the apt sources? try apt-get update)"
		return 1
	fi
	f=$(ls -1 "$tmp/${pkg}"_*.deb | head -n1)
	mv "$f" "$debs/"
	rm -rf "$tmp"
	echo "$debs/$(basename "$f")"
}

# stamp DEB: what identifies an extraction: the package file name and size.
stamp() { echo "$(basename "$1") $(stat -c %s "$1")"; }

dbg=$(deb "linux-image-$abi-$flavour-dbg")
img=$(deb "linux-image-$abi-$flavour-unsigned")
if [[ ${KAS_ALIAS_FETCH_SOURCE:-0} == 1 ]]; then
	deb linux-source-6.1 >/dev/null
fi

# vmlinux from the dbg package: usr/lib/debug/boot/vmlinux-<abi>-amd64.
if [[ ! -f $out/vmlinux || "$(cat "$out/.stamp-vmlinux" 2>/dev/null)" != "$(stamp "$dbg")" ]]; then
	log "extracting vmlinux from $(basename "$dbg")"
	tmp=$(mktemp -d "$out/.vmlinux.XXXXXX")
	dpkg-deb --fsys-tarfile "$dbg" |
		tar -x -C "$tmp" --wildcards --no-anchored --strip-components=5 './usr/lib/debug/boot/vmlinux-*'
	v=$(ls -1 "$tmp"/vmlinux-* | head -n1)
	[[ -s $v ]] || { log "no vmlinux in $dbg"; rm -rf "$tmp"; exit 1; }
	mv -f "$v" "$out/vmlinux"
	rm -rf "$tmp"
	stamp "$dbg" >"$out/.stamp-vmlinux"
fi

# modules from the unsigned image: lib/modules/<abi>-amd64/ without the
# version directory.
if [[ ! -d $out/modules || "$(cat "$out/.stamp-modules" 2>/dev/null)" != "$(stamp "$img")" ]]; then
	log "extracting modules from $(basename "$img")"
	tmp=$(mktemp -d "$out/.modules.XXXXXX")
	dpkg-deb --fsys-tarfile "$img" |
		tar -x -C "$tmp" --wildcards --strip-components=4 \
			"./lib/modules/$abi-$flavour/*.ko" \
			"./lib/modules/$abi-$flavour/modules.order" \
			"./lib/modules/$abi-$flavour/modules.builtin"
	n=$(find "$tmp" -name '*.ko' | wc -l)
	[[ $n -gt 0 ]] || { log "no modules in $img"; rm -rf "$tmp"; exit 1; }
	rm -rf "$out/modules"
	mv "$tmp" "$out/modules"
	chmod 0755 "$out/modules"
	stamp "$img" >"$out/.stamp-modules"
	log "$n modules"
fi

echo "$out/vmlinux"
echo "$out/modules"
