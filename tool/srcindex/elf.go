package srcindex

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// section is one ELF section as the index needs it.
type section struct {
	name  string
	typ   elf.SectionType
	flags elf.SectionFlag
	addr  uint64
	size  uint64 // size in memory (sh_size)
	info  uint32
	sec   *elf.Section
}

// sectionData returns the contents of s: a slice of image when the section is
// stored plainly (no copy), a decompressed copy for SHF_COMPRESSED and
// .zdebug_* sections.
func sectionData(image []byte, s *elf.Section, name string) ([]byte, error) {
	if s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Flags&elf.SHF_COMPRESSED != 0 {
		r := s.Open() // debug/elf decompresses SHF_COMPRESSED (zlib, zstd)
		b, err := io.ReadAll(io.LimitReader(r, maxDecompressed))
		if err != nil {
			return nil, fmt.Errorf("%s: decompressing: %w", name, err)
		}
		return b, nil
	}
	off, size := s.Offset, s.FileSize
	if off > uint64(len(image)) || size > uint64(len(image))-off {
		return nil, fmt.Errorf("%s: section data [%#x, +%#x) is outside the file (%#x bytes)", name, off, size, len(image))
	}
	b := image[off : off+size : off+size]
	if strings.HasPrefix(s.Name, ".zdebug_") {
		if len(b) < 12 || string(b[:4]) != "ZLIB" {
			return nil, fmt.Errorf("%s: no ZLIB header", name)
		}
		n := binary.BigEndian.Uint64(b[4:12])
		if n > maxDecompressed {
			return nil, fmt.Errorf("%s: decompressed size %d too large", name, n)
		}
		zr, err := zlib.NewReader(bytes.NewReader(b[12:]))
		if err != nil {
			return nil, fmt.Errorf("%s: decompressing: %w", name, err)
		}
		out := make([]byte, 0, n)
		w := bytes.NewBuffer(out)
		if _, err := io.Copy(w, io.LimitReader(zr, int64(n))); err != nil {
			return nil, fmt.Errorf("%s: decompressing: %w", name, err)
		}
		return w.Bytes(), nil
	}
	return b, nil
}

// maxDecompressed bounds decompressed debug sections (a corrupt header must
// not allocate without limit).
const maxDecompressed = 1 << 32

// debugName maps ".zdebug_x" to ".debug_x".
func debugName(n string) string {
	if strings.HasPrefix(n, ".zdebug_") {
		return ".debug_" + n[len(".zdebug_"):]
	}
	return n
}

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

// elfSym is the part of a symbol a relocation needs.
type elfSym struct {
	shndx uint16
	value uint64
}

// readSymbols reads the symbol table s (the sh_link of a relocation section)
// from image without debug/elf's string decoding.
func readSymbols(image []byte, f *elf.File, s *elf.Section, name string) ([]elfSym, error) {
	b, err := sectionData(image, s, name+": "+s.Name)
	if err != nil {
		return nil, err
	}
	bo := f.ByteOrder
	var ent int
	if f.Class == elf.ELFCLASS64 {
		ent = 24
	} else {
		ent = 16
	}
	n := len(b) / ent
	syms := make([]elfSym, n)
	for i := range n {
		e := b[i*ent : (i+1)*ent]
		if f.Class == elf.ELFCLASS64 {
			syms[i] = elfSym{shndx: bo.Uint16(e[6:8]), value: bo.Uint64(e[8:16])}
		} else {
			syms[i] = elfSym{shndx: bo.Uint16(e[14:16]), value: uint64(bo.Uint32(e[4:8]))}
		}
	}
	return syms, nil
}

// applyRelocs relocates the copy dst of a debug section with the REL/RELA
// section rs. Symbols in allocated sections resolve to base[shndx]+value, so
// addresses in the DWARF become synthetic link-time addresses that keep the
// section; symbols of other sections (.debug_str, .debug_line ...) resolve
// to their offset there.
func applyRelocs(image []byte, f *elf.File, rs *elf.Section, dst []byte, syms []elfSym, base []uint64, name string) error {
	b, err := sectionData(image, rs, name+": "+rs.Name)
	if err != nil {
		return err
	}
	bo := f.ByteOrder
	is64 := f.Class == elf.ELFCLASS64
	rela := rs.Type == elf.SHT_RELA
	var ent int
	switch {
	case is64 && rela:
		ent = 24
	case is64:
		ent = 16
	case rela:
		ent = 12
	default:
		ent = 8
	}
	mips64 := is64 && f.Machine == elf.EM_MIPS
	for i := 0; i+ent <= len(b); i += ent {
		e := b[i : i+ent]
		var off, info uint64
		var addend int64
		var symIdx, typ uint32
		if is64 {
			off, info = bo.Uint64(e[0:8]), bo.Uint64(e[8:16])
			if rela {
				addend = int64(bo.Uint64(e[16:24]))
			}
			if mips64 {
				// MIPS64 r_info: 32-bit symbol in file byte order, then
				// r_ssym, r_type3, r_type2, r_type (one byte each).
				symIdx = bo.Uint32(e[8:12])
				typ = uint32(e[15])
			} else {
				symIdx, typ = uint32(info>>32), uint32(info)
			}
		} else {
			off, info = uint64(bo.Uint32(e[0:4])), uint64(bo.Uint32(e[4:8]))
			if rela {
				addend = int64(int32(bo.Uint32(e[8:12])))
			}
			symIdx, typ = uint32(info>>8), uint32(info&0xff)
		}
		k, ok := relocKindOf(f.Machine, typ)
		if !ok {
			return fmt.Errorf("%s: %s: unsupported relocation type %d for %v at offset %#x", name, rs.Name, typ, f.Machine, off)
		}
		if k.size == 0 {
			continue
		}
		if off > uint64(len(dst)) || uint64(k.size) > uint64(len(dst))-off {
			return fmt.Errorf("%s: %s: relocation offset %#x outside the section", name, rs.Name, off)
		}
		if int(symIdx) >= len(syms) {
			return fmt.Errorf("%s: %s: relocation symbol %d out of range", name, rs.Name, symIdx)
		}
		sym := syms[symIdx]
		var s uint64
		if sym.shndx != 0 && int(sym.shndx) < len(base) {
			s = base[sym.shndx]
		}
		s += sym.value
		field := dst[off : off+uint64(k.size)]
		old := readField(bo, field)
		if !rela {
			addend = int64(old)
			if k.size == 4 {
				addend = int64(int32(old))
			}
		}
		v := s + uint64(addend)
		switch k.op {
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
	return nil
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
