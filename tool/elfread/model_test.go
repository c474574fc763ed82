package elfread_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// relocSource makes relocations of every common kind: calls, data and
// function addresses, section-relative references, in code and data.
const relocSource = `
extern int ext(int);
extern int ext_data[];
static int local_data[4] = {1, 2, 3, 4};
int global_data = 5;
static __attribute__((noinline)) int helper(int x) { return x + local_data[x & 3]; }
int (*fp)(int) = helper;
int *dp = &ext_data[3];
int f(int x) { return ext(helper(x)) + global_data + ext_data[1]; }
`

// relocTargets are the compilers' targets plus the two r_info layouts they
// do not cover: MIPS64 in both byte orders (r_sym, r_ssym, r_type3, r_type2,
// r_type) and ppc64le.
func relocTargets() []ccfixture.Target {
	return append(append([]ccfixture.Target{}, ccfixture.Targets...),
		ccfixture.Target{Name: "mips64", CC: "mips-linux-gnu-gcc", Flags: []string{"-mabi=64", "-mno-abicalls", "-fno-pic"}},
		ccfixture.Target{Name: "mips64el", CC: "mips-linux-gnu-gcc", Flags: []string{"-EL", "-mabi=64", "-mno-abicalls", "-fno-pic"}},
		ccfixture.Target{Name: "ppc64le", CC: "powerpc64le-linux-gnu-gcc"},
	)
}

// readelfRelocs is what readelf -rW says of each relocation: section,
// offset, the symbol's name (a section symbol's section) and, for RELA, the
// addend, in the same words ours are printed below.
func readelfRelocs(t *testing.T, readelf, path string) []string {
	out := string(ccfixture.Run(t, filepath.Dir(path), readelf, "-rW", path))
	head := regexp.MustCompile(`^Relocation section '([^']+)'`)
	// OFFSET INFO TYPE [VALUE NAME [+|- ADDEND]] or, without a symbol, ADDEND.
	row := regexp.MustCompile(`^([0-9a-f]+)\s+[0-9a-f]+\s+\S+\s*(.*)$`)
	sym := regexp.MustCompile(`^[0-9a-f]+\s+(\S+)(?:\s+([+-])\s+([0-9a-f]+))?$`)
	var sec string
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if m := head.FindStringSubmatch(l); m != nil {
			sec = m[1]
			continue
		}
		m := row.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil || sec == "" {
			continue
		}
		off, _ := strconv.ParseUint(m[1], 16, 64)
		rest := strings.TrimSpace(m[2])
		name, addend := "", "0"
		if s := sym.FindStringSubmatch(rest); s != nil {
			name = s[1]
			if s[2] != "" {
				v, _ := strconv.ParseInt(s[3], 16, 64)
				if s[2] == "-" {
					v = -v
				}
				addend = strconv.FormatInt(v, 10)
			}
		} else if rest != "" {
			v, _ := strconv.ParseInt(rest, 16, 64)
			addend = strconv.FormatInt(v, 10)
		}
		if !strings.HasPrefix(sec, ".rela") {
			addend = "-"
		}
		rows = append(rows, fmt.Sprintf("%s %#x %s %s", sec, off, name, addend))
	}
	return rows
}

// TestRelocs decodes every relocation of objects of every target and compares
// offset, symbol and addend with readelf.
func TestRelocs(t *testing.T) {
	for _, tg := range relocTargets() {
		t.Run(tg.Name, func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"r.c": relocSource})
			tg.Compile(t, dir, "-O2", "-g", "-fno-pic", "-c", "r.c", "-o", "r.o")
			path := filepath.Join(dir, "r.o")
			f, err := elfread.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, s := range f.Sections {
				if s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA {
					continue
				}
				r, err := f.Relocs(i)
				if err != nil {
					t.Fatal(err)
				}
				for k := 0; k < r.Len(); k++ {
					rel := r.At(k)
					name := ""
					if rel.Sym > 0 {
						s := &syms[rel.Sym-1]
						name = s.Name
						if s.Type == elf.STT_SECTION {
							name = f.Sections[s.Section].Name
						}
					}
					addend := "-"
					if r.RELA {
						addend = strconv.FormatInt(rel.Addend, 10)
					}
					// riscv's local label ".L0 " ends in a blank, which readelf's columns lose.
					got = append(got, fmt.Sprintf("%s %#x %s %s", s.Name, rel.Off, strings.TrimSpace(name), addend))
				}
			}
			want := readelfRelocs(t, tg.Tool("readelf"), path)
			if len(want) < 10 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("relocations differ from readelf -rW:\n%s\nreadelf:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestSetSym rewrites every entry's symbol index and reads it back, every
// other byte of each entry unchanged.
func TestSetSym(t *testing.T) {
	for _, tg := range relocTargets() {
		t.Run(tg.Name, func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"r.c": relocSource})
			tg.Compile(t, dir, "-O2", "-fno-pic", "-c", "r.c", "-o", "r.o")
			f, err := elfread.Open(filepath.Join(dir, "r.o"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for i, s := range f.Sections {
				if s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA {
					continue
				}
				r, _ := f.Relocs(i)
				data := bytes.Clone(r.Data())
				for k := 0; k < r.Len(); k++ {
					r.SetSym(data, k, r.At(k).Sym+0x1234)
				}
				f2 := *r
				moved := readBack(t, f, i, data)
				for k := 0; k < r.Len(); k++ {
					a, b := f2.At(k), moved.At(k)
					if b.Sym != a.Sym+0x1234 || b.Type != a.Type || b.Off != a.Off || b.Addend != a.Addend {
						t.Fatalf("%s entry %d: %+v after SetSym, was %+v", s.Name, k, b, a)
					}
				}
			}
		})
	}
}

// readBack parses a copy of f's image with section i's contents replaced.
func readBack(t *testing.T, f *elfread.File, i int, data []byte) *elfread.Relocs {
	img := bytes.Clone(f.Image())
	copy(img[f.Sections[i].Offset:], data)
	g, err := elfread.NewFile(f.Name, img)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Relocs(i)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestContents reads SHF_COMPRESSED debug sections (zlib and zstd, as
// objcopy --compress-debug-sections and gcc -gz make them) as objcopy
// --decompress-debug-sections writes them.
func TestContents(t *testing.T) {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"r.c": relocSource})
	for _, z := range []string{"zlib", "zstd"} {
		ccfixture.Host.Compile(t, dir, "-O2", "-g", "-c", "r.c", "-o", "r.o")
		ccfixture.Run(t, dir, "objcopy", "--compress-debug-sections="+z, "r.o", z+".o")
		ccfixture.Run(t, dir, "objcopy", "--decompress-debug-sections", z+".o", z+".plain.o")
		comp, err := elfread.Open(filepath.Join(dir, z+".o"))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := elfread.Open(filepath.Join(dir, z+".plain.o"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, s := range comp.Sections {
			if s.Flags&elf.SHF_COMPRESSED == 0 {
				continue
			}
			n++
			got, err := comp.Contents(i)
			if err != nil {
				t.Fatal(err)
			}
			want, err := plain.Contents(i)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: %d bytes decompressed, objcopy has %d", z, s.Name, len(got), len(want))
			}
		}
		if n < 2 {
			t.Errorf("%s: only %d compressed sections", z, n)
		}
		// A corrupt stream is an error naming the section.
		img := bytes.Clone(comp.Image())
		for i, s := range comp.Sections {
			if s.Name == ".debug_info" {
				img[s.Offset+s.Size-4] ^= 0xff
				img[s.Offset+30] ^= 0xff
				g, err := elfread.NewFile("obj", img)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := g.Contents(i); err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("obj: section %d (.debug_info): decompressing: ", i)) {
					t.Errorf("%s: corrupt .debug_info: %v", z, err)
				}
			}
		}
		comp.Close()
		plain.Close()
	}
}

// TestFormatError: the one wording of a bad file, with section and offset
// where they apply.
func TestFormatError(t *testing.T) {
	for _, c := range []struct {
		err  elfread.FormatError
		want string
	}{
		{elfread.FormatError{Path: "m.ko", Section: -1, Off: -1, Msg: "not an ELF file"}, "m.ko: not an ELF file"},
		{elfread.FormatError{Path: "m.ko", Section: 3, SectionName: ".symtab", Off: -1, Msg: "bad"}, "m.ko: section 3 (.symtab): bad"},
		{elfread.FormatError{Path: "m.ko", Section: 3, SectionName: ".symtab", Off: 0x30, Msg: "bad"}, "m.ko: section 3 (.symtab): offset 0x30: bad"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}
