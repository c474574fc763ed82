// Package elfwrite writes relocatable objects (module .ko and .o files) with
// alias symbols added to their symbol table, keeping every other section's
// bytes as they were.
//
// The new .symtab and .strtab (the old string table with the new names
// appended, so every old st_name stays valid) are laid out again together
// with whatever followed the old symbol table in the file; sections before it
// keep their offsets. Relocation sections tied to the symbol table are
// rewritten only when a symbol index they use moves (new LOCAL symbols go
// after the existing locals, so every global's index shifts), and then in
// place, since their size does not change. SHT_GROUP signatures (sh_info),
// SHT_SYMTAB_SHNDX and SHT_LLVM_ADDRSIG follow the new indices too. The
// section header table is copied and only sh_offset, sh_size and sh_info are
// patched, so e_flags, OS and processor specific fields stay intact.
package elfwrite

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// Section types debug/elf does not name.
const (
	shtLLVMAddrsig          = 0x6fff4c03
	shtLLVMCallGraphProfile = 0x6fff4c09
	shtCREL                 = 0x40000014
)

// header is the part of an ELF file header and section header table the
// writer needs, read straight from the bytes.
type header struct {
	bo        binary.ByteOrder
	is64      bool
	machine   elf.Machine
	shoff     uint64
	shentsize uint64
	secs      []section
}

type section struct {
	name             uint32
	typ              elf.SectionType
	flags, off, size uint64
	link, info       uint32
	align, entsize   uint64
}

// fileData reports whether the section occupies bytes of the file.
func (s *section) fileData() bool { return s.typ != elf.SHT_NOBITS && s.size > 0 }

func parseHeader(img []byte) (*header, error) {
	if len(img) < elf.EI_NIDENT || string(img[:4]) != elf.ELFMAG {
		return nil, errors.New("not an ELF file")
	}
	h := &header{}
	switch elf.Class(img[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
	case elf.ELFCLASS64:
		h.is64 = true
	default:
		return nil, fmt.Errorf("unknown ELF class %d", img[elf.EI_CLASS])
	}
	switch elf.Data(img[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("unknown ELF data encoding %d", img[elf.EI_DATA])
	}
	ehsize, shent := 52, uint64(40)
	if h.is64 {
		ehsize, shent = 64, 64
	}
	if len(img) < ehsize {
		return nil, errors.New("truncated ELF header")
	}
	if t := elf.Type(h.bo.Uint16(img[16:])); t != elf.ET_REL {
		return nil, fmt.Errorf("%v file, not a relocatable object (ET_REL)", t)
	}
	h.machine = elf.Machine(h.bo.Uint16(img[18:]))
	var shnum, shstrndx uint64
	if h.is64 {
		h.shoff = h.bo.Uint64(img[0x28:])
		h.shentsize = uint64(h.bo.Uint16(img[0x3a:]))
		shnum = uint64(h.bo.Uint16(img[0x3c:]))
		shstrndx = uint64(h.bo.Uint16(img[0x3e:]))
	} else {
		h.shoff = uint64(h.bo.Uint32(img[0x20:]))
		h.shentsize = uint64(h.bo.Uint16(img[0x2e:]))
		shnum = uint64(h.bo.Uint16(img[0x30:]))
		shstrndx = uint64(h.bo.Uint16(img[0x32:]))
	}
	_ = shstrndx
	if h.shoff == 0 {
		return nil, errors.New("no section header table")
	}
	if h.shentsize != shent {
		return nil, fmt.Errorf("section header size %d, want %d", h.shentsize, shent)
	}
	size := uint64(len(img))
	if h.shoff > size || size-h.shoff < shent {
		return nil, fmt.Errorf("section header table at offset %#x is outside the file (%d bytes)", h.shoff, size)
	}
	if shnum == 0 {
		// More than SHN_LORESERVE sections: the count is in section 0.
		s0 := h.readSection(img[h.shoff:])
		shnum = s0.size
	}
	if shnum == 0 || shnum > (size-h.shoff)/shent {
		return nil, fmt.Errorf("section header table (%d entries at offset %#x) is outside the file (%d bytes)", shnum, h.shoff, size)
	}
	h.secs = make([]section, shnum)
	for i := range h.secs {
		s := h.readSection(img[h.shoff+uint64(i)*shent:])
		if s.fileData() && (s.off > size || size-s.off < s.size) {
			return nil, fmt.Errorf("section %d (offset %#x, size %#x) is outside the file (%d bytes)", i, s.off, s.size, size)
		}
		h.secs[i] = s
	}
	return h, nil
}

func (h *header) readSection(b []byte) section {
	bo := h.bo
	if h.is64 {
		return section{
			name: bo.Uint32(b[0:]), typ: elf.SectionType(bo.Uint32(b[4:])),
			flags: bo.Uint64(b[8:]), off: bo.Uint64(b[24:]), size: bo.Uint64(b[32:]),
			link: bo.Uint32(b[40:]), info: bo.Uint32(b[44:]),
			align: bo.Uint64(b[48:]), entsize: bo.Uint64(b[56:]),
		}
	}
	return section{
		name: bo.Uint32(b[0:]), typ: elf.SectionType(bo.Uint32(b[4:])),
		flags: uint64(bo.Uint32(b[8:])), off: uint64(bo.Uint32(b[16:])), size: uint64(bo.Uint32(b[20:])),
		link: bo.Uint32(b[24:]), info: bo.Uint32(b[28:]),
		align: uint64(bo.Uint32(b[32:])), entsize: uint64(bo.Uint32(b[36:])),
	}
}

// patchSection writes offset, size and info of s into the header entry b.
func (h *header) patchSection(b []byte, s *section) {
	if h.is64 {
		h.bo.PutUint64(b[24:], s.off)
		h.bo.PutUint64(b[32:], s.size)
		h.bo.PutUint32(b[44:], s.info)
		return
	}
	h.bo.PutUint32(b[16:], uint32(s.off))
	h.bo.PutUint32(b[20:], uint32(s.size))
	h.bo.PutUint32(b[28:], s.info)
}

func (h *header) symSize() uint64 {
	if h.is64 {
		return 24
	}
	return 16
}

// relSym returns the offset inside a relocation entry of its 32-bit (ELF64)
// or 24-bit (ELF32) symbol index, and that index's width in bytes.
//
// ELF64: r_info is sym<<32|type, except on little-endian MIPS64 where r_sym is
// the first 32-bit word of r_info in file byte order. ELF32: sym<<8|type.
func (h *header) relSym() (off, width int) {
	switch {
	case !h.is64:
		if h.bo == binary.BigEndian {
			return 4, 3
		}
		return 5, 3
	case h.bo == binary.BigEndian || h.machine == elf.EM_MIPS:
		return 8, 4
	default:
		return 12, 4
	}
}

func getUint(bo binary.ByteOrder, b []byte, width int) uint32 {
	if width == 4 {
		return bo.Uint32(b)
	}
	if bo == binary.BigEndian {
		return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
	}
	return uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func putUint(bo binary.ByteOrder, b []byte, width int, v uint32) {
	if width == 4 {
		bo.PutUint32(b, v)
		return
	}
	if bo == binary.BigEndian {
		b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
		return
	}
	b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
}

// newSym is one planned symbol, checked and encoded.
type newSym struct {
	name        string
	info        byte
	shndx       uint32 // real section index, or SHN_ABS
	value, size uint64
}

// AddSymbols returns a copy of the relocatable ELF image with syms added to
// its symbol table: LOCAL ones after the existing locals, GLOBAL and WEAK ones
// at the end, each in plan order. name is the file's name for error
// messages; every error starts with it. image itself is never modified; with
// no symbols to add, image is returned as it is. A module with an appended
// signature is refused (ErrSigned): aliases are added before signing.
func AddSymbols(name string, image []byte, syms []plan.Symbol) ([]byte, error) {
	out, err := addSymbols(image, syms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func addSymbols(img []byte, syms []plan.Symbol) ([]byte, error) {
	if _, sig, err := SplitSignature(img); err != nil {
		return nil, err
	} else if sig != nil {
		return nil, ErrSigned
	}
	h, err := parseHeader(img)
	if err != nil {
		return nil, err
	}
	shnum := uint64(len(h.secs))
	symtab := -1
	for i := range h.secs {
		switch h.secs[i].typ {
		case elf.SHT_SYMTAB:
			if symtab >= 0 {
				return nil, fmt.Errorf("more than one symbol table (sections %d and %d)", symtab, i)
			}
			symtab = i
		case elf.SHT_DYNSYM:
			return nil, fmt.Errorf("section %d is a dynamic symbol table: not a relocatable object", i)
		}
	}
	if symtab < 0 {
		return nil, errors.New("no symbol table (.symtab): stripped object")
	}
	st := &h.secs[symtab]
	entsize := h.symSize()
	if st.entsize != entsize || st.size%entsize != 0 || st.size == 0 {
		return nil, fmt.Errorf("symbol table: entry size %d, size %d: want entries of %d bytes", st.entsize, st.size, entsize)
	}
	count := st.size / entsize
	if uint64(st.info) > count || st.info == 0 {
		return nil, fmt.Errorf("symbol table: first global index %d out of range (%d symbols)", st.info, count)
	}
	if uint64(st.link) >= shnum || st.link == 0 || h.secs[st.link].typ != elf.SHT_STRTAB {
		return nil, fmt.Errorf("symbol table: string table index %d is not a string table", st.link)
	}
	strtab := int(st.link)
	if len(syms) == 0 {
		return img, nil
	}
	shndxSec := -1
	for i := range h.secs {
		if h.secs[i].typ == elf.SHT_SYMTAB_SHNDX && h.secs[i].link == uint32(symtab) {
			if h.secs[i].size != count*4 {
				return nil, fmt.Errorf("SHT_SYMTAB_SHNDX section %d: size %d for %d symbols", i, h.secs[i].size, count)
			}
			shndxSec = i
		}
	}

	// Check and encode the plan.
	var locals, globals []newSym
	for _, s := range syms {
		b, err := s.ELFBind()
		if err != nil {
			return nil, err
		}
		t, err := s.ELFType()
		if err != nil {
			return nil, err
		}
		if s.Name == "" || strings.IndexByte(s.Name, 0) >= 0 {
			return nil, fmt.Errorf("plan symbol %q: empty name or NUL in name", s.Name)
		}
		switch {
		case s.Section == uint32(elf.SHN_ABS) && shnum <= uint64(elf.SHN_LORESERVE):
		case s.Section == 0 || uint64(s.Section) >= shnum:
			return nil, fmt.Errorf("plan symbol %q: section index %d out of range (object has %d sections)", s.Name, s.Section, shnum)
		case s.Section >= uint32(elf.SHN_LORESERVE) && shndxSec < 0:
			return nil, fmt.Errorf("plan symbol %q: section index %d needs an SHT_SYMTAB_SHNDX section, which the object lacks", s.Name, s.Section)
		}
		if !h.is64 && (s.Value > 0xffffffff || s.Size > 0xffffffff) {
			return nil, fmt.Errorf("plan symbol %q: value %#x or size %#x does not fit a 32-bit object", s.Name, s.Value, s.Size)
		}
		ns := newSym{name: s.Name, info: byte(b)<<4 | byte(t)&0xf, shndx: s.Section, value: s.Value, size: s.Size}
		if b == elf.STB_LOCAL {
			locals = append(locals, ns)
		} else {
			globals = append(globals, ns)
		}
	}

	// String table: the old one, then the new names (each once).
	oldStr := img[h.secs[strtab].off : h.secs[strtab].off+h.secs[strtab].size]
	if h.secs[strtab].typ == elf.SHT_NOBITS || len(oldStr) == 0 || oldStr[len(oldStr)-1] != 0 {
		return nil, errors.New("string table of the symbol table does not end in NUL")
	}
	newStr := bytes.NewBuffer(make([]byte, 0, len(oldStr)+32*len(syms)))
	newStr.Write(oldStr)
	nameOff := make(map[string]uint32, len(syms))
	strOff := func(s string) (uint32, error) {
		if o, ok := nameOff[s]; ok {
			return o, nil
		}
		o := newStr.Len()
		if uint64(o)+uint64(len(s)) >= 1<<32 {
			return 0, errors.New("string table exceeds 4 GiB")
		}
		newStr.WriteString(s)
		newStr.WriteByte(0)
		nameOff[s] = uint32(o)
		return uint32(o), nil
	}

	// Symbol table: old locals, new locals, old globals, new globals.
	firstGlobal := uint64(st.info)
	nl := uint64(len(locals))
	newCount := count + nl + uint64(len(globals))
	if newCount > 1<<24 && !h.is64 {
		return nil, fmt.Errorf("%d symbols exceed ELF32's relocation symbol index", newCount)
	}
	if newCount >= 1<<32 {
		return nil, fmt.Errorf("%d symbols exceed ELF's symbol index", newCount)
	}
	oldSyms := img[st.off : st.off+st.size]
	newSymtab := make([]byte, 0, newCount*entsize)
	newSymtab = append(newSymtab, oldSyms[:firstGlobal*entsize]...)
	var oldShndx []byte
	var newShndx []byte
	if shndxSec >= 0 {
		s := &h.secs[shndxSec]
		if s.typ == elf.SHT_NOBITS {
			return nil, errors.New("SHT_SYMTAB_SHNDX section has no file data")
		}
		oldShndx = img[s.off : s.off+s.size]
		newShndx = make([]byte, 0, newCount*4)
		newShndx = append(newShndx, oldShndx[:firstGlobal*4]...)
	}
	appendNew := func(list []newSym) error {
		for _, ns := range list {
			off, err := strOff(ns.name)
			if err != nil {
				return err
			}
			e := make([]byte, entsize)
			stShndx := ns.shndx
			if ns.shndx >= uint32(elf.SHN_LORESERVE) && ns.shndx != uint32(elf.SHN_ABS) || ns.shndx == uint32(elf.SHN_ABS) && shnum > uint64(elf.SHN_LORESERVE) {
				stShndx = uint32(elf.SHN_XINDEX)
			}
			h.bo.PutUint32(e[0:], off)
			if h.is64 {
				e[4] = ns.info
				h.bo.PutUint16(e[6:], uint16(stShndx))
				h.bo.PutUint64(e[8:], ns.value)
				h.bo.PutUint64(e[16:], ns.size)
			} else {
				h.bo.PutUint32(e[4:], uint32(ns.value))
				h.bo.PutUint32(e[8:], uint32(ns.size))
				e[12] = ns.info
				h.bo.PutUint16(e[14:], uint16(stShndx))
			}
			newSymtab = append(newSymtab, e...)
			if newShndx != nil {
				x := make([]byte, 4)
				if stShndx == uint32(elf.SHN_XINDEX) {
					h.bo.PutUint32(x, ns.shndx)
				}
				newShndx = append(newShndx, x...)
			}
		}
		return nil
	}
	if err := appendNew(locals); err != nil {
		return nil, err
	}
	newSymtab = append(newSymtab, oldSyms[firstGlobal*entsize:]...)
	if newShndx != nil {
		newShndx = append(newShndx, oldShndx[firstGlobal*4:]...)
	}
	if err := appendNew(globals); err != nil {
		return nil, err
	}

	remap := func(i uint64) uint64 {
		if i >= firstGlobal {
			return i + nl
		}
		return i
	}
	secs := slices.Clone(h.secs)
	content := map[int][]byte{symtab: newSymtab, strtab: newStr.Bytes()}
	secs[symtab].size = uint64(len(newSymtab))
	secs[symtab].info = uint32(firstGlobal + nl)
	secs[strtab].size = uint64(newStr.Len())
	if shndxSec >= 0 {
		content[shndxSec] = newShndx
		secs[shndxSec].size = uint64(len(newShndx))
	}

	// Everything else that names symbols by index.
	for i := range secs {
		s := &secs[i]
		if s.link != uint32(symtab) || i == symtab || i == shndxSec {
			continue
		}
		switch s.typ {
		case elf.SHT_REL, elf.SHT_RELA:
			if nl == 0 {
				continue
			}
			c, err := h.rewriteRelocs(img, i, s, count, remap)
			if err != nil {
				return nil, err
			}
			if c != nil {
				content[i] = c
			}
		case elf.SHT_GROUP:
			if uint64(s.info) >= count {
				return nil, fmt.Errorf("group section %d: signature symbol %d out of range (%d symbols)", i, s.info, count)
			}
			s.info = uint32(remap(uint64(s.info)))
		case shtLLVMAddrsig:
			if nl == 0 || s.typ == elf.SHT_NOBITS {
				continue
			}
			c, err := rewriteAddrsig(img[s.off:s.off+s.size], count, remap)
			if err != nil {
				return nil, fmt.Errorf("SHT_LLVM_ADDRSIG section %d: %v", i, err)
			}
			if !bytes.Equal(c, img[s.off:s.off+s.size]) {
				content[i] = c
				s.size = uint64(len(c))
			}
		case shtCREL:
			if nl > 0 {
				return nil, fmt.Errorf("section %d: SHT_CREL relocations are not supported", i)
			}
		case shtLLVMCallGraphProfile:
			if nl > 0 && s.entsize != 8 {
				return nil, fmt.Errorf("section %d: old-style SHT_LLVM_CALL_GRAPH_PROFILE with symbol indices is not supported", i)
			}
		}
	}
	return h.layout(img, secs, content)
}

// rewriteRelocs returns the section's entries with their symbol indices
// remapped, or nil if no index changes.
func (h *header) rewriteRelocs(img []byte, i int, s *section, count uint64, remap func(uint64) uint64) ([]byte, error) {
	var ent uint64
	switch {
	case h.is64 && s.typ == elf.SHT_RELA:
		ent = 24
	case h.is64:
		ent = 16
	case s.typ == elf.SHT_RELA:
		ent = 12
	default:
		ent = 8
	}
	if s.typ == elf.SHT_NOBITS || s.size%ent != 0 || (s.entsize != 0 && s.entsize != ent) {
		return nil, fmt.Errorf("relocation section %d: entry size %d, size %d: want entries of %d bytes", i, s.entsize, s.size, ent)
	}
	old := img[s.off : s.off+s.size]
	off, width := h.relSym()
	var out []byte
	for e := uint64(0); e < s.size; e += ent {
		b := old[e+uint64(off) : e+uint64(off)+uint64(width)]
		sym := uint64(getUint(h.bo, b, width))
		if sym >= count {
			return nil, fmt.Errorf("relocation section %d entry %d: symbol index %d out of range (%d symbols)", i, e/ent, sym, count)
		}
		n := remap(sym)
		if n == sym {
			continue
		}
		if out == nil {
			out = slices.Clone(old)
		}
		putUint(h.bo, out[e+uint64(off):], width, uint32(n))
	}
	return out, nil
}

func rewriteAddrsig(old []byte, count uint64, remap func(uint64) uint64) ([]byte, error) {
	out := make([]byte, 0, len(old)+8)
	for p := 0; p < len(old); {
		v, n := binary.Uvarint(old[p:])
		if n <= 0 {
			return nil, fmt.Errorf("bad ULEB128 at offset %d", p)
		}
		if v >= count {
			return nil, fmt.Errorf("symbol index %d out of range (%d symbols)", v, count)
		}
		p += n
		out = binary.AppendUvarint(out, remap(v))
	}
	return out, nil
}

func alignUp(n, a uint64) uint64 {
	if a <= 1 {
		return n
	}
	return (n + a - 1) / a * a
}

// layout writes the new file. Sections whose size changed (the symbol table,
// its string table, SHT_SYMTAB_SHNDX, SHT_LLVM_ADDRSIG) must move. The file
// is kept as it is up to the first of them ("cut"); from there on every
// section is laid out again in its old order (moved sections with their new
// contents, the others byte for byte), then the section header table, so the
// result has no dead space. If the bytes after cut hold anything but sections,
// the old section header table and zero padding, the whole image is kept and
// the moved sections go after it instead. Changed sections of unchanged size
// are written in place.
func (h *header) layout(img []byte, secs []section, content map[int][]byte) ([]byte, error) {
	moved := map[int]bool{}
	cut := uint64(len(img))
	for i, c := range content {
		if uint64(len(c)) != h.secs[i].size || !h.secs[i].fileData() {
			moved[i] = true
			if h.secs[i].fileData() {
				cut = min(cut, h.secs[i].off)
			}
		}
	}
	shtSize := uint64(len(h.secs)) * h.shentsize
	if !h.tailIsSections(img, cut, shtSize) {
		cut = uint64(len(img))
	}
	var tail []int
	inTail := make([]bool, len(secs))
	for i := 1; i < len(secs); i++ {
		if moved[i] || (h.secs[i].off >= cut && (h.secs[i].fileData() || cut < uint64(len(img)))) {
			tail = append(tail, i)
			inTail[i] = true
		}
	}
	slices.SortStableFunc(tail, func(a, b int) int {
		oa, ob := h.secs[a].off, h.secs[b].off
		if moved[a] && !h.secs[a].fileData() {
			oa = ^uint64(0)
		}
		if moved[b] && !h.secs[b].fileData() {
			ob = ^uint64(0)
		}
		switch {
		case oa < ob:
			return -1
		case oa > ob:
			return 1
		}
		return a - b
	})
	grow := uint64(0)
	for _, c := range content {
		grow += uint64(len(c))
	}
	out := make([]byte, cut, cut+grow+shtSize+4096)
	copy(out, img[:cut])
	for i, c := range content {
		if !inTail[i] {
			copy(out[h.secs[i].off:], c)
		}
	}
	for _, i := range tail {
		s := &secs[i]
		pos := alignUp(uint64(len(out)), s.align)
		if s.typ == elf.SHT_NOBITS {
			s.off = pos
			continue
		}
		out = append(out, make([]byte, pos-uint64(len(out)))...)
		s.off = pos
		if c, ok := content[i]; ok {
			out = append(out, c...)
		} else {
			out = append(out, img[h.secs[i].off:h.secs[i].off+h.secs[i].size]...)
		}
	}
	shoff := h.shoff
	if h.shoff+shtSize > cut {
		wordAlign := uint64(4)
		if h.is64 {
			wordAlign = 8
		}
		shoff = alignUp(uint64(len(out)), wordAlign)
		out = append(out, make([]byte, shoff-uint64(len(out)))...)
		out = append(out, img[h.shoff:h.shoff+shtSize]...)
	} else {
		copy(out[shoff:], img[h.shoff:h.shoff+shtSize])
	}
	if !h.is64 && uint64(len(out)) > 0xffffffff {
		return nil, errors.New("output exceeds 4 GiB, too large for ELF32")
	}
	for i := range secs {
		if secs[i] != h.secs[i] {
			h.patchSection(out[shoff+uint64(i)*h.shentsize:], &secs[i])
		}
	}
	if h.is64 {
		h.bo.PutUint64(out[0x28:], shoff)
	} else {
		h.bo.PutUint32(out[0x20:], uint32(shoff))
	}
	return out, nil
}

// tailIsSections reports whether img[cut:] can be laid out again: every byte
// in it belongs to a section, to the section header table or is zero, and no
// section or the header table straddles cut.
func (h *header) tailIsSections(img []byte, cut, shtSize uint64) bool {
	size := uint64(len(img))
	if cut >= size {
		return true
	}
	type span struct{ start, end uint64 }
	spans := []span{}
	add := func(start, end uint64) bool {
		if start < cut && end > cut {
			return false
		}
		if start >= cut {
			spans = append(spans, span{start, end})
		}
		return true
	}
	if !add(h.shoff, h.shoff+shtSize) {
		return false
	}
	for i := range h.secs {
		if s := &h.secs[i]; s.fileData() && !add(s.off, s.off+s.size) {
			return false
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start < b.start {
			return -1
		}
		if a.start > b.start {
			return 1
		}
		return 0
	})
	pos := cut
	check := func(end uint64) bool {
		for ; pos < end; pos++ {
			if img[pos] != 0 {
				return false
			}
		}
		return true
	}
	for _, sp := range spans {
		if sp.start > pos && !check(sp.start) {
			return false
		}
		pos = max(pos, sp.end)
	}
	return check(size)
}
