package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// Regression tests for bugs found by trying the tool as a user would; each
// failed before its fix.

// scanRewrite scans vmlinux and modules into dir/plans, then rewrites the
// modules into outDir; it returns rewrite's status and stderr.
func scanRewrite(t *testing.T, dir, vmlinux, outDir string, extra []string, modules ...string) (int, string) {
	t.Helper()
	plans := filepath.Join(dir, "plans")
	args := []string{"scan", "--plan-dir", plans}
	if vmlinux != "" {
		args = append(args, "--vmlinux", vmlinux)
	}
	args = append(args, modules...)
	if _, stderr, code := runMain(args...); code != 0 {
		t.Fatalf("scan: status %d: %s", code, stderr)
	}
	args = append(append([]string{"rewrite", "--plan-dir", plans, "--out-dir", outDir}, extra...), modules...)
	_, stderr, code := runMain(args...)
	return code, stderr
}

// rewrite --out-dir D creates D, as scan creates --plan-dir.
func TestRewriteCreatesOutDir(t *testing.T) {
	f := buildScanFixture(t)
	out := filepath.Join(f.dir, "new", "out")
	if code, stderr := scanRewrite(t, f.dir, f.vmlinux, out, nil, f.module); code != 0 {
		t.Fatalf("rewrite into a new directory: status %d: %s", code, stderr)
	}
	nm := string(ccfixture.Run(t, f.dir, "nm", filepath.Join(out, "m-1.ko")))
	if !strings.Contains(nm, " t show@m_1.c\n") {
		t.Errorf("rewritten module lacks its alias:\n%s", nm)
	}
}

// A failed rewrite of many modules leaves no output at all: not the modules
// written before the failure, whether the output directory existed or not.
func TestRewriteFailureLeavesNothing(t *testing.T) {
	f := buildScanFixture(t)
	second := filepath.Join(f.dir, "z-2.ko")
	if err := os.WriteFile(second, []byte(readFile(t, f.module)), 0o644); err != nil {
		t.Fatal(err)
	}
	plans := filepath.Join(f.dir, "plans")
	if _, stderr, code := runMain("scan", "--vmlinux", f.vmlinux, "--plan-dir", plans, f.module, second); code != 0 {
		t.Fatal(stderr)
	}
	// z-2.ko changes after the scan (another build, one symbol more): its
	// plan no longer fits.
	ccfixture.WriteFiles(t, f.dir, map[string]string{"z-2.c": scanSources["m-1.c"] + "int more(int x) { return m(x); }\n"})
	ccfixture.Host.Compile(t, f.dir, "-O2", "-fno-pic", "-fno-asynchronous-unwind-tables", "-c", "-o", "z-2.ko", "z-2.c")
	for _, existing := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		if existing {
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		_, stderr, code := runMain("rewrite", "-j", "1", "--plan-dir", plans, "--out-dir", out, f.module, second)
		if code != 1 || !strings.Contains(stderr, second+": plan was made for another version") {
			t.Fatalf("status %d, stderr %q", code, stderr)
		}
		left, _ := filepath.Glob(filepath.Join(out, "*"))
		hidden, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".out*"))
		if len(left)+len(hidden) != 0 {
			t.Errorf("out-dir existing=%v: failed run left %v %v", existing, left, hidden)
		}
		if _, err := os.Stat(out); existing != (err == nil) {
			t.Errorf("out-dir existing=%v: after the failed run, Stat = %v", existing, err)
		}
	}
}

// The README's command: modules.order names .ko files, an installed tree
// holds them compressed (Debian 6.12: .ko.xz). Found as depmod finds them.
func TestScanModulesOrderCompressed(t *testing.T) {
	f := buildScanFixture(t)
	tree := filepath.Join(f.dir, "lib", "modules")
	if err := os.MkdirAll(filepath.Join(tree, "kernel", "fs"), 0o755); err != nil {
		t.Fatal(err)
	}
	xz := ccfixture.Run(t, f.dir, "xz", "--check=crc32", "-c", f.module)
	if err := os.WriteFile(filepath.Join(tree, "kernel", "fs", "m-1.ko.xz"), xz, 0o644); err != nil {
		t.Fatal(err)
	}
	order := filepath.Join(tree, "modules.order")
	if err := os.WriteFile(order, []byte("kernel/fs/m-1.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plans := filepath.Join(f.dir, "plans")
	if _, stderr, code := runMain("scan", "--vmlinux", f.vmlinux, "--modules-order", order, "--plan-dir", plans); code != 0 {
		t.Fatalf("scan --modules-order: status %d: %s", code, stderr)
	}
	if !strings.Contains(readFile(t, filepath.Join(plans, "m-1.ko.plan.json")), `"name": "show@m_1.c"`) {
		t.Errorf("plan lacks the module's alias")
	}
	// A module listed but absent in every form is named as listed.
	if err := os.WriteFile(order, []byte("kernel/fs/m-1.ko\nkernel/gone.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runMain("scan", "--vmlinux", f.vmlinux, "--modules-order", order, "--plan-dir", filepath.Join(f.dir, "p2"))
	if want := filepath.Join(tree, "kernel", "gone.ko") + ": no such file"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("missing module: status %d, stderr %q, want %q", code, stderr, want)
	}
}

// vmlinux is a linked image: a module given as --vmlinux (or as filter's
// --elf) is refused, not scanned as if its section offsets were addresses.
func TestVmlinuxMustBeLinked(t *testing.T) {
	f := buildScanFixture(t)
	_, stderr, code := runMain("scan", "--vmlinux", f.module, "--map-tsv", filepath.Join(f.dir, "map.tsv"))
	if want := f.module + ": a relocatable object (ET_REL), not a linked vmlinux"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("scan --vmlinux MODULE: status %d, stderr %q, want %q", code, stderr, want)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "map.tsv")); err == nil {
		t.Error("map written")
	}
}

// ppc64 ELFv2: st_other holds the local entry point offset. An alias that
// dropped it would send a probe placed from it to the global entry.
func TestAliasKeepsStOther(t *testing.T) {
	ppc := ccfixture.Target{Name: "ppc64le", CC: "powerpc64le-linux-gnu-gcc"}
	dir := t.TempDir()
	src := "int g;\nstatic __attribute__((noinline)) int show(int x) { return x + g; }\n"
	ccfixture.WriteFiles(t, dir, map[string]string{
		"a.c": src + "int a(int x) { return show(x); }\n",
		"b.c": src + "int b(int x) { return show(x); }\n",
	})
	ppc.Compile(t, dir, "-O2", "-c", "a.c", "-o", "a.ko")
	ppc.Compile(t, dir, "-O2", "-c", "b.c", "-o", "b.ko")
	out := filepath.Join(dir, "out")
	if code, stderr := scanRewrite(t, dir, "", out, nil, filepath.Join(dir, "a.ko"), filepath.Join(dir, "b.ko")); code != 0 {
		t.Fatalf("rewrite: status %d: %s", code, stderr)
	}
	// readelf -sW: "Num: Value Size Type Bind Vis [<localentry>: 8] Ndx Name"
	row := regexp.MustCompile(`(?m)^ *\d+: ([0-9a-f]+ +\d+ FUNC +LOCAL +DEFAULT +\[<localentry>: \d+\] +\d+) (show(@a\.c)?)$`)
	syms := row.FindAllStringSubmatch(string(ccfixture.Run(t, dir, ppc.Tool("readelf"), "-sW", filepath.Join(out, "a.ko"))), -1)
	if len(syms) != 2 || syms[0][1] != syms[1][1] {
		t.Errorf("show and its alias show@a.c should share value, size, type and local entry; readelf rows: %q", syms)
	}
}

// Duplicate counting follows the mksysmap of the kernel scanned, read from
// its linux_banner: Linux 6.1 keeps __efistub_ names (6.4 drops them), so
// a duplicated __efistub_ function is aliased on 6.1 only.
func TestMksysmapOfTheKernel(t *testing.T) {
	for _, c := range []struct {
		version string
		aliased bool
	}{{"6.1.0-57-amd64", true}, {"6.12.48+deb12-amd64", false}} {
		dir := t.TempDir()
		ccfixture.WriteFiles(t, dir, map[string]string{
			"a.c": "const char linux_banner[] = \"Linux version " + c.version + " (debian-kernel@lists.debian.org) #1 SMP\\n\";\n" +
				"static __attribute__((noinline)) int __efistub_show(int x) { return x + 1; }\nint a(int x) { return __efistub_show(x); }\n",
			"b.c": "static __attribute__((noinline)) int __efistub_show(int x) { return x * 2; }\nint b(int x) { return __efistub_show(x); }\nint _start(void) { return 0; }\n",
		})
		ccfixture.Host.Compile(t, dir, "-O2", "-fno-pic", "-no-pie", "-nostdlib", "-Wl,--build-id=none", "-o", "vmlinux", "a.c", "b.c")
		syms := filepath.Join(dir, "vmlinux.syms")
		if _, stderr, code := runMain("scan", "--vmlinux", filepath.Join(dir, "vmlinux"), "--syms", syms); code != 0 {
			t.Fatalf("%s: %s", c.version, stderr)
		}
		if got := strings.Contains(readFile(t, syms), " t __efistub_show@a.c\n"); got != c.aliased {
			t.Errorf("Linux %s: __efistub_show aliased = %v, want %v", c.version, got, c.aliased)
		}
	}
}
