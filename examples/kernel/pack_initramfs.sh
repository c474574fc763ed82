#!/usr/bin/env bash
# Packs the initramfs of the QEMU test: busybox (Debian's busybox-static),
# init.sh as /init, modules, and the data init.sh checks, derived here from
# the alias map and the kernel's System.map.
#
# usage: pack_initramfs.sh [--busybox BUSYBOX] [--unsigned MODULE.ko]...
#                          OUT.cpio.gz GEN_INIT_CPIO INIT MODE NAME SYSTEM_MAP
#                          MAP_TSV TU_MAP_TSV TRIGGERS [MODULE.ko...]
#   BUSYBOX     a static busybox for the kernel's architecture (default
#               /bin/busybox)
#   --unsigned  a module without a signature, which a kernel enforcing
#               signatures must refuse (/lib/unsigned/ in the initramfs)
#   --tampered  a signed module, put in /lib/tampered/ with one byte of its
#               body changed: its signature no longer matches
#   --kas-alias, --traceable-check  a static kas_alias for the kernel's
#               architecture and traceable_check.sh: /init runs the check on
#               MAP_TSV (/etc/kas/map.tsv) after loading the modules
#   MODE        alias (the kernel has aliases; probe them) or baseline (probe
#               the map's _text+OFFSET locations on a kernel without aliases)
#   NAME        a function name duplicated in vmlinux
#   SYSTEM_MAP  the booted kernel's System.map: the aliases it really has
#   MAP_TSV     the rules' alias map for this kernel's scheme (module aliases)
#   TU_MAP_TSV  an alias map with tu names: which file each copy is from
#   TRIGGERS    lines "FILE_BASENAME PATH": reading PATH runs FILE's copy
#               (of NAME in vmlinux, of a module's duplicated name)
# Deterministic: fixed mtimes, owners and order; gzip -n.
set -euo pipefail
BUSYBOX=/bin/busybox UNSIGNED=() TAMPERED=() KAS="" CHECK=""
while [ $# -gt 0 ]; do
	case "$1" in
	--busybox) BUSYBOX=$2 ;;
	--unsigned) UNSIGNED+=("$2") ;;
	--tampered) TAMPERED+=("$2") ;;
	--kas-alias) KAS=$2 ;;
	--traceable-check) CHECK=$2 ;;
	*) break ;;
	esac
	shift 2
done
[ $# -ge 9 ] || { echo "usage: see $0" >&2; exit 2; }
OUT=$1 GEN=$2 INIT=$3 MODE=$4 NAME=$5 SYSMAP=$6 MAP=$7 TUMAP=$8 TRIGGERS=$9
shift 9
die() { echo "pack_initramfs.sh: $*" >&2; exit 1; }
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: apt-get install busybox-static"
case "$MODE" in alias | baseline) ;; *) die "MODE must be alias or baseline" ;; esac

S=$(mktemp -d "${TMPDIR:-/tmp}/kas_initramfs.XXXXXX")
trap 'rm -rf "$S"' EXIT
mkdir -p "$S/etc"
echo "$MODE" >"$S/etc/mode"
echo "$NAME" >"$S/etc/name"

# TSV columns: alias name object section value type tu srcline kprobe
# traceable sympos. One line per copy of NAME in vmlinux, by address:
# ALIAS TEXT_OFFSET TRIGGER TRACEABLE.
awk -F'\t' -v n="$NAME" '$2 == n && $3 == "vmlinux" { print $5, $7, $9, $10 }' "$TUMAP" | sort -u >"$S/copies"
[ "$(wc -l <"$S/copies")" -ge 2 ] || die "$NAME is not duplicated in vmlinux according to $TUMAP"
: >"$S/etc/probes"
while read -r value tu kprobe traceable; do
	case "$kprobe" in _text+0x*) ;; *) die "$NAME at $value: kprobe location '$kprobe' is not _text+0xOFF" ;; esac
	trig=$(awk -v f="${tu##*/}" '$1 == f { print $2 }' "$TRIGGERS")
	alias=-
	if [ "$MODE" = alias ]; then
		# The kernel's own alias: the System.map line after NAME at its address.
		alias=$(awk -v v="$value" -v n="$NAME" '$1 == v && $3 != n && index($3, n) == 1 { print $3 }' "$SYSMAP")
		[ "$(echo "$alias" | grep -c .)" = 1 ] || die "System.map: not one alias of $NAME at $value: '$alias'"
		# The rules' map must name it as the kernel's filter did.
		mapped=$(awk -F'\t' -v v="$value" -v n="$NAME" '$2 == n && $3 == "vmlinux" && $5 == v { print $1 }' "$MAP")
		[ "$mapped" = "$alias" ] || die "$NAME at $value: kernel alias '$alias', alias map '$mapped'"
	else
		! grep -q " $NAME[@_]" "$SYSMAP" || die "$SYSMAP has aliases of $NAME: not a baseline kernel"
	fi
	echo "$alias $kprobe ${trig:--} ${traceable:-yes}" >>"$S/etc/probes"
done <"$S/copies"

# Module aliases the rules added (code only: kprobes): MODULE ALIAS NAME
# TRACEABLE TRIGGER, TRIGGER by the symbol's unit (in the tu map) in
# TRIGGERS (- if none).
: >"$S/etc/modprobes"
for ko in "$@"; do
	base=$(basename "$ko")
	mod=${base%.ko}
	awk -F'\t' -v o="$base" -v m="${mod//-/_}" -v tf="$TRIGGERS" '
		BEGIN { while ((getline l < tf) > 0) { split(l, w, " "); trig[w[1]] = w[2] } }
		FNR == NR { unit[$3 SUBSEP $5] = $7; next }
		$3 == o && ($6 == "t" || $6 == "T") {
			u = unit[$3 SUBSEP $5]; sub(/.*\//, "", u)
			print m, $1, $2, ($10 == "" ? "yes" : $10), ((u in trig) ? trig[u] : "-")
		}' "$TUMAP" "$MAP" >>"$S/etc/modprobes"
done
if [ "$MODE" = alias ] && [ $# -gt 0 ] && [ ! -s "$S/etc/modprobes" ]; then
	die "no module aliases in $MAP for: $*"
fi
# Aliases of a ThinLTO-promoted static (NAME.llvm.DIGITS): ALIAS ORIGINAL,
# from the kernel's System.map (the alias line follows its original).
awk '$3 ~ /\.llvm\.[0-9]+$/ { a = $1; o = $3; next } a != "" && $1 == a && index($3, "@") > 0 { print $3, o } { a = "" }' "$SYSMAP" >"$S/etc/llvm"
sed 's/^/probes: /' "$S/etc/probes" >&2
sed 's/^/llvm: /' "$S/etc/llvm" >&2
sed 's/^/modprobes: /' "$S/etc/modprobes" >&2

{
	echo "dir /bin 755 0 0"
	echo "file /bin/busybox $BUSYBOX 755 0 0"
	echo "file /init $INIT 755 0 0"
	echo "dir /dev 755 0 0"
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "nod /dev/null 666 0 0 c 1 3"
	echo "dir /proc 755 0 0"
	echo "dir /sys 755 0 0"
	echo "dir /tmp 1777 0 0"
	echo "dir /etc 755 0 0"
	echo "dir /etc/kas 755 0 0"
	for f in mode name probes modprobes llvm; do
		echo "file /etc/kas/$f $S/etc/$f 644 0 0"
	done
	echo "dir /lib 755 0 0"
	echo "dir /lib/modules 755 0 0"
	if [ -n "$KAS" ]; then
		cp "$KAS" "$S/kas_alias" && cp "$CHECK" "$S/traceable_check.sh" && cp "$MAP" "$S/map.tsv"
		echo "file /bin/kas_alias $S/kas_alias 755 0 0"
		echo "file /etc/kas/traceable_check.sh $S/traceable_check.sh 644 0 0"
		echo "file /etc/kas/map.tsv $S/map.tsv 644 0 0"
	fi
	echo "dir /lib/tampered 755 0 0"
	for ko in ${TAMPERED[@]+"${TAMPERED[@]}"}; do
		t=$S/tampered-$(basename "$ko")
		cp "$ko" "$t" && chmod u+w "$t"
		# The byte in the middle of the file (the module body), inverted.
		off=$(($(stat -L -c %s "$ko") / 2))
		b=$(od -An -tu1 -j "$off" -N 1 "$t" | tr -d ' ')
		printf "\\$(printf %03o $((b ^ 255)))" | dd of="$t" bs=1 seek="$off" conv=notrunc status=none
		cmp -s "$ko" "$t" && die "could not change $t"
		echo "file /lib/tampered/$(basename "$ko") $t 644 0 0"
	done
	echo "dir /lib/unsigned 755 0 0"
	for ko in ${UNSIGNED[@]+"${UNSIGNED[@]}"}; do
		cp "$ko" "$S/unsigned-$(basename "$ko")"
		echo "file /lib/unsigned/$(basename "$ko") $S/unsigned-$(basename "$ko") 644 0 0"
	done
	if [ "$MODE" = alias ]; then
		for ko in "$@"; do
			cp "$ko" "$S/$(basename "$ko")"
			echo "file /lib/modules/$(basename "$ko") $S/$(basename "$ko") 644 0 0"
		done
	fi
} >"$S/list"
cp "$BUSYBOX" "$S/busybox" && cp "$INIT" "$S/init"
sed -i -e "s|^file /bin/busybox [^ ]*|file /bin/busybox $S/busybox|" -e "s|^file /init [^ ]*|file /init $S/init|" "$S/list"
find "$S" -exec touch -h -d @0 {} +
"$GEN" -t 0 "$S/list" | gzip -n -9 >"$OUT"
