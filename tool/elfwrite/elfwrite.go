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
	"fmt"
	"slices"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// Section types debug/elf does not name.
const (
	shtLLVMAddrsig          = 0x6fff4c03
	shtLLVMCallGraphProfile = 0x6fff4c09
	shtCREL                 = 0x40000014
)

// Symbol is one symbol to add.
type Symbol struct {
	Name    string
	Section uint32 // section header index (a real index, never SHN_XINDEX), or SHN_ABS
	Value   uint64
	Size    uint64
	Bind    elf.SymBind
	Type    elf.SymType
	Other   uint8 // st_other: visibility and processor bits (ppc64's local entry)
}

// writer is one AddSymbols call: the input and what it keeps.
type writer struct {
	f    *elfread.File
	img  []byte
	secs []elfread.Section
}

// fileData reports whether the section occupies bytes of the file.
func fileData(s *elfread.Section) bool { return s.Type != elf.SHT_NOBITS && s.Size > 0 }

// newSym is one symbol to add, checked and encoded.
type newSym struct {
	name        string
	info, other byte
	shndx       uint32 // real section index, or SHN_ABS
	value, size uint64
}

// AddSymbols returns a copy of f's image with syms added to its symbol
// table: LOCAL ones after the existing locals, GLOBAL and WEAK ones at the
// end, each in the order given. f must be a relocatable object (ET_REL)
// whose image is the ELF file alone (a module's appended signature split
// off first). The image itself is never modified; with no symbols to add,
// it is returned as it is. Errors are elfread's *FormatError, naming f.
func AddSymbols(f *elfread.File, syms []Symbol) ([]byte, error) {
	if f.Type != elf.ET_REL {
		return nil, f.Errorf("%v file, not a relocatable object (ET_REL)", f.Type)
	}
	w := &writer{f: f, img: f.Image(), secs: f.Sections}
	size := uint64(len(w.img))
	if f.Shoff > size || (size-f.Shoff)/f.SectionHeaderSize() < uint64(len(w.secs)) {
		return nil, f.Errorf("section header table at offset %#x is outside the file (%d bytes)", f.Shoff, size)
	}
	for i := range w.secs {
		if s := &w.secs[i]; fileData(s) && (s.Offset > size || size-s.Offset < s.Size) {
			return nil, f.SectionErrorf(i, -1, "offset %#x, size %#x: outside the file (%d bytes)", s.Offset, s.Size, size)
		}
	}
	return w.add(syms)
}

func (w *writer) add(syms []Symbol) ([]byte, error) {
	f, img := w.f, w.img
	shnum := uint64(len(w.secs))
	symtab := -1
	for i := range w.secs {
		switch w.secs[i].Type {
		case elf.SHT_SYMTAB:
			if symtab >= 0 {
				return nil, f.Errorf("more than one symbol table (sections %d and %d)", symtab, i)
			}
			symtab = i
		case elf.SHT_DYNSYM:
			return nil, f.SectionErrorf(i, -1, "a dynamic symbol table: not a relocatable object")
		}
	}
	if symtab < 0 {
		return nil, f.Errorf("no symbol table (.symtab): stripped object")
	}
	st := &w.secs[symtab]
	entsize := f.SymbolSize()
	if st.Entsize != entsize || st.Size%entsize != 0 || st.Size == 0 {
		return nil, f.SectionErrorf(symtab, -1, "entry size %d, size %d: want entries of %d bytes", st.Entsize, st.Size, entsize)
	}
	count := st.Size / entsize
	if uint64(st.Info) > count || st.Info == 0 {
		return nil, f.SectionErrorf(symtab, -1, "first global index %d out of range (%d symbols)", st.Info, count)
	}
	if uint64(st.Link) >= shnum || st.Link == 0 || w.secs[st.Link].Type != elf.SHT_STRTAB {
		return nil, f.SectionErrorf(symtab, -1, "string table index %d is not a string table", st.Link)
	}
	strtab := int(st.Link)
	if len(syms) == 0 {
		return img, nil
	}
	shndxSec := -1
	for i := range w.secs {
		if w.secs[i].Type == elf.SHT_SYMTAB_SHNDX && w.secs[i].Link == uint32(symtab) {
			if w.secs[i].Size != count*4 {
				return nil, f.SectionErrorf(i, -1, "SHT_SYMTAB_SHNDX of %d bytes for %d symbols", w.secs[i].Size, count)
			}
			shndxSec = i
		}
	}

	// Check and encode the symbols.
	var locals, globals []newSym
	for _, s := range syms {
		if s.Name == "" || strings.IndexByte(s.Name, 0) >= 0 {
			return nil, f.Errorf("new symbol %q: empty name or NUL in name", s.Name)
		}
		switch s.Bind {
		case elf.STB_LOCAL, elf.STB_GLOBAL, elf.STB_WEAK:
		default:
			return nil, f.Errorf("new symbol %q: binding %v cannot be added", s.Name, s.Bind)
		}
		if s.Type > 0xf {
			return nil, f.Errorf("new symbol %q: type %d does not fit st_info", s.Name, s.Type)
		}
		switch {
		case s.Section == uint32(elf.SHN_ABS) && shnum <= uint64(elf.SHN_LORESERVE):
		case s.Section == 0 || uint64(s.Section) >= shnum:
			return nil, f.Errorf("new symbol %q: section index %d out of range (%d sections)", s.Name, s.Section, shnum)
		case s.Section >= uint32(elf.SHN_LORESERVE) && shndxSec < 0:
			return nil, f.Errorf("new symbol %q: section index %d needs an SHT_SYMTAB_SHNDX section, which the object lacks", s.Name, s.Section)
		}
		if f.Class == elf.ELFCLASS32 && (s.Value > 0xffffffff || s.Size > 0xffffffff) {
			return nil, f.Errorf("new symbol %q: value %#x or size %#x does not fit a 32-bit object", s.Name, s.Value, s.Size)
		}
		ns := newSym{name: s.Name, info: byte(s.Bind)<<4 | byte(s.Type), other: s.Other, shndx: s.Section, value: s.Value, size: s.Size}
		if s.Bind == elf.STB_LOCAL {
			locals = append(locals, ns)
		} else {
			globals = append(globals, ns)
		}
	}

	// String table: the old one, then the new names (each once).
	oldStr := img[w.secs[strtab].Offset : w.secs[strtab].Offset+w.secs[strtab].Size]
	if w.secs[strtab].Type == elf.SHT_NOBITS || len(oldStr) == 0 || oldStr[len(oldStr)-1] != 0 {
		return nil, f.SectionErrorf(strtab, -1, "string table of the symbol table does not end in NUL")
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
			return 0, f.SectionErrorf(strtab, -1, "string table exceeds 4 GiB")
		}
		newStr.WriteString(s)
		newStr.WriteByte(0)
		nameOff[s] = uint32(o)
		return uint32(o), nil
	}

	// Symbol table: old locals, new locals, old globals, new globals.
	firstGlobal := uint64(st.Info)
	nl := uint64(len(locals))
	newCount := count + nl + uint64(len(globals))
	if newCount > 1<<24 && f.Class == elf.ELFCLASS32 {
		return nil, f.Errorf("%d symbols exceed ELF32's relocation symbol index", newCount)
	}
	if newCount >= 1<<32 {
		return nil, f.Errorf("%d symbols exceed ELF's symbol index", newCount)
	}
	bo := f.ByteOrder
	oldSyms := img[st.Offset : st.Offset+st.Size]
	newSymtab := make([]byte, 0, newCount*entsize)
	newSymtab = append(newSymtab, oldSyms[:firstGlobal*entsize]...)
	var oldShndx []byte
	var newShndx []byte
	if shndxSec >= 0 {
		s := &w.secs[shndxSec]
		if s.Type == elf.SHT_NOBITS {
			return nil, f.SectionErrorf(shndxSec, -1, "SHT_SYMTAB_SHNDX section has no file data")
		}
		oldShndx = img[s.Offset : s.Offset+s.Size]
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
			bo.PutUint32(e[0:], off)
			if f.Class == elf.ELFCLASS64 {
				e[4], e[5] = ns.info, ns.other
				bo.PutUint16(e[6:], uint16(stShndx))
				bo.PutUint64(e[8:], ns.value)
				bo.PutUint64(e[16:], ns.size)
			} else {
				bo.PutUint32(e[4:], uint32(ns.value))
				bo.PutUint32(e[8:], uint32(ns.size))
				e[12], e[13] = ns.info, ns.other
				bo.PutUint16(e[14:], uint16(stShndx))
			}
			newSymtab = append(newSymtab, e...)
			if newShndx != nil {
				x := make([]byte, 4)
				if stShndx == uint32(elf.SHN_XINDEX) {
					bo.PutUint32(x, ns.shndx)
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
	secs := slices.Clone(w.secs)
	content := map[int][]byte{symtab: newSymtab, strtab: newStr.Bytes()}
	secs[symtab].Size = uint64(len(newSymtab))
	secs[symtab].Info = uint32(firstGlobal + nl)
	secs[strtab].Size = uint64(newStr.Len())
	if shndxSec >= 0 {
		content[shndxSec] = newShndx
		secs[shndxSec].Size = uint64(len(newShndx))
	}

	// Everything else that names symbols by index.
	for i := range secs {
		s := &secs[i]
		if s.Link != uint32(symtab) || i == symtab || i == shndxSec {
			continue
		}
		switch s.Type {
		case elf.SHT_REL, elf.SHT_RELA:
			if nl == 0 {
				continue
			}
			c, err := w.rewriteRelocs(i, count, remap)
			if err != nil {
				return nil, err
			}
			if c != nil {
				content[i] = c
			}
		case elf.SHT_GROUP:
			if uint64(s.Info) >= count {
				return nil, f.SectionErrorf(i, -1, "group signature symbol %d out of range (%d symbols)", s.Info, count)
			}
			s.Info = uint32(remap(uint64(s.Info)))
		case shtLLVMAddrsig:
			if nl == 0 || s.Type == elf.SHT_NOBITS {
				continue
			}
			old := img[s.Offset : s.Offset+s.Size]
			c, err := rewriteAddrsig(old, count, remap)
			if err != nil {
				return nil, f.SectionErrorf(i, -1, "SHT_LLVM_ADDRSIG: %v", err)
			}
			if !bytes.Equal(c, old) {
				content[i] = c
				s.Size = uint64(len(c))
			}
		case shtCREL:
			if nl > 0 {
				return nil, f.SectionErrorf(i, -1, "SHT_CREL relocations are not supported")
			}
		case shtLLVMCallGraphProfile:
			if nl > 0 && s.Entsize != 8 {
				return nil, f.SectionErrorf(i, -1, "old-style SHT_LLVM_CALL_GRAPH_PROFILE with symbol indices is not supported")
			}
		}
	}
	return w.layout(secs, content)
}

// rewriteRelocs returns the entries of relocation section i with their
// symbol indices remapped, or nil if no index changes.
func (w *writer) rewriteRelocs(i int, count uint64, remap func(uint64) uint64) ([]byte, error) {
	r, err := w.f.Relocs(i)
	if err != nil {
		return nil, err
	}
	var out []byte
	for k := 0; k < r.Len(); k++ {
		sym := uint64(r.At(k).Sym)
		if sym >= count {
			return nil, w.f.SectionErrorf(i, -1, "entry %d: symbol index %d out of range (%d symbols)", k, sym, count)
		}
		n := remap(sym)
		if n == sym {
			continue
		}
		if out == nil {
			out = slices.Clone(r.Data())
		}
		r.SetSym(out, k, uint32(n))
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
func (w *writer) layout(secs []elfread.Section, content map[int][]byte) ([]byte, error) {
	img, old := w.img, w.secs
	shentsize := w.f.SectionHeaderSize()
	is64 := w.f.Class == elf.ELFCLASS64
	moved := map[int]bool{}
	cut := uint64(len(img))
	for i, c := range content {
		if uint64(len(c)) != old[i].Size || !fileData(&old[i]) {
			moved[i] = true
			if fileData(&old[i]) {
				cut = min(cut, old[i].Offset)
			}
		}
	}
	shtSize := uint64(len(old)) * shentsize
	if !w.tailIsSections(cut, shtSize) {
		cut = uint64(len(img))
	}
	var tail []int
	inTail := make([]bool, len(secs))
	for i := 1; i < len(secs); i++ {
		if moved[i] || (old[i].Offset >= cut && (fileData(&old[i]) || cut < uint64(len(img)))) {
			tail = append(tail, i)
			inTail[i] = true
		}
	}
	slices.SortStableFunc(tail, func(a, b int) int {
		oa, ob := old[a].Offset, old[b].Offset
		if moved[a] && !fileData(&old[a]) {
			oa = ^uint64(0)
		}
		if moved[b] && !fileData(&old[b]) {
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
			copy(out[old[i].Offset:], c)
		}
	}
	for _, i := range tail {
		s := &secs[i]
		pos := alignUp(uint64(len(out)), s.Addralign)
		if s.Type == elf.SHT_NOBITS {
			s.Offset = pos
			continue
		}
		out = append(out, make([]byte, pos-uint64(len(out)))...)
		s.Offset = pos
		if c, ok := content[i]; ok {
			out = append(out, c...)
		} else {
			out = append(out, img[old[i].Offset:old[i].Offset+old[i].Size]...)
		}
	}
	shoff := w.f.Shoff
	if shoff+shtSize > cut {
		wordAlign := uint64(4)
		if is64 {
			wordAlign = 8
		}
		shoff = alignUp(uint64(len(out)), wordAlign)
		out = append(out, make([]byte, shoff-uint64(len(out)))...)
		out = append(out, img[w.f.Shoff:w.f.Shoff+shtSize]...)
	} else {
		copy(out[shoff:], img[w.f.Shoff:w.f.Shoff+shtSize])
	}
	if !is64 && uint64(len(out)) > 0xffffffff {
		return nil, w.f.Errorf("output exceeds 4 GiB, too large for ELF32")
	}
	for i := range secs {
		if secs[i] != old[i] {
			w.patchSection(out[shoff+uint64(i)*shentsize:], &secs[i])
		}
	}
	if is64 {
		w.f.ByteOrder.PutUint64(out[0x28:], shoff)
	} else {
		w.f.ByteOrder.PutUint32(out[0x20:], uint32(shoff))
	}
	return out, nil
}

// tailIsSections reports whether img[cut:] can be laid out again: every byte
// in it belongs to a section, to the section header table or is zero, and no
// section or the header table straddles cut.
func (w *writer) tailIsSections(cut, shtSize uint64) bool {
	img := w.img
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
	if !add(w.f.Shoff, w.f.Shoff+shtSize) {
		return false
	}
	for i := range w.secs {
		if s := &w.secs[i]; fileData(s) && !add(s.Offset, s.Offset+s.Size) {
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

// patchSection writes offset, size and info of s into the header entry b.
func (w *writer) patchSection(b []byte, s *elfread.Section) {
	bo := w.f.ByteOrder
	if w.f.Class == elf.ELFCLASS64 {
		bo.PutUint64(b[24:], s.Offset)
		bo.PutUint64(b[32:], s.Size)
		bo.PutUint32(b[44:], s.Info)
		return
	}
	bo.PutUint32(b[16:], uint32(s.Offset))
	bo.PutUint32(b[20:], uint32(s.Size))
	bo.PutUint32(b[28:], s.Info)
}
