package elfwrite

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// fixtureC has static and global functions and data, a weak function,
// references from globals to locals and back (so that relocations name
// symbols whose index moves) and a COMDAT group whose signature is a global.
const fixtureC = `
static int counter;
static int table[4] = {1, 2, 3, 4};
__attribute__((noinline)) static int helper(int x) { return x + counter++ + table[x & 3]; }
__attribute__((noinline)) static int helper2(int x) { return helper(x) * 3; }
int global_data = 5;
int exported(int y) { return helper2(y) + helper(y) + global_data; }
__attribute__((weak)) int weakfn(int z) { return exported(z) - 1; }
static const char *msg = "hello";
const char *getmsg(void) { return msg; }
extern const int grpsig __attribute__((section(".rodata.grp")));
int usegrp(void) { return grpsig + exported(1) + weakfn(2); }
int (*fnptr)(int) = helper2;
__asm__(".pushsection .rodata.grp,\"aG\",%progbits,grpsig,comdat\n"
	".globl grpsig\n.type grpsig,%object\n.size grpsig,4\ngrpsig: .long 1\n"
	"grplocal: .long 2\n.popsection\n");
`

// rewriteFile applies syms to the object at in and writes it next to it.
func rewriteFile(tb testing.TB, in string, syms []Symbol) (string, []byte, []byte) {
	tb.Helper()
	image, err := os.ReadFile(in)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := addSymbols(in, image, syms)
	if err != nil {
		tb.Fatal(err)
	}
	path := in + ".ours"
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, image, out
}

// checkAgainstObjcopy rewrites in with the plan sel makes and checks the
// result: byte-identical sections, readelf without warnings, objcopy's
// symbols and relocations, and ld -r still accepting it. It returns the
// output's path.
func checkAgainstObjcopy(t *testing.T, tg ccfixture.Target, dir, in string, sel func(objSym) (string, elf.SymBind, bool)) (string, []Symbol) {
	t.Helper()
	image, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	syms := aliasPlan(t, image, sel)
	if len(syms) == 0 {
		t.Fatalf("%s: empty plan", in)
	}
	ours, _, out := rewriteFile(t, in, syms)
	sectionsUnchanged(t, image, out)
	before, err := relocSymbolNames(image)
	if err != nil {
		t.Fatal(err)
	}
	after, err := relocSymbolNames(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Fatalf("%s: relocation symbols changed", ours)
	}
	theirs := runObjcopy(t, tg.Tool("objcopy"), dir, in, image, syms)
	readelf := tg.Tool("readelf")
	run(t, readelf, "-aW", ours) // no warnings
	compareWithObjcopy(t, readelf, ours, theirs, syms)
	ccfixture.Run(t, dir, tg.Tool("ld"), "-r", "-o", ours+".r.o", ours)
	return ours, syms
}

func TestObjcopyEquivalence(t *testing.T) {
	for _, tg := range ccfixture.Targets {
		t.Run(tg.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"fix.c": fixtureC})
			linked := 0
			defer func() {
				if linked == 0 && !t.Failed() {
					t.Errorf("no fixture of %s could be linked", tg.Name)
				}
			}()
			for _, c := range []struct {
				name  string
				flags []string
			}{
				{"O2", []string{"-O2"}},
				{"sections", []string{"-O1", "-ffunction-sections", "-fdata-sections"}},
			} {
				obj := c.name + ".o"
				tg.Compile(t, dir, append(c.flags, "-fno-pic", "-c", "fix.c", "-o", obj)...)
				in := filepath.Join(dir, obj)
				for _, p := range []struct {
					name string
					sel  func(objSym) (string, elf.SymBind, bool)
				}{{"localfuncs", localFuncs}, {"mixed", mixed}} {
					ours, syms := checkAgainstObjcopy(t, tg, dir, in, p.sel)
					if p.name == "mixed" && !hasGroup(t, ours) {
						t.Fatalf("%s: fixture has no SHT_GROUP", in)
					}
					// A final link of our output works wherever one of
					// the input does, and the aliases resolve.
					exe := ours + ".exe"
					if err := exec.Command(tg.Tool("ld"), "-e", "exported", "-o", in+".exe", in).Run(); err != nil {
						t.Logf("%s: the input itself does not link (%v): no final link test", in, err)
						continue
					}
					linked++
					ccfixture.Run(t, dir, tg.Tool("ld"), "-e", "exported", "-o", exe, ours)
					nm := run(t, tg.Tool("nm"), exe)
					for _, s := range syms {
						if s.Name[0] != '.' && s.Name[0] != '$' && !strings.Contains(nm, " "+s.Name+"\n") {
							t.Fatalf("%s: %s missing from the linked executable", exe, s.Name)
						}
					}
				}
			}
		})
	}
}

func hasGroup(tb testing.TB, path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Type == elf.SHT_GROUP {
			return true
		}
	}
	return false
}

// manySectionsS is assembly for an object with more than SHN_LORESERVE
// sections: n local functions and n global data words, each in a section of
// its own; every 100th pair points at each other, so that relocations name
// symbols and section symbols beyond SHN_LORESERVE. (Assembly, because gcc
// takes a minute for as many -ffunction-sections functions; few relocation
// sections, because readelf -r is quadratic in them.)
func manySectionsS(n int) string {
	var b strings.Builder
	for i := range n {
		f, g := "0", "0"
		if i%100 == 0 {
			f, g = fmt.Sprint("g", i), fmt.Sprint("f", i)
		}
		fmt.Fprintf(&b, ".section .text.f%d,\"ax\",%%progbits\n.type f%d,%%function\nf%d: .long %s\n.size f%d,4\n", i, i, i, f, i)
		fmt.Fprintf(&b, ".section .data.g%d,\"aw\",%%progbits\n.globl g%d\n.type g%d,%%object\ng%d: .long %s\n.size g%d,4\n", i, i, i, i, g, i)
	}
	return b.String()
}

// An object with SHN_XINDEX sections: SHT_SYMTAB_SHNDX grows with the new
// symbols, and aliases of symbols in sections >= SHN_LORESERVE go through it.
// One target of each class and byte order (each takes seconds of binutils).
func TestManySections(t *testing.T) {
	for _, tg := range ccfixture.Targets {
		if tg.Name != "x86_64" && tg.Name != "s390x" && tg.Name != "arm" && tg.Name != "mips" {
			continue
		}
		t.Run(tg.Name, func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"many.s": manySectionsS(32800)})
			tg.Compile(t, dir, "-c", "many.s", "-o", "many.o")
			in := filepath.Join(dir, "many.o")
			f, err := elf.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			n := len(f.Sections)
			f.Close()
			if n <= int(elf.SHN_LORESERVE) {
				t.Fatalf("%d sections, want more than %d", n, elf.SHN_LORESERVE)
			}
			_, syms := checkAgainstObjcopy(t, tg, dir, in, func(s objSym) (string, elf.SymBind, bool) {
				switch {
				case s.index%20 != 0:
					return "", 0, false
				case elf.ST_BIND(s.Info) == elf.STB_GLOBAL:
					return s.Name + "@g", elf.STB_GLOBAL, true
				}
				return mixed(s)
			})
			high := 0
			for _, s := range syms {
				if s.Section >= uint32(elf.SHN_LORESERVE) {
					high++
				}
			}
			if high == 0 {
				t.Fatal("no alias in a section >= SHN_LORESERVE")
			}
		})
	}
}

// clangTargets are the clang-made objects: SHT_LLVM_ADDRSIG lists
// address-significant symbols by index.
var clangTargets = []struct{ name, triple, binutils string }{
	{"x86_64", "x86_64-linux-gnu", ""},
	{"aarch64", "aarch64-linux-gnu", "aarch64-linux-gnu-"},
	{"arm", "arm-linux-gnueabihf", "arm-linux-gnueabihf-"},
	{"s390x", "s390x-linux-gnu", "s390x-linux-gnu-"},
}

func TestClangAddrsig(t *testing.T) {
	for _, c := range clangTargets {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"fix.c": fixtureC})
			ccfixture.Run(t, dir, "clang", "--target="+c.triple, "-O2", "-ffunction-sections", "-c", "fix.c", "-o", "clang.o")
			in := filepath.Join(dir, "clang.o")
			tg := ccfixture.Target{Name: c.name, CC: c.binutils + "gcc"}
			if c.binutils == "" {
				tg = ccfixture.Host
			}
			ours, _ := checkAgainstObjcopy(t, tg, dir, in, mixed)
			before := addrsig(t, in)
			if len(before) == 0 {
				t.Fatalf("%s: no SHT_LLVM_ADDRSIG entries", in)
			}
			if after := addrsig(t, ours); !slices.Equal(before, after) {
				t.Fatalf("address-significant symbols changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// addrsig lists the SHT_LLVM_ADDRSIG symbols by name, as llvm-readelf does.
func addrsig(tb testing.TB, path string) []string {
	tb.Helper()
	cmd := exec.Command("llvm-readelf", "--addrsig", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		tb.Fatalf("llvm-readelf --addrsig %s: %v %s", path, err, stderr.String())
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && strings.HasSuffix(f[0], ":") {
			names = append(names, f[1])
		}
	}
	return names
}
