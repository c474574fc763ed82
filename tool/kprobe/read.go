package kprobe

import (
	"debug/elf"
	"fmt"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// readLinked reads a linked image: the address arrays between linker
// symbols (include/asm-generic/vmlinux.lds.h), wherever the linker put
// them, and the text ranges named by symbols.
func (im *Image) readLinked(f *elfread.File, a arch) error {
	names := []string{
		"__start_mcount_loc", "__stop_mcount_loc", "__start_kprobe_blacklist", "__stop_kprobe_blacklist",
		"_stext", "_etext", "_sinittext", "_einittext", "__init_begin", "__init_end",
	}
	areas := append(append(append([]string{}, commonAreas...), a.areas...), a.undecided...)
	for _, n := range areas {
		names = append(names, n+"_start", n+"_end")
	}
	at, err := lookup(f, names)
	if err != nil {
		return err
	}
	ranged := func(from, to string) (span, bool) {
		s, ok1 := at[from]
		e, ok2 := at[to]
		return span{0, s, e}, ok1 && ok2 && s <= e
	}
	if r, ok := ranged("__start_mcount_loc", "__stop_mcount_loc"); ok {
		im.Ftrace = true
		if im.sites, err = addresses(f, a, r, "__mcount_loc"); err != nil {
			return err
		}
		if im.sites == nil && r.start < r.end && f.Type == elf.ET_DYN {
			im.Unread = "__mcount_loc holds only zeros, and no dynamic relocation gives its values"
		}
	}
	if r, ok := ranged("__start_kprobe_blacklist", "__stop_kprobe_blacklist"); ok {
		if im.entries, err = addresses(f, a, r, "_kprobe_blacklist"); err != nil {
			return err
		}
		im.entriesUnread = im.entries == nil && r.start < r.end && f.Type == elf.ET_DYN
	}
	for i, n := range areas {
		if r, ok := ranged(n+"_start", n+"_end"); ok {
			if i < len(areas)-len(a.undecided) {
				im.areas = append(im.areas, r)
			} else {
				im.undecided = append(im.undecided, r)
			}
		}
	}
	if r, ok := ranged("_stext", "_etext"); ok {
		im.text = &r
	}
	for _, p := range [][2]string{{"_sinittext", "_einittext"}, {"__init_begin", "__init_end"}} {
		if r, ok := ranged(p[0], p[1]); ok {
			im.freed = append(im.freed, r)
		}
	}
	return nil
}

// lookup finds the value of each named symbol that f defines.
func lookup(f *elfread.File, names []string) (map[string]uint64, error) {
	at := make(map[string]uint64, len(names))
	for _, n := range names {
		s, ok, err := f.Lookup(n)
		if err != nil {
			return nil, err
		}
		if ok && s.Section != uint32(elf.SHN_UNDEF) {
			at[n] = s.Value
		}
	}
	return at, nil
}

// addresses reads the array of addresses in r (what the kernel reads as an
// unsigned long array) and returns its nonzero values: the kernel skips
// zeros, the linker's padding. In a relocatable image (arm64, riscv) a
// value may be held by a dynamic relocation instead (--no-apply-dynamic-
// relocs leaves the word zero).
func addresses(f *elfread.File, a arch, r span, what string) ([]Addr, error) {
	if r.start == r.end {
		return nil, nil
	}
	word := wordSize(f)
	data, err := rangeData(f, r)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %v", f.Name, what, err)
	}
	vals := make([]uint64, 0, len(data)/int(word))
	for off := uint64(0); off+word <= uint64(len(data)); off += word {
		w := f.ByteOrder.Uint32(data[off:])
		v := uint64(w)
		if word == 8 {
			v = f.ByteOrder.Uint64(data[off:])
		}
		vals = append(vals, v)
	}
	if f.Type == elf.ET_DYN {
		if err := relocated(f, a, r.start, word, vals); err != nil {
			return nil, err
		}
	}
	var out []Addr
	for _, v := range vals {
		if v != 0 {
			out = append(out, Addr{0, v})
		}
	}
	return out, nil
}

// wordSize is the size of an address (an unsigned long) in f.
func wordSize(f *elfread.File) uint64 {
	if f.Class == elf.ELFCLASS64 {
		return 8
	}
	return 4
}

// rangeData returns the bytes of f's image at addresses r.
func rangeData(f *elfread.File, r span) ([]byte, error) {
	for i, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_ALLOC == 0 || r.start < s.Addr || r.end > s.Addr+s.Size {
			continue
		}
		b, err := f.SectionData(i)
		if err != nil {
			return nil, err
		}
		return b[r.start-s.Addr : r.end-s.Addr], nil
	}
	return nil, fmt.Errorf("addresses %#x..%#x are in no section", r.start, r.end)
}

// relocated applies the dynamic relocations of f that fall in the words at
// start: R_*_RELATIVE gives the link-time address (its addend, or the word
// for REL); any other relocation there is not one the kernel's boot-time
// relocation of itself would leave meaningful here, so it is an error.
func relocated(f *elfread.File, a arch, start, word uint64, vals []uint64) error {
	end := start + word*uint64(len(vals))
	for i, s := range f.Sections {
		if (s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL) || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		rs, err := f.Relocs(i)
		if err != nil {
			return err
		}
		for k := range rs.Len() {
			rel := rs.At(k)
			if rel.Off < start || rel.Off >= end {
				continue
			}
			if rel.Type != a.relative || (rel.Off-start)%word != 0 {
				return f.SectionErrorf(i, -1, "relocation %d (type %d at %#x) in an address array is not R_*_RELATIVE", k, rel.Type, rel.Off)
			}
			if rs.RELA {
				vals[(rel.Off-start)/word] = uint64(rel.Addend)
			}
		}
	}
	return nil
}

// readModule reads a module: its ftrace locations and blacklist entries are
// relocations against its own sections; .kprobes.text and .noinstr.text
// are blacklisted whole (kernel/module/main.c, add_module_kprobe_blacklist).
func (im *Image) readModule(f *elfread.File) error {
	var syms []elfread.Symbol
	for i, s := range f.Sections {
		var to *[]Addr
		unread := &im.entriesUnread
		switch s.Name {
		case "__mcount_loc", "__patchable_function_entries":
			im.Ftrace = true
			to = &im.sites
			unread = nil
		case "_kprobe_blacklist":
			to = &im.entries
		case ".kprobes.text", ".noinstr.text":
			im.areas = append(im.areas, span{uint32(i), 0, s.Size})
		}
		if to == nil || s.Size == 0 {
			continue
		}
		if syms == nil {
			var err error
			if syms, err = f.Symbols(); err != nil {
				return err
			}
		}
		n := len(*to)
		if err := targets(f, i, syms, to); err != nil {
			return err
		}
		switch {
		case len(*to) > n:
		case unread != nil:
			*unread = true
		default:
			im.Unread = s.Name + " has no relocations to say what it points to"
		}
	}
	return nil
}

// targets appends where each relocation of section sec points: the
// symbol's section and value plus the addend (RELA), or plus the word
// relocated (REL).
func targets(f *elfread.File, sec int, syms []elfread.Symbol, to *[]Addr) error {
	var data []byte
	for j, s := range f.Sections {
		if (s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL) || int(s.Info) != sec || int(s.Link) != f.Symtab() {
			continue
		}
		rs, err := f.Relocs(j)
		if err != nil {
			return err
		}
		if !rs.RELA && data == nil {
			if data, err = f.SectionData(sec); err != nil {
				return err
			}
		}
		word := wordSize(f)
		for k := range rs.Len() {
			rel := rs.At(k)
			if rel.Sym == 0 || int(rel.Sym) > len(syms) {
				return f.SectionErrorf(j, -1, "relocation %d: symbol %d out of range (%d symbols)", k, rel.Sym, len(syms))
			}
			sym := &syms[rel.Sym-1]
			if sym.Section == uint32(elf.SHN_UNDEF) || (sym.Section >= uint32(elf.SHN_LORESERVE) && !sym.Extended) {
				continue // not this module's code
			}
			addend := uint64(rel.Addend)
			if !rs.RELA {
				if rel.Off+word > uint64(len(data)) {
					return f.SectionErrorf(j, -1, "relocation %d: offset %#x past the end of its section", k, rel.Off)
				}
				addend = uint64(f.ByteOrder.Uint32(data[rel.Off:]))
				if word == 8 {
					addend = f.ByteOrder.Uint64(data[rel.Off:])
				}
			}
			*to = append(*to, Addr{sym.Section, sym.Value + addend})
		}
	}
	return nil
}
