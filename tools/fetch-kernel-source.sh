#!/usr/bin/env bash
# Fetches the Debian packages examples/kernel builds and boots from, and puts
# each file where its Bazel repository (WORKSPACE, MODULE.bazel) finds it:
#   .bazeldeps/linux-source-6.1/linux-source-6.1.tar.xz    linux-source-6.1 (bookworm)
#   .bazeldeps/linux-source-6.12/linux-source-6.12.tar.xz  linux-source-6.12 (bookworm-security)
#   .bazeldeps/busybox-amd64/busybox                       busybox-static:amd64's /bin/busybox
#   .bazeldeps/busybox-arm64/busybox                       busybox-static:arm64's /bin/busybox
# each a symlink into ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/<package>/<version>/.
# The .debs come from `apt-get download` into the cache's debs/ (a .deb
# already there is used as is); busybox-static:arm64 needs arm64 package
# lists, so the first run adds the arm64 architecture to dpkg (nothing arm64
# is installed). Idempotent and stamped: a second run only checks the stamps.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}"
log() { printf 'fetch-kernel-source: %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

download() { # PKG[:ARCH] DEB_ARCH -> path of its .deb in $CACHE/debs
	local spec=$1 pkg=${1%%:*} arch=$2 deb
	deb="$(ls "$CACHE/debs/${pkg}"_*_"$arch".deb 2>/dev/null | sort -V | tail -1 || true)"
	if [ -z "$deb" ]; then
		log "apt-get download $spec -> $CACHE/debs"
		if ! (cd "$CACHE/debs" && apt-get download "$spec") >&2; then
			# A fresh machine may have no package lists yet (or none for arm64).
			log "apt-get update, then apt-get download $spec again"
			$SUDO apt-get update -qq >&2
			(cd "$CACHE/debs" && apt-get download "$spec") >&2 || { log "apt-get download $spec failed"; exit 1; }
		fi
		deb="$(ls "$CACHE/debs/${pkg}"_*_"$arch".deb | sort -V | tail -1)"
	fi
	printf '%s\n' "$deb"
}

fetch() { # NAME PKG[:ARCH] DEB_ARCH MEMBER FILE: .bazeldeps/NAME/FILE -> the .deb's MEMBER
	local name=$1 spec=$2 arch=$3 member=$4 file=$5
	local link_dir="$ROOT/.bazeldeps/$name" deb version dest tmp
	if [ -f "$link_dir/stamp" ] && [ -s "$link_dir/$file" ]; then
		log "$(cat "$link_dir/stamp") (stamped)"
		return
	fi
	deb=$(download "$spec" "$arch")
	version="$(dpkg-deb -f "$deb" Version)"
	dest="$CACHE/$name/$version"
	if [ ! -s "$dest/$file" ]; then
		log "extracting $member from $(basename "$deb")"
		mkdir -p "$dest"
		tmp="$(mktemp -d "$dest/.tmp.XXXXXX")"
		dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp" -x "./$member"
		case "$file" in *.xz) xz -t "$tmp/$member" ;; esac
		mv -f "$tmp/$member" "$dest/$file"
		rm -rf "$tmp"
	fi
	mkdir -p "$link_dir"
	ln -sfn "$dest/$file" "$link_dir/$file"
	echo "$spec $version $(basename "$deb")" >"$link_dir/stamp"
	log "$(cat "$link_dir/stamp") -> $link_dir/$file"
}

mkdir -p "$CACHE/debs"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64 (for busybox-static:arm64's package list)"
	$SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq >&2
fi
fetch linux-source-6.1 linux-source-6.1 all usr/src/linux-source-6.1.tar.xz linux-source-6.1.tar.xz
fetch linux-source-6.12 linux-source-6.12 all usr/src/linux-source-6.12.tar.xz linux-source-6.12.tar.xz
fetch busybox-amd64 busybox-static:amd64 amd64 bin/busybox busybox
fetch busybox-arm64 busybox-static:arm64 arm64 bin/busybox busybox
