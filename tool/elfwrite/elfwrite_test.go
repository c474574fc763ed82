package elfwrite

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
)

// seedObjects are committed objects (fixtureC, -O2 -fno-pic; clang's with
// SHT_LLVM_ADDRSIG) of each class and byte order: the fuzz target's seeds
// and the golden tests' inputs. -update compiles them again.
var seedObjects = []struct{ name, cc string }{
	{"x86_64", "gcc"},
	{"arm", "arm-linux-gnueabihf-gcc"},
	{"s390x", "s390x-linux-gnu-gcc"},
	{"mips", "mips-linux-gnu-gcc"},
	{"clang-x86_64", "clang"},
}

func objectPath(name string) string { return filepath.Join("testdata", "objects", name+".o") }

func readObject(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(objectPath(name))
	if err != nil {
		tb.Fatalf("%v (go test -run TestGolden -update makes it)", err)
	}
	return b
}

// dump describes an object the way the golden files hold it: its section
// headers and its symbols, from debug/elf.
func dump(tb testing.TB, image []byte) string {
	tb.Helper()
	syms, f, err := objSymbols(image)
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for i, s := range f.Sections {
		fmt.Fprintf(&b, "section %d %q %v off=%#x size=%#x link=%d info=%d align=%d\n", i, s.Name, s.Type, s.Offset, s.Size, s.Link, s.Info, s.Addralign)
	}
	for _, s := range syms {
		fmt.Fprintf(&b, "symbol %d %q value=%#x size=%d %v %v section=%d\n", s.index, s.Name, s.Value, s.Size, elf.ST_BIND(s.Info), elf.ST_TYPE(s.Info), s.section)
	}
	return b.String()
}

// The mixed plan on each seed object gives exactly the golden layout and
// symbol table; the output is deterministic and passes the byte-identity
// checks.
func TestGolden(t *testing.T) {
	for _, o := range seedObjects {
		t.Run(o.name, func(t *testing.T) {
			if golden.Update() {
				dir := t.TempDir()
				ccfixture.WriteFiles(t, dir, map[string]string{"fix.c": fixtureC})
				args := []string{"-O2", "-fno-pic", "-c", "fix.c", "-o", "fix.o"}
				if o.cc == "mips-linux-gnu-gcc" {
					args = append(args, "-mno-abicalls")
				}
				ccfixture.Run(t, dir, o.cc, args...)
				b, err := os.ReadFile(filepath.Join(dir, "fix.o"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(objectPath(o.name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			in := readObject(t, o.name)
			syms := aliasPlan(t, in, mixed)
			out, err := addSymbols(o.name, in, syms)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := addSymbols(o.name, in, syms)
			if !bytes.Equal(out, again) {
				t.Fatal("output is not deterministic")
			}
			sectionsUnchanged(t, in, out)
			got := dump(t, out)
			golden.Check(t, filepath.Join("testdata", "golden", o.name+".txt"), []byte(got))
		})
	}
}

func setType(image []byte, t elf.Type) []byte {
	b := slices.Clone(image)
	binary.LittleEndian.PutUint16(b[16:], uint16(t))
	return b
}

// noSymtab turns the symbol table's type into PROGBITS.
func noSymtab(tb testing.TB, image []byte) []byte {
	f := parse(tb, image)
	b := slices.Clone(image)
	for i, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB {
			binary.LittleEndian.PutUint32(b[f.Shoff+uint64(i)*f.SectionHeaderSize()+4:], uint32(elf.SHT_PROGBITS))
		}
	}
	return b
}

func parse(tb testing.TB, image []byte) *elfread.File {
	tb.Helper()
	f, err := elfread.NewFile("f.o", image)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// Bad input gives one line naming the file, and no output. (Unreadable
// headers are elfread's to report: its tests cover them.)
func TestBadInput(t *testing.T) {
	x86 := readObject(t, "x86_64")
	arm := readObject(t, "arm")
	f := parse(t, x86)
	n := len(f.Sections)
	ok := []Symbol{{Name: "a@b", Section: 1, Bind: elf.STB_LOCAL, Type: elf.STT_FUNC}}
	sec := func(i uint32) []Symbol {
		return []Symbol{{Name: "a@b", Section: i, Bind: elf.STB_LOCAL, Type: elf.STT_FUNC}}
	}
	// A symbol table whose data runs past the end of the file.
	symtab := f.Symtab()
	cut := slices.Clone(x86)
	binary.LittleEndian.PutUint64(cut[f.Shoff+uint64(symtab)*64+32:], uint64(len(x86)))
	for _, c := range []struct {
		name  string
		image []byte
		syms  []Symbol
		want  string
	}{
		{"executable", setType(x86, elf.ET_EXEC), ok, "f.o: ET_EXEC file, not a relocatable object (ET_REL)"},
		{"shared object", setType(x86, elf.ET_DYN), ok, "f.o: ET_DYN file, not a relocatable object (ET_REL)"},
		{"no symtab", noSymtab(t, x86), ok, "f.o: no symbol table (.symtab): stripped object"},
		{"no symtab, no symbols", noSymtab(t, x86), nil, "f.o: no symbol table (.symtab): stripped object"},
		{"section out of range", x86, sec(uint32(n)), fmt.Sprintf("f.o: new symbol \"a@b\": section index %d out of range (%d sections)", n, n)},
		{"section 0", x86, sec(0), fmt.Sprintf("f.o: new symbol \"a@b\": section index 0 out of range (%d sections)", n)},
		{"section xindex", x86, sec(0xffff), fmt.Sprintf("f.o: new symbol \"a@b\": section index 65535 out of range (%d sections)", n)},
		{"bad binding", x86, []Symbol{{Name: "a", Section: 1, Bind: elf.STB_LOOS, Type: elf.STT_FUNC}}, `f.o: new symbol "a": binding STB_LOOS cannot be added`},
		{"bad type", x86, []Symbol{{Name: "a", Section: 1, Bind: elf.STB_LOCAL, Type: 16}}, `f.o: new symbol "a": type 16 does not fit st_info`},
		{"empty name", x86, []Symbol{{Name: "", Section: 1, Bind: elf.STB_LOCAL, Type: elf.STT_FUNC}}, `f.o: new symbol "": empty name or NUL in name`},
		{"NUL in name", x86, []Symbol{{Name: "a\x00b", Section: 1, Bind: elf.STB_LOCAL, Type: elf.STT_FUNC}}, `f.o: new symbol "a\x00b": empty name or NUL in name`},
		{"32-bit value", arm, []Symbol{{Name: "a", Section: 1, Value: 1 << 32, Bind: elf.STB_LOCAL, Type: elf.STT_FUNC}}, `f.o: new symbol "a": value 0x100000000 or size 0x0 does not fit a 32-bit object`},
		{"symtab past end", cut, ok, fmt.Sprintf("f.o: section %d (.symtab): offset %#x, size %#x: outside the file (%d bytes)", symtab, f.Sections[symtab].Offset, len(x86), len(x86))},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := elfread.NewFile("f.o", c.image)
			var out []byte
			if err == nil {
				out, err = AddSymbols(g, c.syms)
			}
			if err == nil || err.Error() != c.want || out != nil {
				t.Fatalf("AddSymbols = %d bytes, %v\nwant error %s", len(out), err, c.want)
			}
		})
	}
}

// No symbols: the image itself, not a copy.
func TestNothingToAdd(t *testing.T) {
	x86 := readObject(t, "x86_64")
	out, err := addSymbols("f.o", x86, nil)
	if err != nil || &out[0] != &x86[0] {
		t.Fatalf("AddSymbols(no symbols) = %v", err)
	}
}

// FuzzAddSymbols adds random plans to the seed objects: either a one-line
// error naming the file, or an output that debug/elf parses, whose
// relocations name the same symbols, whose other sections are unchanged and
// whose locals all precede sh_info.
func FuzzAddSymbols(f *testing.F) {
	objects := make([][]byte, len(seedObjects))
	for i, o := range seedObjects {
		objects[i] = readObject(f, o.name)
		f.Add(uint8(i), []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, obj uint8, spec []byte) {
		in := objects[int(obj)%len(objects)]
		nsec := len(parse(t, in).Sections)
		binds := []elf.SymBind{elf.STB_LOCAL, elf.STB_GLOBAL, elf.STB_WEAK, elf.STB_LOOS}
		var syms []Symbol
		for i := 0; i+12 <= len(spec) && len(syms) < 64; i += 12 {
			c := spec[i : i+12]
			syms = append(syms, Symbol{
				Name:    fmt.Sprintf("s%d@%x", len(syms), c[11]%4),
				Section: uint32(binary.LittleEndian.Uint16(c)) % uint32(nsec+2),
				Value:   uint64(binary.LittleEndian.Uint32(c[2:])),
				Size:    uint64(binary.LittleEndian.Uint16(c[6:])),
				Bind:    binds[int(c[8])%len(binds)],
				Type:    aliasTypes[int(c[9])%len(aliasTypes)],
				Other:   c[10],
			})
		}
		out, err := addSymbols("seed.o", in, syms)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "seed.o: ") || strings.Contains(err.Error(), "\n") || out != nil {
				t.Fatalf("error %q, %d bytes", err, len(out))
			}
			return
		}
		if len(syms) == 0 {
			return
		}
		before, err := relocSymbolNames(in)
		if err != nil {
			t.Fatal(err)
		}
		after, err := relocSymbolNames(out)
		if err != nil {
			t.Fatalf("output: %v", err)
		}
		if !slices.Equal(before, after) {
			t.Fatal("relocation symbols changed")
		}
		sectionsUnchanged(t, in, out)
		osyms, fo, err := objSymbols(out)
		if err != nil {
			t.Fatal(err)
		}
		isyms, _, _ := objSymbols(in)
		if len(osyms) != len(isyms)+len(syms) {
			t.Fatalf("%d symbols, want %d", len(osyms), len(isyms)+len(syms))
		}
		info := int(fo.Sections[indexOf(fo, elf.SHT_SYMTAB)].Info)
		for i, s := range osyms {
			if (elf.ST_BIND(s.Info) == elf.STB_LOCAL) != (i+1 < info) {
				t.Fatalf("symbol %d %q binding %v, sh_info %d", i+1, s.Name, elf.ST_BIND(s.Info), info)
			}
		}
		got := map[string]objSym{}
		for _, s := range osyms {
			got[s.Name] = s
		}
		for _, s := range syms {
			g := got[s.Name]
			if g.section != s.Section || g.Value != s.Value || g.Size != s.Size || g.Other != s.Other || elf.ST_TYPE(g.Info) != s.Type {
				t.Fatalf("symbol %q: %+v, plan %+v", s.Name, g, s)
			}
		}
	})
}
