package srcindex

import (
	"debug/elf"
	"encoding/binary"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// debugName maps ".zdebug_x" to ".debug_x".
func debugName(n string) string {
	if strings.HasPrefix(n, ".zdebug_") {
		return ".debug_" + n[len(".zdebug_"):]
	}
	return n
}

// RISC-V relocations debug/elf does not name: a ULEB128 field set to S+A,
// then decreased by S+A of its pair (label differences in DWARF 5's range
// and location lists, from GCC 14+ and LLVM 18+).
const (
	rRISCVSetULEB128 = 60
	rRISCVSubULEB128 = 61
)

// ulebField is the size of a relocated ULEB128 field: as long as its
// encoding in the section is.
const ulebField = -1

// relocKind says how one relocation type of a machine writes its field.
type relocKind struct {
	size int  // field size in bytes
	op   byte // 'a' = S+A, 'd' = S+A of a delta pair added, 's' = subtracted, 'S' = set (riscv SETn), '6'/'7' = riscv 6-bit add/sub-less set/sub
}

// relocKinds lists the relocation types that appear in the debug sections of
// gcc's objects, per machine. Types not listed are an error: silently
// leaving a field unrelocated would give wrong locations.
func relocKindOf(m elf.Machine, t uint32) (relocKind, bool) {
	switch m {
	case elf.EM_X86_64:
		switch elf.R_X86_64(t) {
		case elf.R_X86_64_64:
			return relocKind{8, 'a'}, true
		case elf.R_X86_64_32, elf.R_X86_64_32S:
			return relocKind{4, 'a'}, true
		case elf.R_X86_64_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_386:
		switch elf.R_386(t) {
		case elf.R_386_32:
			return relocKind{4, 'a'}, true
		case elf.R_386_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_AARCH64:
		switch elf.R_AARCH64(t) {
		case elf.R_AARCH64_ABS64:
			return relocKind{8, 'a'}, true
		case elf.R_AARCH64_ABS32:
			return relocKind{4, 'a'}, true
		case elf.R_AARCH64_ABS16:
			return relocKind{2, 'a'}, true
		case elf.R_AARCH64_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_ARM:
		switch elf.R_ARM(t) {
		case elf.R_ARM_ABS32, elf.R_ARM_TARGET1:
			return relocKind{4, 'a'}, true
		case elf.R_ARM_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_RISCV:
		switch elf.R_RISCV(t) {
		case elf.R_RISCV_64:
			return relocKind{8, 'a'}, true
		case elf.R_RISCV_32:
			return relocKind{4, 'a'}, true
		case elf.R_RISCV_ADD8:
			return relocKind{1, 'd'}, true
		case elf.R_RISCV_ADD16:
			return relocKind{2, 'd'}, true
		case elf.R_RISCV_ADD32:
			return relocKind{4, 'd'}, true
		case elf.R_RISCV_ADD64:
			return relocKind{8, 'd'}, true
		case elf.R_RISCV_SUB8:
			return relocKind{1, 's'}, true
		case elf.R_RISCV_SUB16:
			return relocKind{2, 's'}, true
		case elf.R_RISCV_SUB32:
			return relocKind{4, 's'}, true
		case elf.R_RISCV_SUB64:
			return relocKind{8, 's'}, true
		case elf.R_RISCV_SET8:
			return relocKind{1, 'S'}, true
		case elf.R_RISCV_SET16:
			return relocKind{2, 'S'}, true
		case elf.R_RISCV_SET32:
			return relocKind{4, 'S'}, true
		case elf.R_RISCV_SET6:
			return relocKind{1, '6'}, true
		case elf.R_RISCV_SUB6:
			return relocKind{1, '7'}, true
		case elf.R_RISCV_NONE, elf.R_RISCV_RELAX:
			return relocKind{0, 0}, true
		}
		switch t {
		case rRISCVSetULEB128:
			return relocKind{ulebField, 'u'}, true
		case rRISCVSubULEB128:
			return relocKind{ulebField, 'U'}, true
		}
	case elf.EM_S390:
		switch elf.R_390(t) {
		case elf.R_390_64:
			return relocKind{8, 'a'}, true
		case elf.R_390_32:
			return relocKind{4, 'a'}, true
		case elf.R_390_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_PPC:
		switch elf.R_PPC(t) {
		case elf.R_PPC_ADDR32, elf.R_PPC_UADDR32:
			return relocKind{4, 'a'}, true
		case elf.R_PPC_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_PPC64:
		switch elf.R_PPC64(t) {
		case elf.R_PPC64_ADDR64, elf.R_PPC64_UADDR64:
			return relocKind{8, 'a'}, true
		case elf.R_PPC64_ADDR32, elf.R_PPC64_UADDR32:
			return relocKind{4, 'a'}, true
		case elf.R_PPC64_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_MIPS:
		switch elf.R_MIPS(t) {
		case elf.R_MIPS_32:
			return relocKind{4, 'a'}, true
		case elf.R_MIPS_64:
			return relocKind{8, 'a'}, true
		case elf.R_MIPS_NONE:
			return relocKind{0, 0}, true
		}
	case elf.EM_LOONGARCH:
		switch elf.R_LARCH(t) {
		case elf.R_LARCH_64:
			return relocKind{8, 'a'}, true
		case elf.R_LARCH_32:
			return relocKind{4, 'a'}, true
		case elf.R_LARCH_ADD8:
			return relocKind{1, 'd'}, true
		case elf.R_LARCH_ADD16:
			return relocKind{2, 'd'}, true
		case elf.R_LARCH_ADD32:
			return relocKind{4, 'd'}, true
		case elf.R_LARCH_ADD64:
			return relocKind{8, 'd'}, true
		case elf.R_LARCH_SUB8:
			return relocKind{1, 's'}, true
		case elf.R_LARCH_SUB16:
			return relocKind{2, 's'}, true
		case elf.R_LARCH_SUB32:
			return relocKind{4, 's'}, true
		case elf.R_LARCH_SUB64:
			return relocKind{8, 's'}, true
		case elf.R_LARCH_NONE:
			return relocKind{0, 0}, true
		}
	}
	return relocKind{}, false
}

// applyRelocs relocates dst, the copy of a debug section, with r. Symbols
// in allocated sections resolve to base[section]+value, so addresses in the
// DWARF become synthetic link-time addresses that keep the section; symbols
// of other sections (.debug_str, .debug_line ...) resolve to their offset
// there. syms is the symbol table (index i at syms[i-1]).
func applyRelocs(f *elfread.File, r *elfread.Relocs, dst []byte, syms []elfread.Symbol, base []uint64) error {
	bo := f.ByteOrder
	var uleb pendingULEB
	for k := 0; k < r.Len(); k++ {
		rel := r.At(k)
		kind, ok := relocKindOf(f.Machine, rel.Type)
		if !ok {
			return f.SectionErrorf(r.Section, -1, "unsupported relocation type %d for %v at offset %#x", rel.Type, f.Machine, rel.Off)
		}
		if kind.size == 0 {
			continue
		}
		size := kind.size
		if size == ulebField && rel.Off < uint64(len(dst)) {
			size = 1
			for rel.Off+uint64(size) <= uint64(len(dst)) && dst[rel.Off+uint64(size)-1]&0x80 != 0 {
				size++
			}
		}
		if rel.Off > uint64(len(dst)) || size <= 0 || uint64(size) > uint64(len(dst))-rel.Off {
			return f.SectionErrorf(r.Section, -1, "relocation offset %#x outside section %d", rel.Off, r.Target)
		}
		if uint64(rel.Sym) > uint64(len(syms)) {
			return f.SectionErrorf(r.Section, -1, "relocation symbol %d out of range (%d symbols)", rel.Sym, len(syms)+1)
		}
		var s uint64
		if rel.Sym > 0 {
			sym := &syms[rel.Sym-1]
			if sym.Section != 0 && uint64(sym.Section) < uint64(len(base)) && (sym.Extended || sym.Section < uint32(elf.SHN_LORESERVE)) {
				s = base[sym.Section]
			}
			s += sym.Value
		}
		field := dst[rel.Off : rel.Off+uint64(size)]
		if kind.size == ulebField {
			// A SET is followed by the SUB of its pair: the field holds
			// their difference, which alone must fit.
			v := s + uint64(rel.Addend)
			if kind.op == 'u' {
				if err := uleb.flush(); err != nil {
					return err
				}
				uleb = pendingULEB{field: field, v: v, set: true, f: f, r: r, off: rel.Off}
				continue
			}
			if uleb.set && &uleb.field[0] == &field[0] {
				uleb.v -= v
			} else {
				if err := uleb.flush(); err != nil {
					return err
				}
				old, _ := binary.Uvarint(field)
				uleb = pendingULEB{field: field, v: old - v, set: true, f: f, r: r, off: rel.Off}
			}
			if err := uleb.flush(); err != nil {
				return err
			}
			continue
		}
		old := readField(bo, field)
		addend := rel.Addend
		if !r.RELA {
			addend = int64(old)
			if kind.size == 4 {
				addend = int64(int32(old))
			}
		}
		v := s + uint64(addend)
		switch kind.op {
		case 'a', 'S':
		case 'd':
			v = old + v
		case 's':
			v = old - v
		case '6':
			v = old&0xc0 | v&0x3f
		case '7':
			v = old&0xc0 | (old-v)&0x3f
		}
		writeField(bo, field, v)
	}
	return uleb.flush()
}

// pendingULEB is a ULEB128 field whose value is set but not yet written.
type pendingULEB struct {
	field []byte
	v     uint64
	set   bool
	f     *elfread.File
	r     *elfread.Relocs
	off   uint64
}

// flush writes the pending value, if any.
func (p *pendingULEB) flush() error {
	if !p.set {
		return nil
	}
	p.set = false
	if !putULEB(p.field, p.v) {
		return p.f.SectionErrorf(p.r.Section, -1, "relocated value %#x does not fit the %d-byte ULEB128 at %#x", p.v, len(p.field), p.off)
	}
	return nil
}

// putULEB writes v as a ULEB128 of exactly len(b) bytes (padded with
// continuation bytes), false if it needs more.
func putULEB(b []byte, v uint64) bool {
	for i := range b {
		c := byte(v & 0x7f)
		v >>= 7
		if i < len(b)-1 {
			c |= 0x80
		}
		b[i] = c
	}
	return v == 0
}

func readField(bo binary.ByteOrder, b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(bo.Uint16(b))
	case 4:
		return uint64(bo.Uint32(b))
	default:
		return bo.Uint64(b)
	}
}

func writeField(bo binary.ByteOrder, b []byte, v uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(v)
	case 2:
		bo.PutUint16(b, uint16(v))
	case 4:
		bo.PutUint32(b, uint32(v))
	default:
		bo.PutUint64(b, v)
	}
}
