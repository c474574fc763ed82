package srcindex

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
)

// fixture: same-named statics in two files, a static inline (noinline) in a
// header used by both, a .c that #includes another .c, a main.
var fixture = map[string]string{
	"hdr.h": `static inline __attribute__((noinline)) int hdr_inline(int x)
{
	return x * 3;
}
`,
	"a.c": `#include "hdr.h"
static __attribute__((noinline)) int dup(int x)
{
	return x + 1;
}
int a_entry(int x)
{
	return dup(x) + hdr_inline(x);
}
`,
	"b.c": `#include "hdr.h"

static __attribute__((noinline)) int dup(int x)
{
	return x - 1;
}

int b_entry(int x)
{
	return dup(x) * hdr_inline(x);
}
`,
	"sub/binfmt.c": `static __attribute__((noinline)) int load(int x)
{
	return x << 1;
}
int binfmt_entry(int x)
{
	return load(x);
}
`,
	"sub/compat_binfmt.c": `#define binfmt_entry compat_binfmt_entry
#include "binfmt.c"
`,
	"main.c": `int a_entry(int), b_entry(int), binfmt_entry(int), compat_binfmt_entry(int);
int main(void) { return a_entry(1) + b_entry(2) + binfmt_entry(3) + compat_binfmt_entry(4); }
`,
}

type fixtureFunc struct {
	name string
	addr Addr
	sec  string
}

// funcs lists the defined function symbols of an object.
func funcs(t *testing.T, file string) ([]fixtureFunc, *elf.File) {
	f, err := elf.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var out []fixtureFunc
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF || int(s.Section) >= len(f.Sections) {
			continue
		}
		v := s.Value
		if f.Machine == elf.EM_ARM {
			v &^= 1 // Thumb bit
		}
		out = append(out, fixtureFunc{s.Name, Addr{uint32(s.Section), v}, f.Sections[s.Section].Name})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].sec != out[j].sec {
			return out[i].sec < out[j].sec
		}
		return out[i].addr.Value < out[j].addr.Value
	})
	return out, f
}

// oracle asks llvm about the linked image exe at the given addresses:
// llvm-addr2line for file:line, llvm-dwarfdump --lookup for the unit.
func oracle(t *testing.T, dir, exe string, addrs []uint64) (lines, tus []string) {
	args := []string{"-e", exe}
	for _, a := range addrs {
		args = append(args, fmt.Sprintf("%#x", a))
	}
	out := strings.Split(strings.TrimSpace(string(ccfixture.Run(t, dir, "llvm-addr2line", args...))), "\n")
	if len(out) != len(addrs) {
		t.Fatalf("llvm-addr2line: %d lines for %d addresses", len(out), len(addrs))
	}
	for _, l := range out {
		if j := strings.LastIndexByte(l, ':'); j > 0 && l[:j] != "??" {
			l = path.Clean(l[:j]) + l[j:]
		}
		lines = append(lines, l)
	}
	for _, a := range addrs {
		dd := string(ccfixture.Run(t, dir, "llvm-dwarfdump", fmt.Sprintf("--lookup=%#x", a), exe))
		var name, comp string
		if i := strings.Index(dd, "DW_TAG_compile_unit"); i >= 0 {
			for _, l := range strings.Split(dd[i:], "\n")[1:] {
				l = strings.TrimSpace(l)
				if strings.HasPrefix(l, "DW_TAG") || strings.HasPrefix(l, "0x") {
					break
				}
				if v, ok := strings.CutPrefix(l, "DW_AT_name\t(\""); ok && name == "" {
					name = strings.TrimSuffix(v, "\")")
				}
				if v, ok := strings.CutPrefix(l, "DW_AT_comp_dir\t(\""); ok && comp == "" {
					comp = strings.TrimSuffix(v, "\")")
				}
			}
		}
		tus = append(tus, NormalizePath(name, comp, dir))
	}
	return lines, tus
}

// linkForOracle links the relocatable obj with every executable section at
// its own address, so llvm can answer for (section, offset) pairs; it
// returns the image and each section's address by name.
func linkForOracle(t *testing.T, tg ccfixture.Target, dir, obj string, f *elf.File) (string, map[string]uint64) {
	var sb strings.Builder
	sb.WriteString("SECTIONS {\n")
	seen := map[string]bool{}
	n := 0
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_EXECINSTR == 0 || s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
			continue
		}
		if seen[s.Name] {
			t.Fatalf("%s: section %s twice: no unique oracle address", obj, s.Name)
		}
		seen[s.Name] = true
		n++
		fmt.Fprintf(&sb, "  %s %#x : { *(%s) }\n", s.Name, n*0x100000, s.Name)
	}
	sb.WriteString("}\n")
	script := obj + ".ld"
	exe := obj + ".oracle"
	ccfixture.WriteFiles(t, dir, map[string]string{script: sb.String()})
	args := []string{"-T", script, "--unresolved-symbols=ignore-all", "-e", "0", "-o", exe, obj}
	if tg.Name == "riscv64" {
		args = append([]string{"--no-relax"}, args...)
	}
	ccfixture.Run(t, dir, tg.Tool("ld"), args...)
	g, err := elf.Open(filepath.Join(dir, exe))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	addr := map[string]uint64{}
	for _, s := range g.Sections {
		if seen[s.Name] {
			addr[s.Name] = s.Addr
		}
	}
	return exe, addr
}

// checkObject compares every function of obj with llvm and returns the
// golden text.
func checkObject(t *testing.T, tg ccfixture.Target, dir, obj string) string {
	fs, f := funcs(t, filepath.Join(dir, obj))
	defer f.Close()
	img, err := os.ReadFile(filepath.Join(dir, obj))
	if err != nil {
		t.Fatal(err)
	}
	x, err := openImage(obj, img, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !x.HasDWARF() {
		t.Fatalf("%s: no DWARF", obj)
	}
	exe, secAddr := obj, map[string]uint64(nil)
	if f.Type == elf.ET_REL {
		exe, secAddr = linkForOracle(t, tg, dir, obj, f)
	}
	var addrs []uint64
	var in []Addr
	for _, fn := range fs {
		a := fn.addr.Value
		if secAddr != nil {
			a += secAddr[fn.sec]
		}
		addrs = append(addrs, a)
		in = append(in, fn.addr)
	}
	wantLines, wantTUs := oracle(t, dir, exe, addrs)
	locs, err := x.Locate(in)
	if err != nil {
		t.Fatal(err)
	}
	var golden strings.Builder
	for i, fn := range fs {
		got := fmt.Sprintf("%s:%d", locs[i].Path, locs[i].Line)
		if locs[i].Path == "" {
			got = "??:0"
		}
		if got != wantLines[i] {
			t.Errorf("%s %s %s+%#x: Locate path %s, llvm-addr2line %s", tg.Name, obj, fn.sec, fn.addr.Value, got, wantLines[i])
		}
		if tu := x.TU(fn.addr); tu != wantTUs[i] || locs[i].TU != tu {
			t.Errorf("%s %s %s %s+%#x: TU %q, Locate TU %q, llvm-dwarfdump %q", tg.Name, obj, fn.name, fn.sec, fn.addr.Value, tu, locs[i].TU, wantTUs[i])
		}
		if locs[i].File == "" || locs[i].Line == 0 {
			t.Errorf("%s %s %s: no location", tg.Name, obj, fn.name)
		}
		// What the index decides, for review: unit and file:line. Offsets
		// and addresses are the compiler's (checked against llvm above),
		// so the golden holds for every gcc.
		fmt.Fprintf(&golden, "%-20s %-16s %s %s:%d\n", fn.name, fn.sec, locs[i].TU, locs[i].File, locs[i].Line)
	}
	return golden.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), []byte(got))
}

func TestFixtures(t *testing.T) {
	type cfg struct {
		tg    ccfixture.Target
		dwarf string
	}
	var cfgs []cfg
	for _, tg := range ccfixture.Targets {
		cfgs = append(cfgs, cfg{tg, "-gdwarf-5"})
		switch tg.Name {
		case "x86_64", "powerpc", "aarch64", "arm":
			cfgs = append(cfgs, cfg{tg, "-gdwarf-4"})
		}
	}
	for _, c := range cfgs {
		t.Run(c.tg.Name+c.dwarf[2:], func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, fixture)
			flags := []string{c.dwarf, "-O1", "-fno-inline", "-c"}
			if c.tg.Name == "powerpc" {
				flags = append(flags, "-fno-pic") // Debian's default PIE conflicts with -msdata=sysv
			}
			c.tg.Compile(t, dir, append(flags, "-ffunction-sections", "a.c", "-o", "a.o")...)
			c.tg.Compile(t, dir, append(flags, "b.c", "-o", "b.o")...)
			c.tg.Compile(t, dir, append(flags, "sub/binfmt.c", "-o", "binfmt.o")...)
			c.tg.Compile(t, dir, append(flags, "sub/compat_binfmt.c", "-o", "compat_binfmt.o")...)
			c.tg.Compile(t, dir, append(flags, "main.c", "-o", "main.o")...)
			// A module-like ld -r of several objects: b's .text holds
			// functions of b.o, binfmt.o and compat_binfmt.o at offsets.
			ccfixture.Run(t, dir, c.tg.Tool("ld"), "-r", "-o", "mod.o", "b.o", "binfmt.o", "compat_binfmt.o", "a.o")
			c.tg.Compile(t, dir, "-nostdlib", "-static", "-no-pie", "-Wl,-e,main", "-o", "exe", "main.o", "a.o", "b.o", "binfmt.o", "compat_binfmt.o")
			var all strings.Builder
			for _, obj := range []string{"a.o", "b.o", "mod.o", "exe"} {
				fmt.Fprintf(&all, "# %s\n%s", obj, checkObject(t, c.tg, dir, obj))
			}
			checkGolden(t, c.tg.Name+c.dwarf[2:]+".txt", all.String())
		})
	}
}
