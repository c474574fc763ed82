// Package srcindex finds source locations of addresses from an object's own
// DWARF: the translation unit (compile unit) containing an address, and the
// file and line of the line-table row for it. It reads DWARF 2-5, in
// executables and shared objects (ET_EXEC, ET_DYN: addresses are virtual
// addresses) and in relocatable objects (ET_REL: .o and .ko, where every
// section starts at 0 and addresses are (section index, offset) pairs).
//
// # Lookup rules
//
// TU(a) uses only the compile units' address ranges (DW_AT_low_pc/high_pc or
// DW_AT_ranges). Ranges that do not start inside an executable allocated
// section are dropped (functions discarded at link time keep ranges at 0 in
// GNU ld output), so data addresses and discarded code have no TU.
//
// Locate(a) decodes the line program of the unit whose ranges hold a; in it,
// the sequence [first row, end_sequence) containing a (the one starting last
// if several do), and in the sequence the last row whose address is <= a.
// This is the row llvm-addr2line, llvm-symbolizer and llvm-dwarfdump
// --lookup report (several rows at one address: the last one). GNU addr2line
// is not a reference: it names the wrong file for about 9% of kernel
// addresses.
//
// For ET_REL objects, relocations of the debug sections are applied to
// private copies of them (the only copies the index makes, besides
// decompressing compressed sections): a symbol in an allocated section i
// resolves to a synthetic address base(i)+st_value, where the bases lay the
// allocated sections out one after another, so addresses stay distinct per
// section. Supported relocation types: x86_64, i386, aarch64, arm, riscv
// (including the ADD/SUB/SET pairs of linker relaxation), s390x, powerpc,
// powerpc64, mips (32 and 64), loongarch; others are an error.
//
// # Path normalisation
//
// Every path (a unit's DW_AT_name, or a line-table file's name with its
// include directory applied; the compilation directory is never part of it,
// and DWARF 5 directory 0 counts as the compilation directory) goes through
// NormalizePath, lexically (no file system access, except that a relative
// --srctree is also tried as an absolute path from the working directory):
//
//  1. With a source tree, full = clean(comp_dir/p) (or clean(p) if p is
//     absolute or there is no comp_dir). If full, or else clean(p), is
//     inside the cleaned source tree, the result is the rest of it
//     (srctree "/a/linux/" and "/a/linux" are the same; "." holds every
//     relative path that does not leave it).
//  2. Else if clean(p) is relative and does not start with "../", it is the
//     result: kbuild's names are already srctree-relative (in-tree builds,
//     and Debian's prefix-mapped ones whose relative DW_AT_comp_dir is the O=
//     build directory "debian/build/build_amd64_none_amd64": "init/main.c",
//     not "debian/build/.../init/main.c" as llvm prints it).
//  3. Else (absolute, or "../" that the comp_dir could not absorb), the
//     result starts at the leftmost path component that is a kernel
//     top-level directory (arch block certs crypto drivers fs include init
//     io_uring ipc kernel lib mm net rust samples scripts security sound
//     tools usr virt) and is not the last component, looked for first in
//     full, then in clean(p): "/build/x/linux-6.1/arch/x86/kernel/head_64.S"
//     gives "arch/x86/kernel/head_64.S", "../../init/main.c" gives
//     "init/main.c". A tree under a directory with such a name
//     ("/home/kernel/linux/...") is cut too early: give --srctree.
//  4. Else the cleaned full path (compiler headers outside the tree).
//
// Symlinked trees are matched only lexically: give --srctree as the path
// the compiler saw. Results never depend on the machine the tool runs on
// except through an explicitly given relative srctree.
package srcindex

import (
	"debug/elf"
	"encoding/binary"
	"sort"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// Options configure Open.
type Options struct {
	Srctree string // kernel source tree (absolute or relative as the user gives it); "" = heuristics only
}

// Addr is an address in the object. Section is the ELF section index, used
// only for ET_REL objects; it is ignored for ET_EXEC and ET_DYN.
type Addr struct {
	Section uint32
	Value   uint64
}

// Location is the source location of an address.
type Location struct {
	TU   string // normalised path of the compile unit (DW_AT_name), "" if unknown
	File string // normalised path of the line-table file for the address, "" if unknown
	Line int    // 0 if unknown
	// Path is the line-table file as llvm-addr2line prints it
	// (comp_dir/dir/name, lexically cleaned), for comparisons with llvm.
	Path string
}

type unit struct {
	name, compDir string
	tu            string
	stmt          int64 // -1: no line table
	addrSize      int
}

type span struct {
	lo, hi uint64
	cu     int32
}

// Index holds an object's compile-unit ranges and its line tables, decoded
// on demand. It reads from the file given to Open, which must stay open
// while the Index is used. An Index is not safe for concurrent use.
type Index struct {
	f     *elfread.File
	trees []string
	rel   bool
	base  []uint64 // ET_REL: synthetic address of each section index
	order binary.ByteOrder

	line, lineStr, str *section
	units              []unit
	spans              []span   // sorted by lo
	maxHi              []uint64 // maxHi[i] = max(spans[:i+1].hi)
	has                bool
	rows               []row
}

// HasDWARF reports whether the object has DWARF debug information.
func (x *Index) HasDWARF() bool { return x.has }

// debug sections the index reads.
var wanted = map[string]bool{
	".debug_info": true, ".debug_abbrev": true, ".debug_line": true, ".debug_str": true,
	".debug_line_str": true, ".debug_ranges": true, ".debug_rnglists": true, ".debug_addr": true,
	".debug_str_offsets": true,
}

// Open indexes the DWARF of f, which must stay open while the index is
// used. An object without DWARF is not an error: the index answers nothing
// and HasDWARF reports false.
func Open(f *elfread.File, opts Options) (*Index, error) {
	x := &Index{f: f, trees: trees(opts.Srctree), order: f.ByteOrder, rel: f.Type == elf.ET_REL}

	// A relocatable object's sections are relocated here, in memory; a
	// linked image's are read from the file as needed.
	secs := map[string]*section{}
	idx := map[string]int{}
	for i, s := range f.Sections {
		n := debugName(s.Name)
		if !wanted[n] {
			continue
		}
		if _, dup := secs[n]; dup {
			continue
		}
		if x.rel {
			b, err := f.Contents(i)
			if err != nil {
				return nil, err
			}
			secs[n] = memSection(b)
		} else {
			ra, size, err := f.SectionReader(i)
			if err != nil {
				return nil, err
			}
			secs[n] = &section{ra: ra, size: size}
		}
		idx[n] = i
	}
	if secs[".debug_info"].len() == 0 {
		return x, nil
	}

	// Executable ranges, in the address space the DWARF will use.
	type xr struct{ lo, hi uint64 }
	var execs []xr
	if x.rel {
		x.base = make([]uint64, len(f.Sections))
		next := uint64(0x10000)
		for i, s := range f.Sections {
			if s.Flags&elf.SHF_ALLOC == 0 || i == 0 {
				continue
			}
			al := s.Addralign
			if al < 16 {
				al = 16
			}
			if al > 1<<20 {
				al = 1 << 20
			}
			next = (next + al - 1) &^ (al - 1)
			x.base[i] = next
			if s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0 {
				execs = append(execs, xr{next, next + s.Size})
			}
			next += s.Size + 16
			if f.Class == elf.ELFCLASS32 && next > 0xffffffff {
				return nil, f.Errorf("allocated sections too large to lay out")
			}
		}
		if err := x.relocate(secs, idx); err != nil {
			return nil, err
		}
	} else {
		for _, s := range f.Sections {
			if s.Flags&(elf.SHF_ALLOC|elf.SHF_EXECINSTR) == elf.SHF_ALLOC|elf.SHF_EXECINSTR && s.Size > 0 {
				execs = append(execs, xr{s.Addr, s.Addr + s.Size})
			}
		}
	}
	sort.Slice(execs, func(i, j int) bool { return execs[i].lo < execs[j].lo })
	inExec := func(a uint64) bool {
		i := sort.Search(len(execs), func(i int) bool { return execs[i].lo > a }) - 1
		return i >= 0 && a < execs[i].hi
	}

	x.line, x.lineStr, x.str = secs[".debug_line"], secs[".debug_line_str"], secs[".debug_str"]
	d := &debugSections{
		info: secs[".debug_info"], abbrev: secs[".debug_abbrev"], str: x.str, lineStr: x.lineStr,
		strOffsets: secs[".debug_str_offsets"], addr: secs[".debug_addr"],
		ranges: secs[".debug_ranges"], rnglists: secs[".debug_rnglists"],
	}
	x.has = true
	for off := uint64(0); off < d.info.len(); {
		e, next, err := readUnit(d, off, x.order)
		if err != nil {
			return nil, x.errorf(idx, ".debug_info", "%v", err)
		}
		off = next
		if !e.isUnit {
			continue
		}
		u := unit{name: e.name, compDir: e.compDir, stmt: e.stmt, addrSize: e.addrSize}
		u.tu = normalize(u.name, u.compDir, x.trees)
		ci := int32(len(x.units))
		x.units = append(x.units, u)
		for _, rg := range e.ranges {
			if rg[0] < rg[1] && inExec(rg[0]) {
				x.spans = append(x.spans, span{rg[0], rg[1], ci})
			}
		}
	}
	sort.SliceStable(x.spans, func(i, j int) bool { return x.spans[i].lo < x.spans[j].lo })
	x.maxHi = make([]uint64, len(x.spans))
	var m uint64
	for i, s := range x.spans {
		m = max(m, s.hi)
		x.maxHi[i] = m
	}
	return x, nil
}

// relocate copies the debug sections of an ET_REL object and applies their
// relocations.
func (x *Index) relocate(secs map[string]*section, idx map[string]int) error {
	f := x.f
	byIdx := map[int]string{}
	for n, i := range idx {
		byIdx[i] = n
	}
	copied := map[string]bool{}
	var syms []elfread.Symbol
	for i, rs := range f.Sections {
		if rs.Type != elf.SHT_REL && rs.Type != elf.SHT_RELA {
			continue
		}
		n, ok := byIdx[int(rs.Info)]
		if !ok {
			continue
		}
		if int(rs.Link) != f.Symtab() || rs.Link == 0 {
			return f.SectionErrorf(i, -1, "relocations refer to section %d, not the symbol table", rs.Link)
		}
		if syms == nil {
			var err error
			if syms, err = f.Symbols(); err != nil {
				return err
			}
		}
		r, err := f.Relocs(i)
		if err != nil {
			return err
		}
		if !copied[n] {
			secs[n] = memSection(append([]byte(nil), secs[n].mem...))
			copied[n] = true
		}
		if err := applyRelocs(f, r, secs[n].mem, syms, x.base); err != nil {
			return err
		}
	}
	return nil
}

// errorf reports a problem in the debug section named n (".debug_info"
// for a .zdebug_info too), in elfread's words.
func (x *Index) errorf(idx map[string]int, n, format string, args ...any) error {
	if i, ok := idx[n]; ok {
		return x.f.SectionErrorf(i, -1, format, args...)
	}
	return x.f.Errorf(n+": "+format, args...)
}

// key maps an address to the DWARF's address space; false if it cannot be
// there (an ET_REL address in a section that is not allocated).
func (x *Index) key(a Addr) (uint64, bool) {
	if !x.rel {
		return a.Value, true
	}
	if a.Section == 0 || int(a.Section) >= len(x.base) || x.base[a.Section] == 0 {
		return 0, false
	}
	return x.base[a.Section] + a.Value, true
}

// unitOf returns the unit whose ranges hold k: the range starting last among
// those containing it.
func (x *Index) unitOf(k uint64) int {
	i := sort.Search(len(x.spans), func(i int) bool { return x.spans[i].lo > k }) - 1
	for ; i >= 0 && x.maxHi[i] > k; i-- {
		if k < x.spans[i].hi {
			return int(x.spans[i].cu)
		}
	}
	return -1
}

// TU returns the normalised path of the compile unit whose address ranges
// hold a, or "" if none does. It reads no line table.
func (x *Index) TU(a Addr) string {
	k, ok := x.key(a)
	if !ok {
		return ""
	}
	if u := x.unitOf(k); u >= 0 {
		return x.units[u].tu
	}
	return ""
}

// Locate returns the source location of each address, in order. It decodes
// the line tables of the units holding some of the addresses, each once.
// Addresses outside every unit get a zero Location.
func (x *Index) Locate(addrs []Addr) ([]Location, error) {
	out := make([]Location, len(addrs))
	type job struct {
		unit int
		req  request
	}
	var jobs []job
	for i, a := range addrs {
		k, ok := x.key(a)
		if !ok {
			continue
		}
		u := x.unitOf(k)
		if u < 0 {
			continue
		}
		out[i].TU = x.units[u].tu
		jobs = append(jobs, job{u, request{k, i}})
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].unit != jobs[j].unit {
			return jobs[i].unit < jobs[j].unit
		}
		return jobs[i].req.key < jobs[j].req.key
	})
	var reqs []request
	var ans []answer
	for s := 0; s < len(jobs); {
		e := s
		for e < len(jobs) && jobs[e].unit == jobs[s].unit {
			e++
		}
		u := &x.units[jobs[s].unit]
		reqs = reqs[:0]
		for _, j := range jobs[s:e] {
			reqs = append(reqs, j.req)
		}
		s = e
		if u.stmt < 0 {
			continue
		}
		p, err := x.parseLineHeader(uint64(u.stmt), u.addrSize)
		if err != nil {
			return nil, x.lineErr(u, err)
		}
		ans = append(ans[:0], make([]answer, len(reqs))...)
		x.rows, err = runProgram(p, x.order, reqs, ans, x.rows)
		if err != nil {
			return nil, x.lineErr(u, err)
		}
		type names struct{ file, path string }
		cache := map[uint32]names{}
		for i, a := range ans {
			if !a.ok {
				continue
			}
			nm, ok := cache[a.file]
			if !ok {
				nm = x.fileNames(p, u, a.file)
				cache[a.file] = nm
			}
			o := &out[reqs[i].out]
			o.File, o.Path, o.Line = nm.file, nm.path, int(a.line)
		}
	}
	return out, nil
}

// lineErr reports a bad line program of unit u.
func (x *Index) lineErr(u *unit, err error) error {
	for i, s := range x.f.Sections {
		if debugName(s.Name) == ".debug_line" {
			return x.f.SectionErrorf(i, u.stmt, "unit %q: %v", u.name, err)
		}
	}
	return x.f.Errorf(".debug_line: unit %q at offset %#x: %v", u.name, u.stmt, err)
}

// fileNames returns the normalised and the llvm-style path of file f of
// program p ("" for an index out of range).
func (x *Index) fileNames(p *lineProg, u *unit, f uint32) (n struct{ file, path string }) {
	if int64(f) >= int64(len(p.files)) || (p.version < 5 && f == 0) {
		return n
	}
	lf := p.files[f]
	var dir string
	dir0 := lf.dir == 0
	if lf.dir < uint64(len(p.dirs)) {
		dir = p.dirs[lf.dir]
	}
	compDir := u.compDir
	if compDir == "" && p.version >= 5 && len(p.dirs) > 0 {
		compDir = p.dirs[0]
	}
	rel := lf.name
	if !dir0 && dir != "" && (len(rel) == 0 || rel[0] != '/') {
		rel = dir + "/" + rel
	}
	n.file = normalize(rel, compDir, x.trees)
	n.path = llvmJoin(compDir, dir, lf.name, dir0 && p.version >= 5)
	return n
}
