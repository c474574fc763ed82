package elfread

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is the checked-in x86_64 object of the listing tests.
func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "listing", "testdata", "fixture_x86_64.o"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shdrOff returns the offset of section header i of a 64-bit LE image.
func shdrOff(b []byte, i int) int {
	return int(binary.LittleEndian.Uint64(b[40:])) + 64*i
}

func findSection(t testing.TB, b []byte, name string) int {
	f, err := NewFile("x", b)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range f.Sections {
		if s.Name == name {
			return i
		}
	}
	t.Fatalf("no section %s", name)
	return 0
}

// TestBadInput checks that broken objects give one clear error naming the
// file and the problem.
func TestBadInput(t *testing.T) {
	good := fixture(t)
	symtab := findSection(t, good, ".symtab")
	strtab := findSection(t, good, ".strtab")
	edit := func(fn func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		fn(b)
		return b
	}
	le := binary.LittleEndian
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "obj: not an ELF file"},
		{"text", []byte("hello, world\n"), "obj: not an ELF file"},
		{"short header", good[:20], "obj: truncated ELF header (20 bytes)"},
		{"bad class", edit(func(b []byte) { b[4] = 7 }), "obj: unknown ELF class 7"},
		{"bad data", edit(func(b []byte) { b[5] = 9 }), "obj: unknown ELF data encoding 9"},
		{"no section headers", edit(func(b []byte) { le.PutUint64(b[40:], 0) }), "obj: no section headers"},
		{"shoff past end", edit(func(b []byte) { le.PutUint64(b[40:], 1<<40) }), "obj: section header table at offset 0x10000000000 extends past end of file"},
		{"shnum past end", edit(func(b []byte) { le.PutUint16(b[60:], 60000) }), "obj: section header table (60000 entries at offset"},
		{"shentsize", edit(func(b []byte) { le.PutUint16(b[58:], 40) }), "obj: section header size 40, want 64"},
		{"shstrndx out of range", edit(func(b []byte) { le.PutUint16(b[62:], 999) }), "obj: section name table index 999 out of range"},
		{"symtab past end", edit(func(b []byte) { le.PutUint64(b[shdrOff(b, symtab)+24:], uint64(len(good))) }),
			"obj: section " + itoa(symtab) + " (.symtab): extends past end of file"},
		{"symtab size past end", edit(func(b []byte) { le.PutUint64(b[shdrOff(b, symtab)+32:], 1<<62) }),
			"obj: section " + itoa(symtab) + " (.symtab): extends past end of file"},
		{"strtab past end", edit(func(b []byte) { le.PutUint64(b[shdrOff(b, strtab)+32:], uint64(len(good))) }),
			"obj: section " + itoa(strtab) + " (.strtab): extends past end of file"},
		{"string offset past table", edit(func(b []byte) { le.PutUint64(b[shdrOff(b, strtab)+32:], 3) }),
			"obj: section " + itoa(symtab) + " (.symtab): offset 0x"},
		{"symtab link out of range", edit(func(b []byte) { le.PutUint32(b[shdrOff(b, symtab)+40:], 5000) }),
			"obj: section " + itoa(symtab) + " (.symtab): string table index 5000 out of range"},
		{"symbol entry size", edit(func(b []byte) { le.PutUint64(b[shdrOff(b, symtab)+56:], 16) }),
			"obj: section " + itoa(symtab) + " (.symtab): symbol entry size 16, want 24"},
		{"no symtab", edit(func(b []byte) { le.PutUint32(b[shdrOff(b, symtab)+4:], 1) }), "obj: no symbols (no .symtab section)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFile("obj", tc.data)
			if err == nil {
				_, err = f.Symbols()
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line starting %q", err, tc.want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestTruncated cuts the fixture at every length: each prefix must give an
// error or a result, never a panic.
func TestTruncated(t *testing.T) {
	good := fixture(t)
	for n := 0; n < len(good); n++ {
		exercise(good[:n])
	}
}

// exercise runs everything the reader offers on data.
func exercise(data []byte) {
	f, err := NewFile("fuzz", data)
	if err != nil {
		return
	}
	for i := range f.Sections {
		f.SectionData(i)
		f.Contents(i)
		if r, err := f.Relocs(i); err == nil {
			for k := 0; k < r.Len(); k++ {
				r.At(k)
			}
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		return
	}
	for i := range syms {
		f.Letter(&syms[i])
		f.Listed(&syms[i])
		f.Value(&syms[i])
	}
}

// FuzzNewFile feeds arbitrary bytes to the reader; the seed corpus in
// testdata/fuzz/FuzzNewFile runs in every ordinary test run.
func FuzzNewFile(f *testing.F) {
	f.Add(fixture(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		exercise(data)
	})
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "missing")+": ") {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(dir, "bad.ko.xz")
	os.WriteFile(p, []byte("not xz"), 0o644)
	if _, err := Open(p); err == nil || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("bad xz: %v", err)
	}
	p = filepath.Join(dir, "text")
	os.WriteFile(p, []byte("text"), 0o644)
	if _, err := Open(p); err == nil || err.Error() != p+": not an ELF file" {
		t.Errorf("text: %v", err)
	}
}
