#!/usr/bin/env bash
# Builds the kernel's scripts/sign-file from Debian's linux-source-6.1 tarball,
# the oracle that `kas_alias sign` is compared with byte for byte:
#   tools/build-sign-file.sh [TARBALL] OUTDIR
# writes OUTDIR/sign-file and, next to it, the kernel's certs/default_x509.genkey
# (the openssl config kbuild makes certs/signing_key.pem with). TARBALL defaults
# to .bazeldeps/linux-source-6.1/linux-source-6.1.tar.xz, which
# tools/fetch-kernel-source.sh puts there. Only the three files are extracted
# (tar stops once it has them); gcc and libssl-dev come from tools/bootstrap.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { printf 'build-sign-file: %s\n' "$*" >&2; exit 1; }

case $# in
1) TARBALL="$ROOT/.bazeldeps/linux-source-6.1/linux-source-6.1.tar.xz" OUT="$1" ;;
2) TARBALL="$1" OUT="$2" ;;
*) die "usage: tools/build-sign-file.sh [TARBALL] OUTDIR" ;;
esac
[ -s "$TARBALL" ] || die "$TARBALL is missing: run tools/fetch-kernel-source.sh"
for tool in gcc tar xz; do
	command -v "$tool" >/dev/null || die "$tool is not installed: run tools/bootstrap.sh"
done
[ -f /usr/include/openssl/cms.h ] || die "OpenSSL headers are missing (libssl-dev): run tools/bootstrap.sh"

mkdir -p "$OUT"
src="$(mktemp -d "$OUT/.src.XXXXXX")"
trap 'rm -rf "$src"' EXIT
top=linux-source-6.1
# The tarball is 1.3 GB unpacked; --occurrence stops reading once each member
# is found, and xz -T0 decompresses its blocks in parallel.
tar -C "$src" -x -I 'xz -T0' --occurrence=1 -f "$TARBALL" \
	"$top/scripts/sign-file.c" "$top/scripts/ssl-common.h" "$top/certs/default_x509.genkey" ||
	die "$TARBALL: cannot extract scripts/sign-file.c, scripts/ssl-common.h, certs/default_x509.genkey"
# Flags as scripts/Makefile's hostprogs (HOSTCFLAGS_sign-file.o: libcrypto's cflags).
gcc -O2 -o "$src/sign-file" \
	"$src/$top/scripts/sign-file.c" -lcrypto || die "gcc could not build sign-file"
mv -f "$src/sign-file" "$OUT/sign-file"
mv -f "$src/$top/certs/default_x509.genkey" "$OUT/default_x509.genkey"
