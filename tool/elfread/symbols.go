package elfread

import (
	"debug/elf"
)

// symtabView is the located and checked symbol table.
type symtabView struct {
	data    []byte // .symtab contents
	strs    []byte // its string table
	shndx   []byte // SHT_SYMTAB_SHNDX contents, nil if none
	entsize int
	n       int // entries, including the null symbol
}

func (f *File) symtabView() (symtabView, error) {
	var v symtabView
	if f.symtab == 0 {
		return v, f.Errorf("no symbols (no .symtab section)")
	}
	i := f.symtab
	s := &f.Sections[i]
	want := uint64(16)
	if f.is64 {
		want = 24
	}
	if s.Entsize != want {
		return v, f.SectionErrorf(i, -1, "symbol entry size %d, want %d", s.Entsize, want)
	}
	data, err := f.SectionData(i)
	if err != nil {
		return v, err
	}
	if uint64(s.Link) >= uint64(len(f.Sections)) || s.Link == 0 {
		return v, f.SectionErrorf(i, -1, "string table index %d out of range (%d sections)", s.Link, len(f.Sections))
	}
	if t := f.Sections[s.Link].Type; t != elf.SHT_STRTAB {
		return v, f.SectionErrorf(i, -1, "linked section %d (%s) is %v, not a string table", s.Link, f.Sections[s.Link].Name, t)
	}
	strs, err := f.SectionData(int(s.Link))
	if err != nil {
		return v, err
	}
	v.data, v.strs, v.entsize = data, strs, int(want)
	v.n = len(data) / int(want)
	for j := range f.Sections {
		x := &f.Sections[j]
		if x.Type == elf.SHT_SYMTAB_SHNDX && x.Link == uint32(i) {
			v.shndx, err = f.SectionData(j)
			if err != nil {
				return v, err
			}
			break
		}
	}
	return v, nil
}

// Symbols returns .symtab entries 1..n-1 in table order (symbol table index
// i is element i-1), decoded anew on each call.
func (f *File) Symbols() ([]Symbol, error) {
	v, err := f.symtabView()
	if err != nil {
		return nil, err
	}
	if v.n <= 1 {
		return nil, nil
	}
	syms := make([]Symbol, v.n-1)
	file := ""
	for i := 1; i < v.n; i++ {
		s := &syms[i-1]
		if err := f.readSym(&v, i, s); err != nil {
			return nil, err
		}
		if s.Type == elf.STT_FILE {
			file = s.Name
		}
		s.File = file
	}
	return syms, nil
}

// readSym decodes entry i of the table into s (without s.File).
func (f *File) readSym(v *symtabView, i int, s *Symbol) error {
	e := v.data[i*v.entsize : (i+1)*v.entsize]
	var name uint32
	var info uint8
	var shndx uint16
	if f.is64 {
		name = f.u32(e[0:])
		info, s.Other = e[4], e[5]
		shndx = f.u16(e[6:])
		s.Value = f.u64(e[8:])
		s.Size = f.u64(e[16:])
	} else {
		name = f.u32(e[0:])
		s.Value = uint64(f.u32(e[4:]))
		s.Size = uint64(f.u32(e[8:]))
		info, s.Other = e[12], e[13]
		shndx = f.u16(e[14:])
	}
	s.Index = uint32(i)
	s.Bind = elf.SymBind(info >> 4)
	s.Type = elf.SymType(info & 0xf)
	s.Section = uint32(shndx)
	s.Extended = false
	if shndx == uint16(elf.SHN_XINDEX) {
		if v.shndx == nil || uint64(i)*4+4 > uint64(len(v.shndx)) {
			return f.SectionErrorf(f.symtab, int64(i)*int64(v.entsize), "symbol %d: section index is SHN_XINDEX but the extended section index table has no entry for it", i)
		}
		s.Section = f.u32(v.shndx[i*4:])
		s.Extended = true
	}
	if uint64(name) >= uint64(len(v.strs)) {
		if name != 0 {
			return f.SectionErrorf(f.symtab, int64(i)*int64(v.entsize), "symbol %d: name offset %#x past end of string table %s (%d bytes)", i, name, f.Sections[f.Sections[f.symtab].Link].Name, len(v.strs))
		}
		s.Name = ""
	} else {
		s.Name = cstring(v.strs[name:])
	}
	return nil
}

// Lookup returns the first symbol named name, decoding no other.
func (f *File) Lookup(name string) (Symbol, bool, error) {
	var s Symbol
	v, err := f.symtabView()
	if err != nil {
		return s, false, err
	}
	for i := 1; i < v.n; i++ {
		e := v.data[i*v.entsize:]
		off := uint64(f.u32(e))
		if off >= uint64(len(v.strs)) || uint64(len(v.strs))-off <= uint64(len(name)) ||
			v.strs[off+uint64(len(name))] != 0 || string(v.strs[off:off+uint64(len(name))]) != name {
			continue
		}
		if err := f.readSym(&v, i, &s); err != nil {
			return s, false, err
		}
		return s, true, nil
	}
	return s, false, nil
}
