// Package ccfixture compiles C test fixtures with the host gcc and Debian's
// cross compilers, so tests run on real objects of every kernel architecture.
// The compilers are installed by tools/bootstrap.sh; a missing one fails the
// test (it is never skipped), because a skipped architecture proves nothing.
package ccfixture

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Target is one C compiler and the flags that make kernel-like objects.
type Target struct {
	Name  string   // short architecture name, used in golden file names
	CC    string   // compiler command
	Flags []string // extra flags for every compile
}

// Host is the native compiler.
var Host = Target{Name: "x86_64", CC: "gcc"}

// Targets are the architectures every ELF test covers: 64/32-bit, little and
// big endian, and the two with small-data sections (powerpc, mips).
var Targets = []Target{
	Host,
	{Name: "aarch64", CC: "aarch64-linux-gnu-gcc"},
	{Name: "arm", CC: "arm-linux-gnueabihf-gcc"},
	{Name: "riscv64", CC: "riscv64-linux-gnu-gcc"},
	{Name: "s390x", CC: "s390x-linux-gnu-gcc"},
	{Name: "powerpc", CC: "powerpc-linux-gnu-gcc", Flags: []string{"-msdata=sysv", "-G", "8"}},
	{Name: "mips", CC: "mips-linux-gnu-gcc", Flags: []string{"-G", "8", "-mno-abicalls", "-fno-pic"}},
}

// Tool returns the binutils command of the target's triplet (nm, objcopy,
// readelf, ld), or the host one for Host.
func (t Target) Tool(name string) string {
	if t.CC == "gcc" {
		return name
	}
	return strings.TrimSuffix(t.CC, "gcc") + name
}

// Compile runs the target's compiler in dir with args (sources, -c, -o ...)
// after the target's own flags, and fails the test with the compiler's output
// if it fails. Paths are made relative to dir so that objects do not depend
// on where the test runs.
func (t Target) Compile(tb testing.TB, dir string, args ...string) {
	tb.Helper()
	Run(tb, dir, t.CC, append(append([]string{}, t.Flags...), args...)...)
}

// Run runs a command in dir and returns its standard output; it fails the
// test with standard error if the command fails or is not installed.
func Run(tb testing.TB, dir, name string, args ...string) []byte {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Fatalf("%s is not installed (tools/bootstrap.sh installs it): %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// WriteFiles writes name->content pairs into dir.
func WriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// SymbolsSHA256 is the identity a plan records for the module object at
// path (plan.Identity), computed here independently with debug/elf: the
// sha256 of the ELF header, the section header table, .symtab, its string
// table and its SHT_SYMTAB_SHNDX, in section order.
func SymbolsSHA256(tb testing.TB, path string) string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	h := sha256.New()
	var shoff uint64
	shent, hdr := uint64(40), 52
	if f.Class == elf.ELFCLASS64 {
		shoff, shent, hdr = f.ByteOrder.Uint64(data[0x28:]), 64, 64
	} else {
		shoff = uint64(f.ByteOrder.Uint32(data[0x20:]))
	}
	h.Write(data[:hdr])
	h.Write(data[shoff : shoff+shent*uint64(len(f.Sections))])
	symtab := -1
	for i, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB {
			symtab = i
		}
	}
	for i, s := range f.Sections {
		if symtab >= 0 && (i == symtab || uint32(i) == f.Sections[symtab].Link || (s.Type == elf.SHT_SYMTAB_SHNDX && int(s.Link) == symtab)) {
			h.Write(data[s.Offset : s.Offset+s.Size])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Clang is the clang of the tests that need a recent one (ThinLTO with lld,
// kCFI, RISC-V ULEB128 relocations): the bootstrap's clang-19 on Debian 12,
// else the system's clang (LLVM 21 in the Bazel 7 root). It fails the test
// if neither is installed.
func Clang(tb testing.TB) string {
	tb.Helper()
	for _, c := range []string{"clang-19", "clang"} {
		if _, err := exec.LookPath(c); err == nil {
			return c
		}
	}
	tb.Fatalf("clang-19 is not installed (tools/bootstrap.sh installs it)")
	return ""
}

// LLVMTool is the LLVM tool name (llvm-readelf, llvm-addr2line) of the
// same LLVM as Clang: in the directory the clang command resolves to.
func LLVMTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(Clang(tb))
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(filepath.Dir(p), name)
}
