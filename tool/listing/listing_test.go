package listing_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// listFile is what "kas_alias nm FILE" prints.
func listFile(t testing.TB, path string) []byte {
	t.Helper()
	f, err := elfread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := listing.FromELF(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := listing.Write(&b, lines, listing.Width(f)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compareWithNM fails unless our listing of dir/obj is byte for byte what
// the target's GNU nm -n prints.
func compareWithNM(t *testing.T, tg ccfixture.Target, dir, obj string) []byte {
	t.Helper()
	want := ccfixture.Run(t, dir, tg.Tool("nm"), "-n", obj)
	got := listFile(t, filepath.Join(dir, obj))
	if !bytes.Equal(got, want) {
		t.Errorf("%s %s: listing differs from %s -n:\n%s", tg.Name, obj, tg.Tool("nm"), golden.Diff(want, got))
	}
	return want
}

func targetFlags(tg ccfixture.Target) []string {
	flags := []string{"-O1", "-fcommon"}
	if tg.Name == "powerpc" {
		flags = append(flags, "-fno-pic") // Debian's default PIE conflicts with -msdata=sysv
	}
	return flags
}

// TestTargets compiles the fixture for every architecture and compares the
// listing of the object (ET_REL), a shared object (ET_DYN) and an
// executable (ET_EXEC) with that target's GNU nm.
func TestTargets(t *testing.T) {
	src, err := os.ReadFile("testdata/fixture.c")
	if err != nil {
		t.Fatal(err)
	}
	letters := map[string]map[byte]bool{}
	for _, tg := range ccfixture.Targets {
		t.Run(tg.Name, func(t *testing.T) {
			dir := t.TempDir()
			ccfixture.WriteFiles(t, dir, map[string]string{"fixture.c": string(src)})
			tg.Compile(t, dir, append(targetFlags(tg), "-c", "fixture.c", "-o", "fixture.o")...)
			seen := map[byte]bool{}
			for _, l := range strings.Split(string(compareWithNM(t, tg, dir, "fixture.o")), "\n") {
				if f := strings.Fields(l); len(f) == 2 {
					seen[f[0][0]] = true
				} else if len(f) == 3 {
					seen[f[1][0]] = true
				}
			}
			letters[tg.Name] = seen
			// Linked forms, with the undefined symbols defined.
			ccfixture.WriteFiles(t, dir, map[string]string{"defs.c": "int undef_var, weak_undef_obj; void undef_func(void) {}\n"})
			tg.Compile(t, dir, append(targetFlags(tg), "-c", "defs.c", "-o", "defs.o")...)
			link := []string{"-nostdlib", "-Wl,-e,0"}
			tg.Compile(t, dir, append(append(targetFlags(tg), link...), "-static", "-no-pie", "fixture.o", "defs.o", "-o", "exe")...)
			compareWithNM(t, tg, dir, "exe")
			if tg.Name != "powerpc" && tg.Name != "mips" { // built -fno-pic
				tg.Compile(t, dir, append(targetFlags(tg), "-fPIC", "-c", "fixture.c", "-o", "pic.o")...)
				tg.Compile(t, dir, append(link, "-shared", "pic.o", "defs.o", "-o", "lib.so")...)
				compareWithNM(t, tg, dir, "lib.so")
			}
		})
	}
	// Every letter that ELF objects can have must have been checked.
	for _, c := range []byte("ABCDNRTUVWabdinprtuvw?") {
		found := false
		for _, seen := range letters {
			found = found || seen[c]
		}
		if !found && len(letters) == len(ccfixture.Targets) {
			t.Errorf("no target produced a %q symbol", c)
		}
	}
}

// TestXindex checks objects with more sections than ELF's 16-bit indices
// hold (SHN_XINDEX), as -ffunction-sections kernels make, in 64-bit LE and
// 32-bit BE.
func TestXindex(t *testing.T) {
	var src strings.Builder
	const n = 66000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, ".section .text.f%d,\"ax\",%%progbits\n.globl f%d\nf%d: .byte 0\nlocal%d: .byte 0\n", i, i, i, i)
	}
	for _, name := range []string{"x86_64", "mips"} {
		for _, tg := range ccfixture.Targets {
			if tg.Name != name {
				continue
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				ccfixture.WriteFiles(t, dir, map[string]string{"many.s": src.String()})
				tg.Compile(t, dir, "-c", "many.s", "-o", "many.o")
				f, err := elfread.Open(filepath.Join(dir, "many.o"))
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Sections) <= 0xff00 {
					t.Fatalf("only %d sections", len(f.Sections))
				}
				syms, err := f.Symbols()
				if err != nil {
					t.Fatal(err)
				}
				ext := 0
				for _, s := range syms {
					if s.Extended {
						ext++
					}
				}
				f.Close()
				if ext == 0 {
					t.Errorf("no symbol used SHN_XINDEX")
				}
				compareWithNM(t, tg, dir, "many.o")
			})
		}
	}
}

// TestGolden compares the checked-in x86_64 fixture object with its
// checked-in GNU nm listing; -update rebuilds both.
func TestGolden(t *testing.T) {
	obj := filepath.Join("testdata", "fixture_x86_64.o")
	nmFile := obj + ".nm"
	if golden.Update() {
		dir := t.TempDir()
		src, err := os.ReadFile("testdata/fixture.c")
		if err != nil {
			t.Fatal(err)
		}
		asm, err := os.ReadFile("testdata/fixture_x86_64.s")
		if err != nil {
			t.Fatal(err)
		}
		ccfixture.WriteFiles(t, dir, map[string]string{"fixture.c": string(src), "fixture_x86_64.s": string(asm)})
		ccfixture.Host.Compile(t, dir, append(targetFlags(ccfixture.Host), "-c", "fixture.c", "-o", "c.o")...)
		ccfixture.Host.Compile(t, dir, "-c", "fixture_x86_64.s", "-o", "s.o")
		ccfixture.Run(t, dir, "ld", "-r", "-o", "fixture_x86_64.o", "c.o", "s.o")
		data, err := os.ReadFile(filepath.Join(dir, "fixture_x86_64.o"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(obj, data, 0o644); err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(obj)
		if err := os.WriteFile(nmFile, ccfixture.Run(t, ".", "nm", "-n", abs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(nmFile)
	if err != nil {
		t.Fatal(err)
	}
	got := listFile(t, obj)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", obj, nmFile, golden.Diff(want, got))
	}
	// The large common symbol (SHN_X86_64_LCOMMON) is in it.
	if !bytes.Contains(got, []byte(" C lcommon_sym\n")) {
		t.Errorf("no large common symbol in the listing")
	}
}
