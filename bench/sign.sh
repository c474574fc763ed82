#!/bin/bash
# sign.sh: sign N of Debian's 6.1 modules (default 200) with kbuild's default key
# (RSA 4096, sha256), one process per module as kbuild runs sign-file:
#   ours:   kas_alias sign --key --cert --hash -o OUT MODULE
#   theirs: scripts/sign-file HASH KEY CERT MODULE OUT, built from Debian's
#           linux-source-6.1 by tools/build-sign-file.sh
# Both get the modules with their Debian signature cut off, and the outputs are
# compared with cmp before timing. Timed with farm-bench (A and B in turn, the
# ratio taken pair by pair), RUNS runs; then the in-process cost of one
# signature (go test -bench Sign ./tool/modsign).
#
#   bench/sign.sh [N] [RUNS]      (defaults 200, 5)
# MODULES (default $KAS_ALIAS_CACHE/debian-6.1/modules, which
# tools/fetch-debian-kernels.sh fills) holds modules.order and the modules.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200} runs=${2:-5}
mods=${MODULES:-${KAS_ALIAS_CACHE:-$HOME/.cache/kas_alias}/debian-6.1/modules}
[ -f "$mods/modules.order" ] || { echo "sign.sh: $mods/modules.order is missing: run tools/fetch-debian-kernels.sh" >&2; exit 1; }
for tool in farm-bench openssl; do
	command -v $tool >/dev/null || { echo "sign.sh: $tool is not installed" >&2; exit 1; }
done

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
go build -o "$w/kas_alias" ./tool/cmd/kas_alias
tools/build-sign-file.sh "$w/kernel"
openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -config "$w/kernel/default_x509.genkey" \
	-outform PEM -out "$w/signing_key.pem" -keyout "$w/signing_key.pem" >/dev/null 2>&1
openssl x509 -in "$w/signing_key.pem" -outform DER -out "$w/signing_key.x509"

# The first N modules of modules.order, unsigned.
mkdir -p "$w/in" "$w/out"
head -n "$n" "$mods/modules.order" | while read -r m; do
	python3 - "$mods/$m" "$w/in/$(basename "$m")" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
magic = b"~Module signature appended~\n"
if d.endswith(magic):
    d = d[: len(d) - len(magic) - 12 - int.from_bytes(d[-len(magic) - 4 : -len(magic)], "big")]
open(sys.argv[2], "wb").write(d)
PY
done
count=$(ls "$w/in" | wc -l)
bytes=$(cat "$w/in"/* | wc -c)

key="$w/signing_key.pem" cert="$w/signing_key.x509"
cat >"$w/ours.sh" <<SH
#!/bin/bash
set -e
for m in $w/in/*; do $w/kas_alias sign --key $key --cert $cert --hash sha256 -o $w/out/ours.ko "\$m"; done
SH
cat >"$w/theirs.sh" <<SH
#!/bin/bash
set -e
for m in $w/in/*; do $w/kernel/sign-file sha256 $key $cert "\$m" $w/out/theirs.ko; done
SH
chmod +x "$w/ours.sh" "$w/theirs.sh"
for m in "$w/in"/*; do
	"$w/kas_alias" sign --key "$key" --cert "$cert" -o "$w/out/a" "$m"
	"$w/kernel/sign-file" sha256 "$key" "$cert" "$m" "$w/out/b"
	cmp -s "$w/out/a" "$w/out/b" || { echo "sign.sh: $m: kas_alias and sign-file differ" >&2; exit 1; }
done

echo "Input: the first $count modules of $mods/modules.order, $bytes bytes unsigned; RSA 4096, sha256; outputs identical"
echo "Command: bench/sign.sh $n $runs; A = kas_alias sign per module, B = sign-file per module"
farm-bench -n "$runs" --timeout 3600 --vs "$w/theirs.sh" -- "$w/ours.sh"
go test ./tool/modsign -run '^$' -bench '^BenchmarkSign$' -benchtime 50x | grep -E '^Benchmark'
openssl speed -seconds 3 rsa4096 2>/dev/null | grep '^rsa 4096'
