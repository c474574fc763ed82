#!/usr/bin/env bash
# Fetches Debian's linux-source-6.1 for examples/kernel and puts its tarball
# where the Bazel repository @linux_source_6_1 (WORKSPACE) finds it:
#   .bazeldeps/linux-source-6.1/linux-source-6.1.tar.xz   (a symlink)
#   -> ${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/linux-source-6.1/<version>/linux-source-6.1.tar.xz
# The .deb comes from `apt-get download linux-source-6.1` into the cache's
# debs/ (a .deb already there is used as is). Idempotent and stamped: a second
# run only checks the stamp. Needs apt-get (for the download) and dpkg-deb.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}"
PKG=linux-source-6.1
LINK_DIR="$ROOT/.bazeldeps/$PKG"
LINK="$LINK_DIR/$PKG.tar.xz"
log() { printf 'fetch-kernel-source: %s\n' "$*" >&2; }

if [ -f "$LINK_DIR/stamp" ] && [ -s "$LINK" ]; then
	log "$(cat "$LINK_DIR/stamp") (stamped)"
	exit 0
fi

mkdir -p "$CACHE/debs"
deb="$(ls "$CACHE/debs/${PKG}"_*_all.deb 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$deb" ]; then
	log "apt-get download $PKG -> $CACHE/debs"
	if ! (cd "$CACHE/debs" && apt-get download "$PKG") >&2; then
		# A fresh machine may have no package lists yet.
		SUDO=""
		[ "$(id -u)" = 0 ] || SUDO=sudo
		log "apt-get update, then apt-get download $PKG again"
		$SUDO apt-get update -qq >&2
		(cd "$CACHE/debs" && apt-get download "$PKG") >&2 || {
			log "apt-get download $PKG failed (Debian 12 main has it)"
			exit 1
		}
	fi
	deb="$(ls "$CACHE/debs/${PKG}"_*_all.deb | sort -V | tail -1)"
fi
version="$(dpkg-deb -f "$deb" Version)"
dest="$CACHE/$PKG/$version"
if [ ! -s "$dest/$PKG.tar.xz" ]; then
	log "extracting $PKG.tar.xz from $(basename "$deb")"
	mkdir -p "$dest"
	tmp="$(mktemp -d "$dest/.tmp.XXXXXX")"
	dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp" -x "./usr/src/$PKG.tar.xz"
	xz -t "$tmp/usr/src/$PKG.tar.xz"
	mv -f "$tmp/usr/src/$PKG.tar.xz" "$dest/$PKG.tar.xz"
	rm -rf "$tmp"
fi
mkdir -p "$LINK_DIR"
ln -sfn "$dest/$PKG.tar.xz" "$LINK"
echo "$PKG $version $(basename "$deb")" >"$LINK_DIR/stamp"
log "$(cat "$LINK_DIR/stamp") -> $LINK"
