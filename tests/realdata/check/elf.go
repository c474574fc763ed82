package main

import (
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// sym is a symbol as the checks see it: debug/elf's, with SHN_XINDEX
// resolved and the type letter GNU nm would print.
type sym struct {
	name    string
	value   uint64 // st_value
	nmValue uint64 // what nm prints: in ET_REL, BFD adds the section's sh_addr
	size    uint64
	section uint32 // section header index, or SHN_UNDEF/ABS/COMMON
	bind    elf.SymBind
	typ     elf.SymType
	letter  byte // 0: nm does not print it (STT_SECTION, STT_FILE)
}

// object is one ELF file's section names and symbols (in .symtab order,
// without the null symbol).
type object struct {
	path     string
	secNames []string
	secs     []*elf.Section
	syms     []sym
}

func readObject(path string) (*object, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	o := &object{path: path, secs: f.Sections}
	var xindex []byte
	for _, s := range f.Sections {
		o.secNames = append(o.secNames, s.Name)
		if s.Type == elf.SHT_SYMTAB_SHNDX {
			if xindex, err = s.Data(); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
	}
	o.syms = make([]sym, len(es))
	for i, e := range es {
		s := sym{name: e.Name, value: e.Value, size: e.Size, section: uint32(e.Section),
			bind: elf.ST_BIND(e.Info), typ: elf.ST_TYPE(e.Info)}
		if e.Section == elf.SHN_XINDEX {
			// Entry i+1 of the table (debug/elf drops the null symbol).
			if 4*(i+2) > len(xindex) {
				return nil, fmt.Errorf("%s: symbol %d: SHN_XINDEX without its SHT_SYMTAB_SHNDX entry", path, i+1)
			}
			s.section = f.ByteOrder.Uint32(xindex[4*(i+1):])
		}
		if s.section < uint32(elf.SHN_LORESERVE) && int(s.section) >= len(f.Sections) {
			return nil, fmt.Errorf("%s: symbol %d %s: section %d of %d", path, i+1, s.name, s.section, len(f.Sections))
		}
		s.letter = o.letter(&s)
		s.nmValue = s.value
		if f.Type == elf.ET_REL && s.section > 0 && s.section < uint32(elf.SHN_LORESERVE) {
			s.nmValue += f.Sections[s.section].Addr
		}
		o.syms[i] = s
	}
	return o, nil
}

// letter is the type letter GNU nm (BFD's bfd_decode_symclass, with ELF
// sections' flags as BFD derives them) prints for s; 0 if nm skips it.
func (o *object) letter(s *sym) byte {
	switch {
	case s.typ == elf.STT_SECTION || s.typ == elf.STT_FILE:
		return 0
	case s.section == uint32(elf.SHN_COMMON):
		return 'C'
	case s.section == uint32(elf.SHN_UNDEF):
		switch {
		case s.bind != elf.STB_WEAK:
			return 'U'
		case s.typ == elf.STT_OBJECT:
			return 'v'
		}
		return 'w'
	case s.typ == elf.STT_GNU_IFUNC:
		return 'i'
	case s.bind == elf.STB_WEAK:
		if s.typ == elf.STT_OBJECT {
			return 'V'
		}
		return 'W'
	case s.bind == 10: // STB_GNU_UNIQUE
		return 'u'
	}
	c := byte('?')
	if s.section == uint32(elf.SHN_ABS) {
		c = 'a'
	} else if s.section < uint32(elf.SHN_LORESERVE) {
		c = sectionLetter(o.secs[s.section])
	}
	if s.bind == elf.STB_GLOBAL {
		c -= 'a' - 'A'
	}
	return c
}

func sectionLetter(sec *elf.Section) byte {
	contents := sec.Type != elf.SHT_NOBITS
	alloc := sec.Flags&elf.SHF_ALLOC != 0
	readonly := sec.Flags&elf.SHF_WRITE == 0
	switch {
	case sec.Flags&elf.SHF_EXECINSTR != 0:
		return 't'
	case alloc && contents && readonly:
		return 'r'
	case alloc && contents:
		return 'd'
	case !contents:
		return 'b'
	}
	for _, p := range []string{".debug", ".zdebug", ".gnu.linkonce.wi.", ".line", ".stab"} {
		if strings.HasPrefix(sec.Name, p) {
			return 'N'
		}
	}
	if readonly {
		return 'n'
	}
	return '?'
}

// nmLines is the object's symbols as `nm -n` lines (any order: compared as
// a multiset, since nm's order is what the tool under test reproduces).
func (o *object) nmLines(width int) []string {
	var l []string
	for i := range o.syms {
		s := &o.syms[i]
		if s.letter == 0 {
			continue
		}
		switch s.letter {
		case 'U', 'w', 'v':
			l = append(l, fmt.Sprintf("%*s %c %s", width, "", s.letter, s.name))
		default:
			l = append(l, fmt.Sprintf("%0*x %c %s", width, s.nmValue, s.letter, s.name))
		}
	}
	sort.Strings(l)
	return l
}

// nmLine is one parsed line of `nm -n` output.
type nmLine struct {
	raw    string
	value  uint64
	letter byte
	name   string
}

func parseNM(b []byte, path string) ([]nmLine, error) {
	text := strings.TrimSuffix(string(b), "\n")
	if text == "" {
		return nil, nil
	}
	var out []nmLine
	for i, l := range strings.Split(text, "\n") {
		// "%016x %c %s" or 16 spaces for undefined symbols.
		if len(l) < 20 || l[16] != ' ' || l[18] != ' ' {
			return nil, fmt.Errorf("%s:%d: not an nm -n line: %q", path, i+1, l)
		}
		x := nmLine{raw: l, letter: l[17], name: l[19:]}
		if l[0] != ' ' {
			if _, err := fmt.Sscanf(l[:16], "%x", &x.value); err != nil {
				return nil, fmt.Errorf("%s:%d: %q: %v", path, i+1, l, err)
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// keptBySysmap reports whether scripts/mksysmap keeps an nm line: Linux
// 6.1's grep -v, or the sed script of 6.4 and later (the patterns match
// at the space before the name, so they are name prefixes).
func keptBySysmap(version string, letter byte, name string) bool {
	switch letter {
	case 'a', 'N', 'U', 'w':
		return false
	}
	prefixes := []string{"$", ".L", "__crc_", "__kstrtab_", "__kstrtabns_"}
	if version != "6.1" {
		prefixes = append(prefixes, "__efistub_", "__pi_$", "__pi_.L", "__kvm_nvhe_$", "__kvm_nvhe_.L",
			"__kcfi_typeid_", "__kvm_nvhe___kcfi_typeid_", "__pi___kcfi_typeid_")
		for _, s := range []string{"_from_arm", "_from_thumb", "_veneer"} {
			if strings.HasSuffix(name, s) {
				return false
			}
		}
		// lld's thunks (__AArch64ADRPThunk_, __LA25Thunk_, ...)
		for _, p := range []string{"AArch64ADRP", "ARMV5PILong", "ARMV7PILong", "ThumbV7PILong", "LA25", "microLA25"} {
			if strings.HasPrefix(name, "__"+p+"Thunk_") {
				return false
			}
		}
		switch {
		case name == "_SDA_BASE_", name == "_SDA2_BASE_",
			strings.Contains(name, ".long_branch."), strings.Contains(name, ".plt_branch."):
			return false
		}
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return name != "L0"
}
