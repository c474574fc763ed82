package srcindex

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
)

func TestNormalizePath(t *testing.T) {
	const deb = "debian/build/build_amd64_none_amd64"
	const abs = "/build/reproducible-path/linux-6.1.192"
	for _, c := range []struct {
		name, p, compDir, srctree, want string
	}{
		// Relative names (Debian: prefix-mapped, relative O= comp_dir).
		{"relative", "init/main.c", deb, "", "init/main.c"},
		{"relative with srctree", "init/main.c", deb, abs, "init/main.c"},
		{"relative dot", "./include/linux/types.h", "/src/linux", "", "include/linux/types.h"},
		{"relative in-tree comp_dir", "include/linux/types.h", "/src/linux", "/src/linux", "include/linux/types.h"},
		// Absolute names.
		{"absolute cut", abs + "/arch/x86/kernel/head_64.S", abs + "/" + deb, "", "arch/x86/kernel/head_64.S"},
		{"absolute srctree", abs + "/arch/x86/kernel/head_64.S", abs + "/" + deb, abs, "arch/x86/kernel/head_64.S"},
		{"srctree trailing slash", abs + "/arch/x86/kernel/head_64.S", "", abs + "/", "arch/x86/kernel/head_64.S"},
		{"srctree unclean", abs + "/arch/x86/kernel/head_64.S", "", abs + "/debian/../", "arch/x86/kernel/head_64.S"},
		{"srctree wins over cut", "/home/kernel/linux/init/main.c", "", "/home/kernel/linux", "init/main.c"},
		{"cut too early without srctree", "/home/kernel/linux/init/main.c", "", "", "kernel/linux/init/main.c"},
		{"absolute outside tree", "/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h", "/src/linux", "/src/linux", "usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h"},
		{"no anchor", "/opt/x/y.h", "", "", "/opt/x/y.h"},
		{"top-level name as file name only", "/opt/x/kernel", "", "", "/opt/x/kernel"},
		// ../ forms (O= builds with srctree "..").
		{"dotdot absolute comp_dir", "../../init/main.c", "/src/linux/out/x86", "", "init/main.c"},
		{"dotdot with srctree", "../../init/main.c", "/src/linux/out/x86", "/src/linux", "init/main.c"},
		{"dotdot relative comp_dir", "../../init/main.c", "out/x86", "", "init/main.c"},
		{"dotdot no comp_dir", "../../drivers/net/tun.c", "", "", "drivers/net/tun.c"},
		{"dotdot inside", "drivers/pci/hotplug/../pci.h", deb, "", "drivers/pci/pci.h"},
		// Relative srctree.
		{"srctree dot", "init/main.c", "", ".", "init/main.c"},
		{"srctree relative", "linux/init/main.c", "", "linux", "init/main.c"},
		{"empty", "", deb, "", ""},
	} {
		if got := NormalizePath(c.p, c.compDir, c.srctree); got != c.want {
			t.Errorf("%s: NormalizePath(%q, %q, %q) = %q, want %q", c.name, c.p, c.compDir, c.srctree, got, c.want)
		}
	}
}

func TestLLVMJoin(t *testing.T) {
	for _, c := range []struct {
		compDir, dir, name string
		dir0               bool
		want               string
	}{
		{"debian/build/b", "arch/x86/kernel", "ebda.c", false, "debian/build/b/arch/x86/kernel/ebda.c"},
		{"debian/build/b", "debian/build/b", "ebda.c", true, "debian/build/b/ebda.c"}, // DWARF 5 dir 0
		{"/c", "", "x.c", false, "/c/x.c"}, // DWARF 4 dir 0
		{"/c", "/abs", "x.h", false, "/abs/x.h"},
		{"/c", "d", "/abs/x.h", false, "/abs/x.h"},
	} {
		if got := llvmJoin(c.compDir, c.dir, c.name, c.dir0); got != c.want {
			t.Errorf("llvmJoin(%q, %q, %q, %v) = %q, want %q", c.compDir, c.dir, c.name, c.dir0, got, c.want)
		}
	}
}

// TestDWARF5Dir0 builds a unit whose comp dir is relative (as Debian's) and
// checks that a DWARF 5 file of directory 0 is not prefixed with it.
func TestDWARF5Dir0(t *testing.T) {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"b/x.c": "int f(void) { return 1; }\n"})
	// -fdebug-prefix-map makes the comp dir relative, like Debian's.
	ccfixture.Host.Compile(t, filepath.Join(dir, "b"), "-gdwarf-5", "-fdebug-prefix-map="+dir+"/=", "-c", "x.c", "-o", "x.o")
	img, err := os.ReadFile(filepath.Join(dir, "b", "x.o"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := openImage("x.o", img, "")
	if err != nil {
		t.Fatal(err)
	}
	locs, err := x.Locate([]Addr{{Section: 1, Value: 0}})
	if err != nil {
		t.Fatal(err)
	}
	want := Location{TU: "x.c", File: "x.c", Line: 1, Path: "b/x.c"}
	if locs[0] != want {
		t.Errorf("got %+v, want %+v", locs[0], want)
	}
}

func TestNoDWARF(t *testing.T) {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"x.c": "int f(void) { return 1; }\n"})
	ccfixture.Host.Compile(t, dir, "-c", "x.c", "-o", "x.o")
	img, err := os.ReadFile(filepath.Join(dir, "x.o"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := openImage("x.o", img, "")
	if err != nil {
		t.Fatal(err)
	}
	if x.HasDWARF() || x.TU(Addr{1, 0}) != "" {
		t.Fatal("DWARF reported for an object without")
	}
	if locs, err := x.Locate([]Addr{{1, 0}}); err != nil || locs[0] != (Location{}) {
		t.Fatalf("Locate: %v %v", locs, err)
	}
}

// TestCompressed checks SHF_COMPRESSED debug sections (gcc -gz).
func TestCompressed(t *testing.T) {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, fixture)
	ccfixture.Host.Compile(t, dir, "-g", "-O1", "-c", "a.c", "-o", "plain.o")
	ccfixture.Host.Compile(t, dir, "-g", "-O1", "-gz=zlib", "-c", "a.c", "-o", "z.o")
	var res [2][]Location
	for i, n := range []string{"plain.o", "z.o"} {
		img, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		x, err := openImage(n, img, dir)
		if err != nil {
			t.Fatal(err)
		}
		if res[i], err = x.Locate([]Addr{{1, 0}, {1, 4}}); err != nil {
			t.Fatal(err)
		}
	}
	if res[0][0] != res[1][0] || res[0][1] != res[1][1] || res[0][0].Line == 0 {
		t.Errorf("plain %+v, compressed %+v", res[0], res[1])
	}
}

// truncations returns the fixture object with each debug section cut short.
func truncations(t testing.TB, img []byte) map[string][]byte {
	out := map[string][]byte{}
	// Section headers: patch sh_size of each .debug_* section (ELF64 LE).
	shoff := binary.LittleEndian.Uint64(img[0x28:])
	shentsize := uint64(binary.LittleEndian.Uint16(img[0x3a:]))
	shnum := uint64(binary.LittleEndian.Uint16(img[0x3c:]))
	shstrndx := uint64(binary.LittleEndian.Uint16(img[0x3e:]))
	strOff := binary.LittleEndian.Uint64(img[shoff+shstrndx*shentsize+0x18:])
	for i := range shnum {
		h := shoff + i*shentsize
		nameOff := uint64(binary.LittleEndian.Uint32(img[h:]))
		name := string(img[strOff+nameOff:])
		name = name[:strings.IndexByte(name, 0)]
		if !strings.HasPrefix(name, ".debug_") {
			continue
		}
		size := binary.LittleEndian.Uint64(img[h+0x20:])
		for _, n := range []uint64{0, 1, size / 3, size / 2, size - 1} {
			c := append([]byte(nil), img...)
			binary.LittleEndian.PutUint64(c[h+0x20:], n)
			out[name+"/"+string(rune('0'+len(out)%10))] = c
		}
		// Garbage in the middle of the section.
		off := binary.LittleEndian.Uint64(img[h+0x18:])
		c := append([]byte(nil), img...)
		for j := off + size/4; j < off+size/2 && j < uint64(len(c)); j++ {
			c[j] = 0xff
		}
		out[name+"/garbage"] = c
		// Garbage where the section starts (the unit headers).
		c = append([]byte(nil), img...)
		for j := off; j < off+16 && j < off+size; j++ {
			c[j] = 0xff
		}
		out[name+"/garbage-start"] = c
	}
	return out
}

func hostObject(t testing.TB, version string) []byte {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, fixture)
	ccfixture.Host.Compile(t, dir, version, "-O1", "-c", "a.c", "-o", "a.o")
	img, err := os.ReadFile(filepath.Join(dir, "a.o"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestBadDWARF: broken sections give errors naming the file and the
// section, never panics; those that break what the index reads must fail.
func TestBadDWARF(t *testing.T) {
	var seeds [][]byte
	for _, v := range []string{"-gdwarf-4", "-gdwarf-5"} {
		img := hostObject(t, v)
		seeds = append(seeds, img)
		failed := map[string]bool{}
		for name, c := range truncations(t, img) {
			x, err := openImage("bad.o", c, "")
			if err == nil {
				_, err = x.Locate([]Addr{{1, 0}, {1, 4}, {1, 0x10}, {1, 0x20}})
				x.TU(Addr{1, 0})
			}
			if err == nil {
				continue
			}
			failed[name] = true
			if !strings.HasPrefix(err.Error(), "bad.o: section ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %s: error does not name the file and section: %v", v, name, err)
			}
		}
		// Garbled unit headers, abbreviations and line programs cannot be
		// read around (the rest of .debug_info is never read).
		for _, name := range []string{".debug_info/garbage-start", ".debug_line/garbage", ".debug_abbrev/garbage-start"} {
			if !failed[name] {
				t.Errorf("%s: %s was accepted", v, name)
			}
			if golden.Update() {
				seeds = append(seeds, truncations(t, img)[name])
			}
		}
	}
	if golden.Update() {
		writeFuzzSeeds(t, seeds)
	}
	if _, err := openImage("short.o", []byte("\x7fELF"), ""); err == nil || !strings.HasPrefix(err.Error(), "short.o: ") {
		t.Errorf("truncated ELF: %v", err)
	}
}

// RISC-V objects from LLVM 18+ (and GCC 14+) relocate the ULEB128 label
// differences of DWARF 5's range lists (R_RISCV_SET_ULEB128 and
// R_RISCV_SUB_ULEB128 pairs): with them applied, every function of an
// -ffunction-sections object has its unit and the line llvm-addr2line gives
// for the same code compiled into one .text.
func TestRISCVULEB128(t *testing.T) {
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, map[string]string{"r.c": "static __attribute__((noinline)) int dup(int x) { return x + 1; }\nint a_entry(int x)\n{\n\treturn dup(x) * 3;\n}\nint b_entry(int x) { return dup(x) - 1; }\n"})
	cc := []string{"--target=riscv64-linux-gnu", "-O1", "-g", "-gdwarf-5", "-c", "r.c"}
	ccfixture.Run(t, dir, ccfixture.Clang(t), append(cc, "-ffunction-sections", "-o", "split.o")...)
	ccfixture.Run(t, dir, ccfixture.Clang(t), append(cc, "-o", "one.o")...)
	if !strings.Contains(string(ccfixture.Run(t, dir, ccfixture.LLVMTool(t, "llvm-readelf"), "-rW", filepath.Join(dir, "split.o"))), "R_RISCV_SET_ULEB128") {
		t.Fatal("the fixture has no R_RISCV_SET_ULEB128")
	}
	split, one := fixtureFuncs(t, filepath.Join(dir, "split.o")), fixtureFuncs(t, filepath.Join(dir, "one.o"))
	img, err := os.ReadFile(filepath.Join(dir, "split.o"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := openImage("split.o", img, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range split {
		want := strings.TrimSpace(string(ccfixture.Run(t, dir, ccfixture.LLVMTool(t, "llvm-addr2line"), "-e", filepath.Join(dir, "one.o"), fmt.Sprintf("%#x", one[name].Value))))
		locs, err := x.Locate([]Addr{a})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%s:%d", locs[0].Path, locs[0].Line); locs[0].TU != "r.c" || got != want {
			t.Errorf("%s: unit %q, %s; llvm-addr2line of the one-section object: %s", name, locs[0].TU, got, want)
		}
	}
}

// fixtureFuncs maps each function of an object to its address.
func fixtureFuncs(t *testing.T, path string) map[string]Addr {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Addr{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			out[s.Name] = Addr{Section: uint32(s.Section), Value: s.Value}
		}
	}
	return out
}
