package listing

import (
	"bytes"
	"fmt"
	"strings"
)

// The kernel's scripts/mksysmap turns "nm -n vmlinux" into System.map and
// into the kallsyms input (.tmp_vmlinux*.syms) by deleting lines that match
// patterns. The patterns match the whole line "VALUE T NAME", so a pattern
// with a leading space ("/ __crc_/d") matches a name that starts with it
// (or a space inside a name followed by it), "_veneer$" a name that ends
// with it, and " [aNUw] " the type field.
//
// Two versions exist:
//
//   - Linux 6.1 (Debian 12's kernel; the same through 6.2): a grep -v of
//     types a N U w and the prefixes $ .L __crc_ __kstrtab_ __kstrtabns_,
//     and the name L0. Further names are dropped later by scripts/kallsyms
//     itself (is_ignored_symbol), not by mksysmap. Mksysmap61.
//
//   - Linux 6.4 and later (checked against 6.12): a sed script that also
//     holds what scripts/kallsyms used to drop: the prefixes __efistub_,
//     __pi_$, __pi_.L, __kvm_nvhe_$, __kvm_nvhe_.L, __kcfi_typeid_,
//     __kvm_nvhe___kcfi_typeid_, __pi___kcfi_typeid_, lld's range thunks
//     (/ __[[:alnum:]]*Thunk_/, ASCII alnum as under LC_ALL=C), the
//     suffixes _from_arm _from_thumb _veneer, the names _SDA_BASE_ and
//     _SDA2_BASE_, and names containing .long_branch. or .plt_branch. .
//     The "$" patterns are meant literally (the shell-quoting slips of
//     6.4-6.13 that turned "/ \$/" into an end-of-line anchor were fixed
//     in stable). Mksysmap64.

// Rules names a version of scripts/mksysmap. The zero value is the current
// one.
type Rules int

const (
	// Mksysmap64 is scripts/mksysmap of Linux 6.4 and later (checked
	// against 6.12).
	Mksysmap64 Rules = iota
	// Mksysmap61 is scripts/mksysmap of Linux 6.1 (through 6.2).
	Mksysmap61
)

// String is the first kernel version with these rules ("6.1", "6.4").
func (r Rules) String() string {
	switch r {
	case Mksysmap64:
		return "6.4"
	case Mksysmap61:
		return "6.1"
	}
	return fmt.Sprintf("Rules(%d)", int(r))
}

// ParseRules maps a kernel version ("6.1", "6.4", "6.12", ...) to the
// mksysmap it ships.
func ParseRules(s string) (Rules, error) {
	var major, minor int
	if _, err := fmt.Sscanf(s, "%d.%d", &major, &minor); err != nil || fmt.Sprintf("%d.%d", major, minor) != s {
		return 0, fmt.Errorf("mksysmap version %q: want a kernel version such as 6.1 or 6.12", s)
	}
	if major < 6 || (major == 6 && minor <= 2) {
		return Mksysmap61, nil
	}
	if major == 6 && minor == 3 {
		return 0, fmt.Errorf("mksysmap version %s: not supported (6.1 rules cover up to 6.2, 6.4 rules from 6.4)", s)
	}
	return Mksysmap64, nil
}

// Keep reports whether the line survives this version of mksysmap.
func (r Rules) Keep(l *Line) bool {
	if plain(l.Name) {
		// No name pattern can match: only the type decides.
		return l.Type != 'a' && l.Type != 'N' && l.Type != 'U' && l.Type != 'w'
	}
	return r.keep(l)
}

// plain reports whether no pattern of either version can match name: every
// pattern needs a blank in the name, a '.', a name that starts with '$',
// '_' or 'L', or one of three suffixes. Nearly every kernel symbol is
// plain; TestMksysmapPlain checks this against the patterns themselves.
func plain(name string) bool {
	if name == "" || name[0] == '$' || name[0] == '_' || name[0] == 'L' || strings.ContainsAny(name, " .") {
		return false
	}
	return !strings.HasSuffix(name, "_from_arm") && !strings.HasSuffix(name, "_from_thumb") && !strings.HasSuffix(name, "_veneer")
}

// keep applies the patterns to the line.
func (r Rules) keep(l *Line) bool {
	if r == Mksysmap61 {
		return keptBy61(l)
	}
	return keptBy64(l)
}

// keptBy64 reports whether scripts/mksysmap of 6.4 and later keeps the line.
func keptBy64(l *Line) bool {
	var buf [128]byte
	t := lineText(buf[:0], l)
	if !keptCommon(t) {
		return false
	}
	if containsAfterBlank(t, " __efistub_", " __pi_$", " __pi_.L", " __kvm_nvhe_$", " __kvm_nvhe_.L",
		" __kcfi_typeid_", " __kvm_nvhe___kcfi_typeid_", " __pi___kcfi_typeid_") {
		return false
	}
	// / __[[:alnum:]]*Thunk_/
	for i := 0; ; {
		j := bytes.Index(t[i:], []byte(" __"))
		if j < 0 {
			break
		}
		start := i + j + 3
		k := start
		for k < len(t) && isAlnum(t[k]) {
			k++
		}
		// "Thunk" is alnum itself: the run must end with it, then '_'.
		if k < len(t) && t[k] == '_' && bytes.HasSuffix(t[start:k], []byte("Thunk")) {
			return false
		}
		i += j + 1
	}
	for _, s := range [...]string{"_from_arm", "_from_thumb", "_veneer", " _SDA_BASE_", " _SDA2_BASE_"} {
		if bytes.HasSuffix(t, []byte(s)) {
			return false
		}
	}
	for _, p := range [...]string{".long_branch.", ".plt_branch."} {
		if bytes.Contains(t, []byte(p)) {
			return false
		}
	}
	return true
}

// keptBy61 reports whether scripts/mksysmap of Linux 6.1 keeps the line.
func keptBy61(l *Line) bool {
	var buf [128]byte
	return keptCommon(lineText(buf[:0], l))
}

// keptCommon is what both versions drop.
func keptCommon(t []byte) bool {
	// / [aNUw] /
	for i := 0; i+2 < len(t); i++ {
		if t[i] == ' ' && t[i+2] == ' ' {
			switch t[i+1] {
			case 'a', 'N', 'U', 'w':
				return false
			}
		}
	}
	return !containsAfterBlank(t, " $", " .L", " __crc_", " __kstrtab_", " __kstrtabns_") &&
		!bytes.HasSuffix(t, []byte(" L0"))
}

// containsAfterBlank reports whether t contains one of patterns, each of
// which starts with a blank: a match starts at one of t's few blanks (two,
// unless the name has some), so only those are tried.
func containsAfterBlank(t []byte, patterns ...string) bool {
	for i := 0; i < len(t); i++ {
		j := bytes.IndexByte(t[i:], ' ')
		if j < 0 {
			return false
		}
		i += j
		for _, p := range patterns {
			if bytes.HasPrefix(t[i:], []byte(p)) {
				return true
			}
		}
	}
	return false
}

// lineText is the part of the listing line the patterns can match: the
// value field has no spaces (hex digits) or only spaces, neither of which
// any pattern can use, so " T NAME" decides.
func lineText(buf []byte, l *Line) []byte {
	buf = append(buf, ' ', l.Type, ' ')
	return append(buf, l.Name...)
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
