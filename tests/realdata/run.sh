#!/usr/bin/env bash
# The real-data step of `make test`: kas_alias, built from this checkout, on
# Debian 12's amd64 kernels 6.1 and 6.12 (the -dbg vmlinux and every module,
# fetched into the cache by tools/fetch-debian-kernels.sh), checked against
# outside oracles only: GNU nm, GNU objcopy, readelf, llvm-addr2line, the
# kernel's own System.map, and tests/realdata/check (Go's debug/elf; none of
# tool/). For each kernel:
#   nm        `kas_alias nm` = `LC_ALL=C nm -n` on vmlinux and every module
#             (ours reads .ko.xz as shipped, GNU nm the decompressed .ko)
#   mksysmap  `kas_alias nm --mksysmap=6.1|6.4 vmlinux` = System.map
#   scan      vmlinux + every module (tu, DWARF of the -dbg vmlinux): each
#             alias unique, at its original, after it in the listing; the
#             duplicated names and the symbols needing an alias recounted
#   traceable the map's traceable column = tests/traceable/oracle.sh (objdump,
#             nm, readelf): every vmlinux alias, every 10th module's
#   boot      6.12 only: the stock kernel (vmlinuz) booted under QEMU, a kprobe
#             on every code alias of vmlinux and of 5 modules accepted iff the
#             map says traceable yes, kas_alias resolve's address = the kernel's
#   rewrite   every module with its plan = objcopy --add-symbol of the plan
#             (readelf -s and -r, other sections byte for byte); on 6.1 again
#             with every local function aliased; a signed module is refused
#   srcline   the srcline scan of vmlinux: same checks, and each alias's
#             file:line = llvm-addr2line's
#   sign      `kas_alias sign` = scripts/sign-file (built from linux-source-6.1)
#             byte for byte, RSA 4096 sha256, on SIGN_SAMPLE modules (default
#             300, in path order; 0: all)
# Every figure is printed; any mismatch fails the step with the first
# differences shown.
#
#   tests/realdata/run.sh [6.1] [6.12]      (default: both)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.bazeldeps/go_sdk/bin:$PATH" GOTOOLCHAIN=local GOFLAGS=-mod=vendor LC_ALL=C
for t in go nm objcopy readelf llvm-addr2line xz cmp qemu-system-x86_64 busybox; do
	command -v $t >/dev/null || { echo "realdata: $t is not installed (tools/bootstrap.sh installs it)" >&2; exit 1; }
done
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)

W="$(mktemp -d "${TMPDIR:-/tmp}/kas_alias-realdata.XXXXXX")"
trap 'rm -rf "$W"' EXIT
# Static (the boot of the stock kernel runs it in the guest).
CGO_ENABLED=0 go build -o "$W/kas_alias" ./tool/cmd/kas_alias
go build -o "$W/check" ./tests/realdata/check
KA="$W/kas_alias" CHECK="$W/check"
mapfile -t dirs < <(tools/fetch-debian-kernels.sh "${kernels[@]}")
[ ${#dirs[@]} = ${#kernels[@]} ] || { echo "realdata: tools/fetch-debian-kernels.sh failed" >&2; exit 1; }

t0=0
tick() { t0=$(date +%s.%N); }
tock() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "  (%.1f s)\n", b - a }'; }

# kernel SERIES DIR: every check on one kernel.
kernel() {
	local s=$1 K=$2 w=$W/$1 v=6.4
	[ "$s" = 6.1 ] && v=6.1
	mkdir -p "$w"
	echo "-- Debian $s: $(sed -n 3p "$K/stamp" | cut -d' ' -f1,2) and -unsigned"
	# The module files in modules.order's order: as shipped (.ko or .ko.xz,
	# what kas_alias reads), and as ELF (what GNU nm, objcopy and the
	# oracle read: the decompressed tree for 6.12).
	local elfdir=$K/modules m f name
	[ -d "$K/modules-ko" ] && elfdir=$K/modules-ko
	: >"$w/shipped"
	: >"$w/nm.list"
	: >"$w/mods.list"
	: >"$w/volume.list"
	while read -r m; do
		f=$K/modules/$m
		[ -f "$f" ] || f=$f.xz
		[ -f "$f" ] && [ -f "$elfdir/$m" ] || { echo "realdata: $K: no module file for $m of modules.order" >&2; return 1; }
		name=${m##*/}
		echo "$f" >>"$w/shipped"
		printf '%s\t%s\t%s\n' "$name" "$f" "$elfdir/$m" >>"$w/nm.list"
		printf '%s\t%s\t%s\n' "$name" "$elfdir/$m" "$w/gnu/$name.nm" >>"$w/mods.list"
		printf '%s\t%s\n' "$name" "$elfdir/$m" >>"$w/volume.list"
	done <"$K/modules/modules.order"

	tick
	{ printf 'vmlinux\t%s\t%s\n' "$K/vmlinux" "$K/vmlinux"; cat "$w/nm.list"; } >"$w/nm-all.list"
	"$CHECK" nm -kas-alias "$KA" -list "$w/nm-all.list" -gnu-out "$w/gnu"
	tock

	tick
	"$KA" nm --mksysmap="$v" -o "$w/System.map" "$K/vmlinux"
	if ! cmp "$K/System.map" "$w/System.map"; then
		echo "FAIL mksysmap: kas_alias nm --mksysmap=$v vmlinux is not $K/System.map:" >&2
		diff "$K/System.map" "$w/System.map" >"$w/System.map.diff" || true
		head -n 20 "$w/System.map.diff" >&2
		return 1
	fi
	echo "mksysmap: kas_alias nm --mksysmap=$v vmlinux is System.map ($(wc -l <"$K/System.map") lines)"
	tock

	tick
	mkdir -p "$w/tu"
	# modules.order names .ko files; where they are shipped as .ko.xz, the
	# scan finds them as depmod does.
	local modules=(--modules-order "$K/modules/modules.order")
	"$KA" scan -v --vmlinux "$K/vmlinux" --syms "$w/tu/syms" --map-tsv "$w/tu/map.tsv" \
		--map-json "$w/tu/map.json" --plan-dir "$w/tu/plans" "${modules[@]}" 2>"$w/tu.log" ||
		{ cat "$w/tu.log" >&2; return 1; }
	sed 's/^/scan: /' "$w/tu.log"
	"$CHECK" unique -mksysmap "$v" -vmlinux "$K/vmlinux" -vmlinux-nm "$w/gnu/vmlinux.nm" \
		-system-map "$K/System.map" -modules "$w/mods.list" -syms "$w/tu/syms" \
		-map-tsv "$w/tu/map.tsv" -map-json "$w/tu/map.json" -plan-dir "$w/tu/plans" -scan-log "$w/tu.log"
	if [ "$elfdir" != "$K/modules" ]; then
		# The same kernel from its decompressed tree, through modules.order.
		mkdir -p "$w/tu-ko"
		"$KA" scan --vmlinux "$K/vmlinux" --modules-order "$elfdir/modules.order" --syms "$w/tu-ko/syms" \
			--map-tsv "$w/tu-ko/map.tsv" --map-json "$w/tu-ko/map.json" --plan-dir "$w/tu-ko/plans"
		# Plans name the digest of the module file as stored: compressed
		# or not, it differs; nothing else may.
		cp -r "$w/tu" "$w/tu-xz"
		sed -i '/sha256"/d' "$w"/tu-xz/plans/*.plan.json "$w"/tu-ko/plans/*.plan.json
		if ! diff -r "$w/tu-xz" "$w/tu-ko" >"$w/tu.diff"; then
			echo "FAIL scan: the .ko tree gives other outputs than the .ko.xz tree:" >&2
			head -n 40 "$w/tu.diff" >&2
			return 1
		fi
		echo "scan: the decompressed tree (--modules-order) gives the same listing, map and $(ls "$w/tu-ko/plans" | wc -l) plans (module digests aside)"
	fi
	tock

	tick
	# The map's traceable column against binutils' view of the same files
	# (every vmlinux alias, the modules of every 10th module).
	tests/traceable/oracle.sh "$K/vmlinux" "$w/tu/map.tsv" "$elfdir" 10 | sed 's/^/traceable: /'
	tock
	if [ "$s" = 6.12 ]; then
		# And against the kernel itself: the stock kernel booted (QEMU, TCG),
		# five modules without dependencies loaded, a kprobe tried on every
		# code alias of the map there, each "yes" resolved by kas_alias in
		# the guest (examples/kernel/traceable_check.sh).
		tick
		local boot=()
		for name in e1000 e1000e bna mmc_core libnvdimm; do
			boot+=("$(find "$elfdir" -name "$name.ko" | head -n 1)")
		done
		tests/traceable/boot_stock.sh "$K/vmlinuz" "$w/tu/map.tsv" "$KA" "$(command -v busybox)" "${boot[@]}" >"$w/boot.log" ||
			{ cat "$w/boot.log" >&2; return 1; }
		grep -E '^KAS_E2E: (PASS|INFO kernel)' "$w/boot.log" | sed 's/^KAS_E2E: /stock boot: /'
		tock
	fi

	tick
	mkdir -p "$w/out" "$w/objcopy"
	"$KA" rewrite --drop-signature --plan-dir "$w/tu/plans" --out-dir "$w/out" @"$w/shipped"
	awk -F'\t' -v o="$w/out" '{ print $1 "\t" $2 "\t" o "/" $1 }' "$w/volume.list" >"$w/rewrite.list"
	"$CHECK" rewrite -modules "$w/rewrite.list" -plan-dir "$w/tu/plans" -work "$w/objcopy"
	refused "$w"
	tock

	if [ "$s" = 6.1 ]; then
		# Volume, once: every local function aliased (166,507 aliases, what
		# TestRealModules checked). 6.12's modules take the same code paths
		# and would add two minutes.
		tick
		"$CHECK" volume-plans -modules "$w/volume.list" -plan-dir "$w/tu/plans" -out "$w/volume"
		rm -rf "$w/out"
		mkdir -p "$w/out"
		"$KA" rewrite --drop-signature --plan-dir "$w/volume" --out-dir "$w/out" @"$w/shipped"
		"$CHECK" rewrite -modules "$w/rewrite.list" -plan-dir "$w/volume" -work "$w/objcopy"
		rm -rf "$w/out" "$w/volume"
		tock
	fi

	tick
	mkdir -p "$w/srcline"
	"$KA" scan -v --scheme srcline --vmlinux "$K/vmlinux" --syms "$w/srcline/syms" \
		--map-tsv "$w/srcline/map.tsv" --map-json "$w/srcline/map.json" 2>"$w/srcline.log" ||
		{ cat "$w/srcline.log" >&2; return 1; }
	sed 's/^/srcline scan: /' "$w/srcline.log"
	"$CHECK" unique -scheme srcline -mksysmap "$v" -vmlinux "$K/vmlinux" -vmlinux-nm "$w/gnu/vmlinux.nm" \
		-system-map "$K/System.map" -syms "$w/srcline/syms" -map-tsv "$w/srcline/map.tsv" \
		-map-json "$w/srcline/map.json" -scan-log "$w/srcline.log" | sed 's/^/srcline /'
	"$CHECK" srcline -vmlinux "$K/vmlinux" -map-tsv "$w/srcline/map.tsv"
	tock
	rm -rf "$w"
}

# refused W: a signed module with aliases to add is refused without
# --drop-signature: exit status 1, one line naming the file, no output.
refused() {
	local w=$1 name="" f="" p
	for p in "$w"/tu/plans/*.plan.json; do
		if grep -q '"name"' "$p"; then
			name=$(basename "$p" .plan.json)
			break
		fi
	done
	f=$(grep -m1 -F "/$name" "$w/shipped" || true)
	[ -n "$name" ] && [ -n "$f" ] || { echo "FAIL signature: no module with aliases" >&2; return 1; }
	local st=0
	"$KA" rewrite --plan "$w/tu/plans/$name.plan.json" -o "$w/refused.ko" "$f" 2>"$w/refused.err" || st=$?
	if [ $st != 1 ] || [ -e "$w/refused.ko" ] || [ "$(wc -l <"$w/refused.err")" != 1 ] || ! grep -qF "$f" "$w/refused.err"; then
		echo "FAIL signature: kas_alias rewrite of signed $f without --drop-signature: status $st, output $(ls "$w/refused.ko" 2>/dev/null || echo none), stderr:" >&2
		cat "$w/refused.err" >&2
		return 1
	fi
	echo "signature: signed $name refused without --drop-signature: $(cat "$w/refused.err")"
}

start=$(date +%s.%N)
tools/build-sign-file.sh "$W/sign-file" >/dev/null
for i in "${!kernels[@]}"; do
	kernel "${kernels[$i]}" "${dirs[$i]}"
	tick
	plain="${dirs[$i]}/modules"
	[ -d "${dirs[$i]}/modules-ko" ] && plain="${dirs[$i]}/modules-ko"
	tests/realdata/sign_identity.sh "$plain" "$KA" "$W/sign-file/sign-file" "${SIGN_SAMPLE:-300}"
	tock
done
awk -v a="$start" -v b="$(date +%s.%N)" -v k="${kernels[*]}" 'BEGIN { printf "realdata: Debian %s checked in %.0f s\n", k, b - a }'
