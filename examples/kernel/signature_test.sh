#!/usr/bin/env bash
# The rules' signed module against the kernel's own scripts/sign-file: the
# module body (the signed file without its signature) signed by sign-file
# with the same key and hash must give the same bytes.
# usage: signature_test.sh SIGN_FILE KEY.pem CERT.x509 HASH SIGNED.ko...
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 SIGN_FILE KEY.pem CERT.x509 HASH SIGNED.ko..." >&2; exit 2; }
SIGN_FILE=$1 KEY=$2 CERT=$3 HASH=$4
shift 4
W=$(mktemp -d "${TEST_TMPDIR:-/tmp}/sigtest.XXXXXX")
trap 'rm -rf "$W"' EXIT
MAGIC='~Module signature appended~'
fail=0
for ko in "$@"; do
	size=$(stat -L -c %s "$ko")
	# The trailer: struct module_signature (12 bytes, sig_len big-endian
	# in its last 4), then the magic string and a newline (28 bytes).
	[ "$(tail -c 28 "$ko" | head -c 27)" = "$MAGIC" ] || { echo "FAIL $ko: no module signature trailer"; fail=1; continue; }
	sig_len=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	body=$((size - 28 - 12 - sig_len))
	[ "$body" -gt 0 ] || { echo "FAIL $ko: signature length $sig_len does not fit in $size bytes"; fail=1; continue; }
	head -c "$body" "$ko" >"$W/body.ko"
	"$SIGN_FILE" "$HASH" "$KEY" "$CERT" "$W/body.ko" "$W/signed.ko"
	if cmp "$W/signed.ko" "$ko"; then
		echo "PASS $ko: $size bytes (signature $sig_len), identical to sign-file $HASH"
	else
		echo "FAIL $ko: differs from sign-file $HASH of its body"
		fail=1
	fi
done
exit "$fail"
