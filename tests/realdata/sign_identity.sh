#!/usr/bin/env bash
# Signs real modules with `kas_alias sign` and with the kernel's scripts/sign-file
# and compares the bytes:
#   tests/realdata/sign_identity.sh MODULES_DIR KAS_ALIAS_BIN SIGN_FILE_BIN [N]
# takes the first N (default: all) *.ko under MODULES_DIR in path order, signs
# each with a fresh RSA key made as kbuild makes certs/signing_key.pem (4096
# bits, PEM key and certificate in one file, DER certificate), and prints
# "sign: N/M identical"; exit status 1 if any differ. Modules that are already
# signed (Debian signs even its -unsigned packages) are given to kas_alias as
# they are, to be re-signed, and to sign-file with their signature cut off
# here, from the trailer, independently of kas_alias. SIGN_FILE_BIN is built
# by tools/build-sign-file.sh; HASH (default sha256, Debian's) picks the hash.
set -euo pipefail
die() { printf 'sign_identity: %s\n' "$*" >&2; exit 1; }
[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: sign_identity.sh MODULES_DIR KAS_ALIAS_BIN SIGN_FILE_BIN [N]"
MODULES="$1" KAS_ALIAS="$2" SIGN_FILE="$3" N="${4:-0}" HASH="${HASH:-sha256}"
[ -d "$MODULES" ] || die "$MODULES: not a directory"
[ -x "$KAS_ALIAS" ] || die "$KAS_ALIAS: not an executable"
[ -x "$SIGN_FILE" ] || die "$SIGN_FILE: not an executable (tools/build-sign-file.sh builds it)"
command -v openssl >/dev/null || die "openssl is not installed: run tools/bootstrap.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/x509.genkey" <<'EOF'
[ req ]
default_bits = 4096
distinguished_name = dn
prompt = no
string_mask = utf8only
x509_extensions = ext
[ dn ]
CN = sign_identity test key
[ ext ]
basicConstraints = critical,CA:FALSE
keyUsage = digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
key="$work/signing_key.pem" cert="$work/signing_key.x509"
openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 -config "$work/x509.genkey" \
	-outform PEM -out "$key" -keyout "$key" >/dev/null 2>&1 || die "openssl req failed"
openssl x509 -in "$key" -outform DER -out "$cert"

mapfile -t mods < <(find "$MODULES" -name '*.ko' -type f | LC_ALL=C sort)
[ ${#mods[@]} -gt 0 ] || die "$MODULES: no *.ko files"
[ "$N" -gt 0 ] && [ "$N" -lt ${#mods[@]} ] && mods=("${mods[@]:0:$N}")

magic='~Module signature appended~'
same=0 differ=0
for m in "${mods[@]}"; do
	input="$m"
	# The trailer: 12-byte struct module_signature (sig_len big-endian in its
	# last 4 bytes), then the 28-byte magic. Cut the CMS, struct and magic.
	if cmp -s <(tail -c 28 "$m") <(printf '%s\n' "$magic"); then
		read -r b0 b1 b2 b3 < <(tail -c 32 "$m" | head -c 4 | od -An -tu1)
		siglen=$(((b0 << 24) | (b1 << 16) | (b2 << 8) | b3))
		size=$(stat -c %s "$m")
		head -c $((size - 40 - siglen)) "$m" >"$work/stripped"
		input="$work/stripped"
	fi
	"$SIGN_FILE" "$HASH" "$key" "$cert" "$input" "$work/want" || die "$m: sign-file failed"
	"$KAS_ALIAS" sign --key "$key" --cert "$cert" --hash "$HASH" -o "$work/got" "$m" || die "$m: kas_alias sign failed"
	if cmp -s "$work/got" "$work/want"; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		[ $differ -le 10 ] && printf 'sign: %s differs from sign-file: %s\n' "$m" "$(cmp "$work/got" "$work/want" 2>&1 | head -1)"
	fi
done
echo "sign: $same/${#mods[@]} identical"
[ $differ -eq 0 ]
