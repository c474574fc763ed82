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

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
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
			out, err := AddSymbols(o.name, in, syms)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := AddSymbols(o.name, in, syms)
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
	h, err := parseHeader(image)
	if err != nil {
		tb.Fatal(err)
	}
	b := slices.Clone(image)
	for i, s := range h.secs {
		if s.typ == elf.SHT_SYMTAB {
			binary.LittleEndian.PutUint32(b[h.shoff+uint64(i)*h.shentsize+4:], uint32(elf.SHT_PROGBITS))
		}
	}
	return b
}

func signed(image []byte) []byte {
	sig := []byte("PKCS7 bytes")
	info := make([]byte, sigInfoSize)
	info[2] = 2
	binary.BigEndian.PutUint32(info[8:], uint32(len(sig)))
	return slices.Concat(image, sig, info, []byte(SignatureMagic))
}

// Bad input gives one line naming the file, and no output.
func TestBadInput(t *testing.T) {
	x86 := readObject(t, "x86_64")
	arm := readObject(t, "arm")
	h, err := parseHeader(x86)
	if err != nil {
		t.Fatal(err)
	}
	n := len(h.secs)
	ok := []plan.Symbol{{Name: "a@b", Section: 1, Bind: "local", Type: "func"}}
	sec := func(i uint32) []plan.Symbol {
		return []plan.Symbol{{Name: "a@b", Section: i, Bind: "local", Type: "func"}}
	}
	for _, c := range []struct {
		name  string
		image []byte
		syms  []plan.Symbol
		want  string
	}{
		{"not elf", []byte("hello, world\n and more bytes"), ok, "f.o: not an ELF file"},
		{"empty", nil, ok, "f.o: not an ELF file"},
		{"executable", setType(x86, elf.ET_EXEC), ok, "f.o: ET_EXEC file, not a relocatable object (ET_REL)"},
		{"shared object", setType(x86, elf.ET_DYN), ok, "f.o: ET_DYN file, not a relocatable object (ET_REL)"},
		{"truncated header", x86[:40], ok, "f.o: truncated ELF header"},
		{"truncated", x86[:len(x86)/2], ok, fmt.Sprintf("f.o: section header table at offset %#x is outside the file (%d bytes)", h.shoff, len(x86)/2)},
		{"truncated section table", x86[:h.shoff+100], ok, fmt.Sprintf("f.o: section header table (%d entries at offset %#x) is outside the file (%d bytes)", n, h.shoff, h.shoff+100)},
		{"no symtab", noSymtab(t, x86), ok, "f.o: no symbol table (.symtab): stripped object"},
		{"no symtab, no plan", noSymtab(t, x86), nil, "f.o: no symbol table (.symtab): stripped object"},
		{"section out of range", x86, sec(uint32(n)), fmt.Sprintf("f.o: plan symbol \"a@b\": section index %d out of range (object has %d sections)", n, n)},
		{"section 0", x86, sec(0), fmt.Sprintf("f.o: plan symbol \"a@b\": section index 0 out of range (object has %d sections)", n)},
		{"section xindex", x86, sec(0xffff), fmt.Sprintf("f.o: plan symbol \"a@b\": section index 65535 out of range (object has %d sections)", n)},
		{"bad binding", x86, []plan.Symbol{{Name: "a", Section: 1, Bind: "hidden", Type: "func"}}, `f.o: symbol "a": unknown binding "hidden"`},
		{"bad type", x86, []plan.Symbol{{Name: "a", Section: 1, Bind: "local", Type: "section"}}, `f.o: symbol "a": unknown type "section"`},
		{"empty name", x86, []plan.Symbol{{Name: "", Section: 1, Bind: "local", Type: "func"}}, `f.o: plan symbol "": empty name or NUL in name`},
		{"NUL in name", x86, []plan.Symbol{{Name: "a\x00b", Section: 1, Bind: "local", Type: "func"}}, `f.o: plan symbol "a\x00b": empty name or NUL in name`},
		{"32-bit value", arm, []plan.Symbol{{Name: "a", Section: 1, Value: 1 << 32, Bind: "local", Type: "func"}}, `f.o: plan symbol "a": value 0x100000000 or size 0x0 does not fit a 32-bit object`},
		{"signed", signed(x86), ok, "f.o: " + ErrSigned.Error()},
		{"short signature", []byte("abc" + SignatureMagic), ok, "f.o: malformed module signature: file too short for struct module_signature"},
		{"bad signature", slices.Concat([]byte{0, 0, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, []byte(SignatureMagic)), ok, "f.o: malformed module signature: 4294967295 signature bytes in a 40 byte file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := AddSymbols("f.o", c.image, c.syms)
			if err == nil || err.Error() != c.want || out != nil {
				t.Fatalf("AddSymbols = %d bytes, %v\nwant error %s", len(out), err, c.want)
			}
		})
	}
}

func TestSignature(t *testing.T) {
	x86 := readObject(t, "x86_64")
	s := signed(x86)
	img, sig, err := SplitSignature(s)
	if err != nil || !bytes.Equal(img, x86) || !bytes.Equal(sig, s[len(x86):]) || !HasSignature(s) || HasSignature(x86) {
		t.Fatalf("SplitSignature(signed) = %d, %d bytes, %v", len(img), len(sig), err)
	}
	img, sig, err = SplitSignature(x86)
	if err != nil || !bytes.Equal(img, x86) || sig != nil {
		t.Fatalf("SplitSignature(unsigned) = %d, %d bytes, %v", len(img), len(sig), err)
	}
	// No symbols: the image itself, not a copy.
	out, err := AddSymbols("f.o", x86, nil)
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
		h, err := parseHeader(in)
		if err != nil {
			t.Fatal(err)
		}
		binds := []string{"local", "global", "weak", "bogus"}
		types := []string{"notype", "object", "func", "tls", "gnu_ifunc"}
		var syms []plan.Symbol
		for i := 0; i+12 <= len(spec) && len(syms) < 64; i += 12 {
			c := spec[i : i+12]
			syms = append(syms, plan.Symbol{
				Name:    fmt.Sprintf("s%d@%x", len(syms), c[11]%4),
				Section: uint32(binary.LittleEndian.Uint16(c)) % uint32(len(h.secs)+2),
				Value:   uint64(binary.LittleEndian.Uint32(c[2:])),
				Size:    uint64(binary.LittleEndian.Uint16(c[6:])),
				Bind:    binds[int(c[8])%len(binds)],
				Type:    types[int(c[9])%len(types)],
			})
		}
		out, err := AddSymbols("seed.o", in, syms)
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
			if g.section != s.Section || g.Value != s.Value || g.Size != s.Size {
				t.Fatalf("symbol %q: %+v, plan %+v", s.Name, g, s)
			}
		}
	})
}
