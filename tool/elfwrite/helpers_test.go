package elfwrite

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// addSymbols parses image as name and adds syms.
func addSymbols(name string, image []byte, syms []Symbol) ([]byte, error) {
	f, err := elfread.NewFile(name, image)
	if err != nil {
		return nil, err
	}
	return AddSymbols(f, syms)
}

// aliasTypes are the symbol types an alias may copy.
var aliasTypes = []elf.SymType{elf.STT_NOTYPE, elf.STT_OBJECT, elf.STT_FUNC, elf.STT_TLS, elf.STT_GNU_IFUNC}

// objSym is a symbol of an object with its section index resolved through
// SHT_SYMTAB_SHNDX (debug/elf leaves SHN_XINDEX as it is).
type objSym struct {
	elf.Symbol
	index   int    // index in .symtab
	section uint32 // real section index
}

func objSymbols(image []byte) ([]objSym, *elf.File, error) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, nil, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, nil, err
	}
	var xindex []byte
	for _, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB_SHNDX {
			if xindex, err = s.Data(); err != nil {
				return nil, nil, err
			}
		}
	}
	out := make([]objSym, len(syms))
	for i, s := range syms {
		sec := uint32(s.Section)
		if s.Section == elf.SHN_XINDEX {
			if 4*(i+2) > len(xindex) {
				return nil, nil, fmt.Errorf("symbol %d: SHN_XINDEX without SHT_SYMTAB_SHNDX entry", i+1)
			}
			sec = f.ByteOrder.Uint32(xindex[4*(i+1):])
		}
		out[i] = objSym{s, i + 1, sec}
	}
	return out, f, nil
}

// aliasPlan is the plan the tests use: for every symbol sel accepts, a copy
// named by sel with the binding sel gives. Symbols in sections whose name is
// not unique are left out, since objcopy names sections by name.
func aliasPlan(tb testing.TB, image []byte, sel func(s objSym) (name string, bind elf.SymBind, ok bool)) []Symbol {
	tb.Helper()
	syms, f, err := objSymbols(image)
	if err != nil {
		tb.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range f.Sections {
		count[s.Name]++
	}
	var out []Symbol
	for _, s := range syms {
		if s.section == 0 || s.section >= uint32(len(f.Sections)) || count[f.Sections[s.section].Name] != 1 {
			continue
		}
		name, bind, ok := sel(s)
		if !ok {
			continue
		}
		typ := elf.ST_TYPE(s.Info)
		if !slices.Contains(aliasTypes, typ) {
			continue
		}
		out = append(out, Symbol{Name: name, Section: s.section, Value: s.Value, Size: s.Size, Bind: bind, Type: typ, Other: s.Other})
	}
	return out
}

// localFuncs aliases every named local function NAME as NAME@alias: the
// volume real module plans have.
func localFuncs(s objSym) (string, elf.SymBind, bool) {
	return s.Name + "@alias", elf.STB_LOCAL, elf.ST_BIND(s.Info) == elf.STB_LOCAL && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Name != ""
}

// mixed aliases local functions and objects as locals, global functions as
// globals (the `T` case) and weak symbols as weak.
func mixed(s objSym) (string, elf.SymBind, bool) {
	if s.Name == "" {
		return "", 0, false
	}
	switch t := elf.ST_TYPE(s.Info); {
	case t != elf.STT_FUNC && t != elf.STT_OBJECT && t != elf.STT_NOTYPE:
		return "", 0, false
	case elf.ST_BIND(s.Info) == elf.STB_LOCAL:
		return s.Name + "@alias", elf.STB_LOCAL, true
	case elf.ST_BIND(s.Info) == elf.STB_WEAK:
		return s.Name + "@weak", elf.STB_WEAK, true
	default:
		return s.Name + "@global", elf.STB_GLOBAL, true
	}
}

// objcopyArgs gives the --add-symbol arguments that add syms.
func objcopyArgs(tb testing.TB, image []byte, syms []Symbol) []string {
	tb.Helper()
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		tb.Fatal(err)
	}
	var args []string
	for _, s := range syms {
		flags := []string{map[elf.SymBind]string{elf.STB_LOCAL: "local", elf.STB_GLOBAL: "global", elf.STB_WEAK: "weak"}[s.Bind]}
		switch s.Type {
		case elf.STT_FUNC:
			flags = append(flags, "function")
		case elf.STT_OBJECT:
			flags = append(flags, "object")
		case elf.STT_NOTYPE:
		default:
			tb.Fatalf("objcopy cannot add a %s symbol", s.Type)
		}
		args = append(args, "--add-symbol", fmt.Sprintf("%s=%s:%#x,%s", s.Name, f.Sections[s.Section].Name, s.Value, strings.Join(flags, ",")))
	}
	return args
}

// runObjcopy adds syms to in with objcopy (arguments through a response
// file, since real plans are long) and returns the output's path.
func runObjcopy(tb testing.TB, objcopy, dir, in string, image []byte, syms []Symbol) string {
	tb.Helper()
	rsp := filepath.Join(dir, filepath.Base(in)+".objcopy.rsp")
	var b strings.Builder
	for _, a := range objcopyArgs(tb, image, syms) {
		fmt.Fprintf(&b, "'%s'\n", a)
	}
	if err := os.WriteFile(rsp, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(in)+".objcopy")
	run(tb, objcopy, "@"+rsp, in, out)
	return out
}

// run runs a tool and fails on an error or on anything it prints on stderr
// (readelf's warnings go there).
func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

var (
	symRow = regexp.MustCompile(`^\s*(\d+): ([0-9a-f]+)\s+(\S+) (\S+)\s+(\S+)\s+(\S+)\s+(\S+) ?(.*)$`)
	secRow = regexp.MustCompile(`^\s*\[\s*(\d+)\] (\S*)`)
	relHdr = regexp.MustCompile(`^Relocation section '([^']*)' at offset 0x[0-9a-f]+ contains (\d+) entr`)
	relRow = regexp.MustCompile(`^([0-9a-f]+)\s+([0-9a-f]+)\s+(\S+)\s*(.*)$`)
)

// readelfSymbols is readelf -sW as rows of "value size type bind vis
// section name", tab-separated, in table order (RISC-V's ".L0 " ends in a
// space). Sections are given by name, since objcopy may reorder sections.
func readelfSymbols(tb testing.TB, readelf, path string) []string {
	tb.Helper()
	secName := map[string]string{}
	for _, l := range strings.Split(run(tb, readelf, "-SW", path), "\n") {
		if m := secRow.FindStringSubmatch(l); m != nil && m[1] != "0" {
			secName[m[1]] = m[2]
		}
	}
	var rows []string
	for _, l := range strings.Split(run(tb, readelf, "-sW", path), "\n") {
		if m := symRow.FindStringSubmatch(l); m != nil {
			if n, ok := secName[m[7]]; ok {
				m[7] = n
			}
			rows = append(rows, strings.Join(m[2:], "\t"))
		}
	}
	if len(rows) == 0 {
		tb.Fatalf("readelf -sW %s: no symbols", path)
	}
	return rows
}

// readelfRelocs is readelf -rW as "section: offset type symbol+addend" rows,
// symbols by name (the Info column, which holds the index, is left out).
func readelfRelocs(tb testing.TB, readelf, path string) []string {
	tb.Helper()
	var rows []string
	sec := ""
	for _, l := range strings.Split(run(tb, readelf, "-rW", path), "\n") {
		if m := relHdr.FindStringSubmatch(l); m != nil {
			sec = m[1]
			continue
		}
		if m := relRow.FindStringSubmatch(l); m != nil && sec != "" {
			rows = append(rows, sec+": "+m[1]+" "+m[3]+" "+strings.Join(strings.Fields(m[4]), " "))
		}
	}
	return rows
}

// compareWithObjcopy checks that ours and objcopy's outputs of the same plan
// list the same symbols in the same order and the same relocations. objcopy
// cannot set a symbol's size (its added symbols have size 0), so for the
// added symbols the size is compared with the plan instead.
func compareWithObjcopy(tb testing.TB, readelf, ours, theirs string, syms []Symbol) {
	tb.Helper()
	a, b := readelfSymbols(tb, readelf, ours), readelfSymbols(tb, readelf, theirs)
	added := map[string][]uint64{} // a module may have two locals of one name
	for _, s := range syms {
		added[s.Name] = append(added[s.Name], s.Size)
	}
	if len(a) != len(b) {
		tb.Fatalf("%s has %d symbols, objcopy's %d", ours, len(a), len(b))
	}
	nadded := 0
	for i := range a {
		fa, fb := strings.Split(a[i], "\t"), strings.Split(b[i], "\t")
		if len(fa) == 7 {
			if sizes := added[fa[6]]; len(sizes) > 0 {
				size := sizes[0]
				added[fa[6]] = sizes[1:]
				nadded++
				if want := strconv.FormatUint(size, 10); fa[1] != want && fa[1] != "0x"+strconv.FormatUint(size, 16) {
					tb.Fatalf("%s: symbol %d %q: size %s, plan says %d", ours, i, a[i], fa[1], size)
				}
				if fb[1] == "0" {
					fb[1] = fa[1]
				}
			}
		}
		if !slices.Equal(fa, fb) {
			tb.Fatalf("%s: symbol %d differs:\nours:    %s\nobjcopy: %s", ours, i, a[i], b[i])
		}
	}
	if nadded != len(syms) {
		tb.Fatalf("%s: %d added symbols found, plan has %d", ours, nadded, len(syms))
	}
	ra, rb := readelfRelocs(tb, readelf, ours), readelfRelocs(tb, readelf, theirs)
	if !slices.Equal(ra, rb) {
		for i := range min(len(ra), len(rb)) {
			if ra[i] != rb[i] {
				tb.Fatalf("%s: relocation %d differs:\nours:    %s\nobjcopy: %s", ours, i, ra[i], rb[i])
			}
		}
		tb.Fatalf("%s: %d relocations, objcopy's %d", ours, len(ra), len(rb))
	}
}

// sectionsUnchanged checks that every section of in other than the symbol
// table, its string table, SHT_SYMTAB_SHNDX, SHT_LLVM_ADDRSIG and the
// relocations tied to the symbol table has the same header and bytes in out
// (offset aside), and that the changed relocations differ only in their
// symbol indices.
func sectionsUnchanged(tb testing.TB, in, out []byte) {
	tb.Helper()
	fi, err := elf.NewFile(bytes.NewReader(in))
	if err != nil {
		tb.Fatal(err)
	}
	fo, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		tb.Fatalf("output does not parse: %v", err)
	}
	if len(fi.Sections) != len(fo.Sections) {
		tb.Fatalf("%d sections, input has %d", len(fo.Sections), len(fi.Sections))
	}
	if !bytes.Equal(in[:elf.EI_NIDENT], out[:elf.EI_NIDENT]) {
		tb.Fatalf("e_ident changed")
	}
	strtab := fi.Sections[indexOf(fi, elf.SHT_SYMTAB)].Link
	for i, si := range fi.Sections {
		so := fo.Sections[i]
		a, b := si.SectionHeader, so.SectionHeader
		a.Offset, b.Offset = 0, 0
		switch si.Type {
		case elf.SHT_SYMTAB, elf.SHT_SYMTAB_SHNDX, shtLLVMAddrsig:
			continue
		case elf.SHT_STRTAB:
			if i == int(strtab) {
				if !bytes.HasPrefix(sectionBytes(tb, so), sectionBytes(tb, si)) {
					tb.Fatalf("section %d %s: old strings are not a prefix of the new", i, si.Name)
				}
				continue
			}
		case elf.SHT_GROUP:
			a.Info, b.Info = 0, 0
		}
		if a != b {
			tb.Fatalf("section %d %s: header %+v, was %+v", i, si.Name, b, a)
		}
		if si.Type == elf.SHT_NOBITS || si.Type == elf.SHT_NULL {
			continue
		}
		bi, bo := sectionBytes(tb, si), sectionBytes(tb, so)
		if (si.Type == elf.SHT_REL || si.Type == elf.SHT_RELA) && fi.Sections[si.Link].Type == elf.SHT_SYMTAB {
			off, width := relSymField(fi)
			ent := int(si.Entsize)
			if len(bi) != len(bo) {
				tb.Fatalf("section %d %s: size changed", i, si.Name)
			}
			for e := 0; e < len(bi); e += ent {
				x, y := slices.Clone(bi[e:e+ent]), slices.Clone(bo[e:e+ent])
				clear(x[off : off+width])
				clear(y[off : off+width])
				if !bytes.Equal(x, y) {
					tb.Fatalf("section %d %s entry %d: more than the symbol index changed", i, si.Name, e/ent)
				}
			}
			continue
		}
		if !bytes.Equal(bi, bo) {
			tb.Fatalf("section %d %s: bytes changed", i, si.Name)
		}
	}
}

// relSymField is where a relocation entry holds its symbol index: ELF32
// r_info's top 24 bits, ELF64's high word, MIPS64's leading word.
func relSymField(f *elf.File) (off, width int) {
	switch {
	case f.Class == elf.ELFCLASS32 && f.ByteOrder == binary.BigEndian:
		return 4, 3
	case f.Class == elf.ELFCLASS32:
		return 5, 3
	case f.ByteOrder == binary.BigEndian || f.Machine == elf.EM_MIPS:
		return 8, 4
	}
	return 12, 4
}

func indexOf(f *elf.File, t elf.SectionType) int {
	for i, s := range f.Sections {
		if s.Type == t {
			return i
		}
	}
	return 0
}

func sectionBytes(tb testing.TB, s *elf.Section) []byte {
	tb.Helper()
	if s.Type == elf.SHT_NOBITS {
		return nil
	}
	b := make([]byte, s.FileSize)
	if _, err := s.ReadAt(b, 0); err != nil && s.FileSize > 0 {
		tb.Fatalf("section %s: %v", s.Name, err)
	}
	return b
}

// relocSymbolNames lists every relocation of every section tied to the
// symbol table as (section, offset, symbol name), the invariant a rewrite
// must keep.
func relocSymbolNames(image []byte) ([]string, error) {
	syms, f, err := objSymbols(image)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range f.Sections {
		if (s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA) || int(s.Link) >= len(f.Sections) || f.Sections[s.Link].Type != elf.SHT_SYMTAB {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return nil, err
		}
		ent := 8
		if f.Class == elf.ELFCLASS64 {
			ent = 16
		}
		if s.Type == elf.SHT_RELA {
			ent += ent / 2
		}
		for e := 0; e+ent <= len(data); e += ent {
			var off uint64
			var sym uint32
			if f.Class == elf.ELFCLASS64 {
				off = f.ByteOrder.Uint64(data[e:])
				info := f.ByteOrder.Uint64(data[e+8:])
				sym = uint32(info >> 32)
				if f.Machine == elf.EM_MIPS && f.ByteOrder == binary.LittleEndian {
					sym = uint32(info)
				}
			} else {
				off = uint64(f.ByteOrder.Uint32(data[e:]))
				sym = f.ByteOrder.Uint32(data[e+4:]) >> 8
			}
			name := "0"
			if sym > 0 {
				if int(sym) > len(syms) {
					return nil, fmt.Errorf("%s: symbol %d out of range", s.Name, sym)
				}
				name = syms[sym-1].Name + fmt.Sprint("/", syms[sym-1].section)
			}
			out = append(out, fmt.Sprintf("%s %#x %s", s.Name, off, name))
		}
	}
	return out, nil
}
