#!/bin/sh
# verify_signatures.sh CERT MODULE...: each module ends in a module signature
# (PKCS#7 signed data, struct module_signature, "~Module signature
# appended~\n", as scripts/sign-file writes it) that OpenSSL verifies with
# CERT over the bytes before it. OpenSSL is the oracle, not kas_alias.
set -eu
cert=$1
shift
tmp=${TEST_TMPDIR:-$(mktemp -d)}
magic='~Module signature appended~'
for m in "$@"; do
	size=$(wc -c <"$m")
	[ "$(tail -c 28 "$m" | head -c 27)" = "$magic" ] || { echo "$m: no module signature trailer" >&2; exit 1; }
	# struct module_signature: algo, hash, id_type (2 = PKCS#7), signer_len,
	# key_id_len, 3 pad bytes, sig_len (big-endian 32 bits).
	set -- $(tail -c 40 "$m" | head -c 12 | od -An -v -tu1)
	[ "$3" = 2 ] || { echo "$m: id_type $3, not PKCS#7" >&2; exit 1; }
	len=$(( ($9 << 24) + (${10} << 16) + (${11} << 8) + ${12} ))
	body=$((size - 40 - len))
	[ "$body" -gt 0 ] || { echo "$m: signature length $len of a $size-byte file" >&2; exit 1; }
	head -c "$body" "$m" >"$tmp/body"
	tail -c $((len + 40)) "$m" | head -c "$len" >"$tmp/sig"
	openssl cms -verify -binary -inform DER -in "$tmp/sig" -content "$tmp/body" \
		-certfile "$cert" -nointern -noverify -out /dev/null 2>"$tmp/err" ||
		{ echo "$m: OpenSSL does not verify its signature: $(head -n 1 "$tmp/err")" >&2; exit 1; }
	echo "$m: signature verified ($len bytes over $body)"
done
