package elfread

import (
	"debug/elf"
	"encoding/binary"
)

// Reloc is one relocation entry, decoded.
type Reloc struct {
	Off    uint64 // r_offset: where in the target section
	Sym    uint32 // symbol table index
	Type   uint32 // machine's relocation type
	Addend int64  // r_addend (RELA); 0 for REL, whose addend is in the field
}

// Relocs are the entries of one SHT_REL or SHT_RELA section. It owns every
// r_info layout: ELF32 (sym<<8|type), ELF64 (sym<<32|type) and MIPS64's
// (a 32-bit symbol, then r_ssym, r_type3, r_type2, r_type, in file order).
type Relocs struct {
	Section int  // section header index of the relocation section
	Target  int  // sh_info: the section relocated
	RELA    bool // entries have addends
	data    []byte
	ent     int
	f       *File
}

// Relocs returns the relocation section i, checked: SHT_REL or SHT_RELA,
// the entry size of its class, a whole number of entries.
func (f *File) Relocs(i int) (*Relocs, error) {
	if i <= 0 || i >= len(f.Sections) {
		return nil, f.Errorf("relocation section %d out of range (%d sections)", i, len(f.Sections))
	}
	s := &f.Sections[i]
	r := &Relocs{Section: i, Target: int(s.Info), RELA: s.Type == elf.SHT_RELA, f: f}
	switch {
	case s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA:
		return nil, f.SectionErrorf(i, -1, "%v is not a relocation section", s.Type)
	case f.is64 && r.RELA:
		r.ent = 24
	case f.is64:
		r.ent = 16
	case r.RELA:
		r.ent = 12
	default:
		r.ent = 8
	}
	if s.Size%uint64(r.ent) != 0 || (s.Entsize != 0 && s.Entsize != uint64(r.ent)) {
		return nil, f.SectionErrorf(i, -1, "entry size %d, size %d: want entries of %d bytes", s.Entsize, s.Size, r.ent)
	}
	var err error
	if r.data, err = f.SectionData(i); err != nil {
		return nil, err
	}
	return r, nil
}

// Len is the number of entries.
func (r *Relocs) Len() int { return len(r.data) / r.ent }

// Data returns the section's bytes as stored.
func (r *Relocs) Data() []byte { return r.data }

// At decodes entry k.
func (r *Relocs) At(k int) Reloc {
	f := r.f
	e := r.data[k*r.ent : (k+1)*r.ent]
	var rel Reloc
	if !f.is64 {
		info := f.u32(e[4:])
		rel = Reloc{Off: uint64(f.u32(e)), Sym: info >> 8, Type: info & 0xff}
		if r.RELA {
			rel.Addend = int64(int32(f.u32(e[8:])))
		}
		return rel
	}
	rel.Off = f.u64(e)
	if f.Machine == elf.EM_MIPS {
		rel.Sym, rel.Type = f.u32(e[8:]), uint32(e[15])
	} else {
		info := f.u64(e[8:])
		rel.Sym, rel.Type = uint32(info>>32), uint32(info)
	}
	if r.RELA {
		rel.Addend = int64(f.u64(e[16:]))
	}
	return rel
}

// SetSym writes sym as the symbol index of entry k into data, a copy of
// Data(); every other bit of the entry is kept.
func (r *Relocs) SetSym(data []byte, k int, sym uint32) {
	f := r.f
	e := data[k*r.ent : (k+1)*r.ent]
	switch {
	case !f.is64:
		// The symbol is the top 24 bits of r_info.
		if f.le {
			e[5], e[6], e[7] = byte(sym), byte(sym>>8), byte(sym>>16)
		} else {
			e[4], e[5], e[6] = byte(sym>>16), byte(sym>>8), byte(sym)
		}
	case f.le && f.Machine != elf.EM_MIPS:
		binary.LittleEndian.PutUint32(e[12:], sym)
	default:
		// Big-endian high word of r_info, or MIPS64's leading symbol word.
		f.ByteOrder.PutUint32(e[8:], sym)
	}
}
