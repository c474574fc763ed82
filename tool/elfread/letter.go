package elfread

import (
	"debug/elf"
	"strings"
)

// Processor-specific section indices that BFD's back ends give meaning to.
const (
	shnMIPSAcommon    = 0xff00
	shnMIPSText       = 0xff01
	shnMIPSData       = 0xff02
	shnMIPSScommon    = 0xff03
	shnMIPSSundefined = 0xff04
	shnX8664Lcommon   = 0xff02

	sttCommon = elf.STT_COMMON    // 5
	sttIFunc  = elf.STT_GNU_IFUNC // 10
	stbUnique = elf.SymBind(10)   // STB_GNU_UNIQUE
)

// symClass is where BFD puts a symbol.
type symClass uint8

const (
	classSection symClass = iota // a BFD section: letter from secLetter
	classUndef
	classCommon      // 'C'
	classSmallCommon // 'c'
	classAllocCommon // MIPS SHN_MIPS_ACOMMON: an allocated common section, 'b'
	classAbs
)

// classifySections computes nm's lowercase letter for every section the way
// BFD derives section flags from the header (bfd/elf.c
// _bfd_elf_make_section_from_shdr, the back ends' section_from_shdr for
// special section indices) and turns them into a letter (bfd/syms.c coff_section_type,
// decode_section_type). Sections that BFD does not turn into a BFD section
// (section header string table, .symtab, its string table, its
// SHT_SYMTAB_SHNDX, relocation sections it attaches to their target) get 0:
// BFD puts symbols defined in them in the absolute section.
func (f *File) classifySections() {
	n := len(f.Sections)
	f.secLetter = make([]byte, n)
	var strtab uint32
	if f.symtab != 0 {
		strtab = f.Sections[f.symtab].Link
	}
	execOrDyn := f.Type == elf.ET_EXEC || f.Type == elf.ET_DYN
	for i := 1; i < n; i++ {
		s := &f.Sections[i]
		switch {
		case s.Type == elf.SHT_NULL,
			uint32(i) == f.shstrndx,
			i == f.symtab,
			s.Type == elf.SHT_SYMTAB_SHNDX,
			s.Type == elf.SHT_STRTAB && f.symtab != 0 && uint32(i) == strtab:
			continue
		case s.Type == elf.SHT_REL || s.Type == elf.SHT_RELA:
			// BFD presents a relocation section as a normal section
			// unless it relocates a valid section with the main
			// symbol table.
			normal := (execOrDyn && s.Flags&elf.SHF_ALLOC != 0) ||
				s.Link == 0 || int(s.Link) != f.symtab ||
				s.Info == 0 || uint64(s.Info) >= uint64(n) ||
				f.Sections[s.Info].Type == elf.SHT_REL || f.Sections[s.Info].Type == elf.SHT_RELA
			if !normal {
				continue
			}
		}
		f.secLetter[i] = sectionLetter(s)
	}
}

// sectionLetter is nm's lowercase letter for a symbol in section s. BFD
// marks no ELF section SEC_SMALL_DATA when reading (GNU nm 2.40 prints D/B,
// never G/S, for .sdata/.sbss symbols of mips and powerpc objects), so only
// the small common section of MIPS (SHN_MIPS_SCOMMON, 'c') is small, and
// that is a symbol class, not a section.
func sectionLetter(s *Section) byte {
	if c := coffSectionType(s.Name); c != 0 {
		return c
	}
	contents := s.Type != elf.SHT_NOBITS
	alloc := s.Flags&elf.SHF_ALLOC != 0
	load := alloc && contents
	readonly := s.Flags&elf.SHF_WRITE == 0
	code := s.Flags&elf.SHF_EXECINSTR != 0
	data := !code && load
	debugging := false
	if !alloc && strings.HasPrefix(s.Name, ".") {
		n := s.Name
		debugging = strings.HasPrefix(n, ".debug") ||
			strings.HasPrefix(n, ".gnu.debuglto_.debug_") ||
			strings.HasPrefix(n, ".gnu.linkonce.wi.") ||
			strings.HasPrefix(n, ".zdebug") ||
			strings.HasPrefix(n, ".line") ||
			strings.HasPrefix(n, ".stab") ||
			n == ".gdb_index"
	}
	switch {
	case code:
		return 't'
	case data && readonly:
		return 'r'
	case data:
		return 'd'
	case !contents:
		return 'b'
	case debugging:
		return 'N'
	case readonly:
		return 'n'
	}
	return '?'
}

// coffSectionType is BFD's table of section names with a fixed letter:
// the name, or the name followed by '.', '$' or a digit.
func coffSectionType(name string) byte {
	for _, t := range [...]struct {
		name string
		c    byte
	}{{".drectve", 'i'}, {".edata", 'e'}, {".idata", 'i'}, {".pdata", 'p'}} {
		if strings.HasPrefix(name, t.name) {
			if len(name) == len(t.name) {
				return t.c
			}
			switch c := name[len(t.name)]; {
			case c == '.' || c == '$' || ('0' <= c && c <= '9'):
				return t.c
			}
		}
	}
	return 0
}

// class returns where BFD puts s, and for classSection the section index.
func (f *File) class(s *Symbol) (symClass, int) {
	sec := s.Section
	if !s.Extended && sec >= uint32(elf.SHN_LORESERVE) {
		switch sec {
		case uint32(elf.SHN_ABS):
			return classAbs, 0
		case uint32(elf.SHN_COMMON):
			return classCommon, 0
		}
		switch f.Machine {
		case elf.EM_X86_64:
			if sec == shnX8664Lcommon {
				return classCommon, 0
			}
		case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
			switch sec {
			case shnMIPSScommon:
				return classSmallCommon, 0
			case shnMIPSSundefined:
				return classUndef, 0
			case shnMIPSAcommon:
				return classAllocCommon, 0
			case shnMIPSText, shnMIPSData:
				want := ".text"
				if sec == shnMIPSData {
					want = ".data"
				}
				for i := range f.Sections {
					if f.Sections[i].Name == want && f.secLetter[i] != 0 {
						return classSection, i
					}
				}
			}
		}
		return classAbs, 0
	}
	if sec == uint32(elf.SHN_UNDEF) {
		return classUndef, 0
	}
	if uint64(sec) >= uint64(len(f.Sections)) || f.secLetter[sec] == 0 {
		return classAbs, 0
	}
	return classSection, int(sec)
}

// Letter returns the GNU nm type letter of s (bfd_decode_symclass).
func (f *File) Letter(s *Symbol) byte {
	cl, sec := f.class(s)
	object := s.Type == elf.STT_OBJECT || s.Type == sttCommon
	switch cl {
	case classCommon:
		return 'C'
	case classSmallCommon:
		return 'c'
	case classUndef:
		if s.Bind == elf.STB_WEAK {
			if object {
				return 'v'
			}
			return 'w'
		}
		return 'U'
	}
	if s.Type == sttIFunc {
		return 'i'
	}
	switch s.Bind {
	case elf.STB_WEAK:
		if object {
			return 'V'
		}
		return 'W'
	case stbUnique:
		return 'u'
	case elf.STB_GLOBAL, elf.STB_LOCAL:
	default:
		return '?'
	}
	var c byte
	switch cl {
	case classAbs:
		c = 'a'
	case classAllocCommon:
		c = 'b' // SEC_ALLOC only: no contents
	default:
		c = f.secLetter[sec]
	}
	if s.Bind == elf.STB_GLOBAL && 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	return c
}

// Value returns the value nm prints for s (the section offset in ET_REL,
// the size for common symbols, 0 for undefined symbols).
func (f *File) Value(s *Symbol) uint64 {
	cl, sec := f.class(s)
	switch cl {
	case classUndef:
		return 0
	case classCommon, classSmallCommon:
		return s.Size
	}
	v := s.Value
	// BFD's ARM back end clears the Thumb bit of function addresses
	// (elf32_arm_swap_symbol_in).
	if f.Machine == elf.EM_ARM && (s.Type == elf.STT_FUNC || s.Type == sttIFunc) {
		v &^= 1
	}
	if cl == classSection && f.Type == elf.ET_REL && sec > 0 {
		v += f.Sections[sec].Addr
	}
	return v
}

// Undefined reports whether nm prints s without a value (U, w, v).
func Undefined(letter byte) bool { return letter == 'U' || letter == 'w' || letter == 'v' }

// Listed reports whether nm (without -a) prints s: not section or file
// symbols, not the target's special (mapping) symbols.
func (f *File) Listed(s *Symbol) bool {
	if s.Type == elf.STT_SECTION || s.Type == elf.STT_FILE {
		return false
	}
	return !f.targetSpecial(s.Name)
}

// targetSpecial is BFD's bfd_is_target_special_symbol for the back ends
// that define it.
func (f *File) targetSpecial(name string) bool {
	switch f.Machine {
	case elf.EM_ARM:
		// $a $t $d (mapping), $m $f $p (tags), other $<lower>, alone or
		// followed by '.'.
		return len(name) >= 2 && name[0] == '$' && 'a' <= name[1] && name[1] <= 'z' &&
			(len(name) == 2 || name[2] == '.')
	case elf.EM_AARCH64:
		if len(name) < 2 || name[0] != '$' {
			return false
		}
		switch name[1] {
		case 'x', 'd', 'm', 'f', 'p':
			return len(name) == 2 || name[2] == '.'
		}
		return false
	case elf.EM_RISCV:
		return name == "" || isLocalLabelName(name) ||
			name == "$d" || name == "$x" || strings.HasPrefix(name, "$xrv")
	}
	return false
}

// isLocalLabelName is BFD's _bfd_elf_is_local_label_name.
func isLocalLabelName(name string) bool {
	if len(name) >= 2 && name[0] == '.' && (name[1] == 'L' || name[1] == '.') {
		return true
	}
	if strings.HasPrefix(name, "_.L_") {
		return true
	}
	if len(name) >= 2 && name[0] == 'L' && '0' <= name[1] && name[1] <= '9' {
		ret := false
		for p := 2; p < len(name); p++ {
			c := name[p]
			if c == 1 || c == 2 {
				if c == 1 && p == 2 {
					return true
				}
				ret = true
			}
			if c < '0' || c > '9' {
				ret = false
				break
			}
		}
		return ret
	}
	return false
}
