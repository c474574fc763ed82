package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// A "kernel" of two files with one static name, and a module with it too.
var scanSources = map[string]string{
	"a.c":   "static __attribute__((noinline)) int show(int x) { return x + 1; }\nint a(int x) { return show(x); }\n",
	"b.c":   "static __attribute__((noinline)) int show(int x) { return x * 2; }\nint a(int);\nint b(int x) { return show(x); }\nint _start(void) { return a(1) + b(2); }\n",
	"m-1.c": "static __attribute__((noinline)) int show(int x) { return x - 3; }\nint m(int x) { return show(x); }\n",
}

type scanFixture struct{ dir, vmlinux, module string }

func buildScanFixture(t *testing.T) scanFixture {
	t.Helper()
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, scanSources)
	flags := []string{"-O2", "-fno-pic", "-fno-asynchronous-unwind-tables"}
	ccfixture.Host.Compile(t, dir, append(flags, "-no-pie", "-nostdlib", "-Wl,--build-id=none", "-o", "vmlinux", "a.c", "b.c")...)
	ccfixture.Host.Compile(t, dir, append(flags, "-c", "-o", "m-1.ko", "m-1.c")...)
	return scanFixture{dir, filepath.Join(dir, "vmlinux"), filepath.Join(dir, "m-1.ko")}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScanWritesEveryOutput(t *testing.T) {
	f := buildScanFixture(t)
	out := filepath.Join(f.dir, "out")
	args := []string{"scan", "--vmlinux", f.vmlinux, "--syms", out + ".syms", "--map-tsv", out + ".tsv",
		"--map-json", out + ".json", "--plan-dir", out + ".plans", f.module}
	if _, stderr, code := runMain(args...); code != 0 {
		t.Fatalf("scan: status %d: %s", code, stderr)
	}
	// Default scheme: tu from STT_FILE (no DWARF). Each alias right after its original.
	syms := readFile(t, out+".syms")
	for _, pair := range [][2]string{{"show", "show@a.c"}, {"show", "show@b.c"}} {
		i := strings.Index(syms, " t "+pair[1]+"\n")
		if i < 0 {
			t.Fatalf("no alias %s in:\n%s", pair[1], syms)
		}
		lines := strings.Split(syms[:i+len(pair[1])+3], "\n")
		orig, alias := lines[len(lines)-2], lines[len(lines)-1]
		if orig[:17] != alias[:17] || orig[17:] != "t "+pair[0] {
			t.Errorf("%q does not follow its original at the same address: %q", alias, orig)
		}
	}
	tsv := readFile(t, out+".tsv")
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(tsv), "\n") {
		c := strings.Split(l, "\t")
		rows = append(rows, c[0]+" "+c[1]+" "+c[2]+" "+c[3]+" "+c[5]+" "+c[6])
	}
	want := []string{
		"alias name object section type tu",
		"show@a.c show vmlinux .text t a.c",
		"show@b.c show vmlinux .text t b.c",
		"show@m_1.c show m-1.ko .text t m-1.c",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("map rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(readFile(t, out+".json"), `"format": "kas_alias-map/2"`) {
		t.Errorf("JSON map without its format")
	}
	plan := readFile(t, filepath.Join(out+".plans", "m-1.ko.plan.json"))
	for _, s := range []string{`"format": "kas_alias-plan/2"`, `"module": "m-1.ko"`, `"symbols_sha256": "` + ccfixture.SymbolsSHA256(t, f.module) + `"`,
		`"name": "show@m_1.c"`, `"bind": "local"`, `"type": "func"`} {
		if !strings.Contains(plan, s) {
			t.Errorf("plan lacks %s:\n%s", s, plan)
		}
	}
	// Same inputs, same bytes.
	first := syms + tsv + plan
	if _, stderr, code := runMain(args...); code != 0 {
		t.Fatal(stderr)
	}
	if again := readFile(t, out+".syms") + readFile(t, out+".tsv") + readFile(t, filepath.Join(out+".plans", "m-1.ko.plan.json")); again != first {
		t.Error("a second scan wrote different bytes")
	}
}

// Bad input: one line naming the file and the problem, status 1, and no
// output file at all.
func TestScanErrors(t *testing.T) {
	f := buildScanFixture(t)
	notELF := filepath.Join(f.dir, "notelf.ko")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o644)
	dupDir := filepath.Join(f.dir, "other")
	os.MkdirAll(dupDir, 0o755)
	os.WriteFile(filepath.Join(dupDir, "m-1.ko"), []byte(readFile(t, f.module)), 0o644)
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--vmlinux", f.dir + "/missing"}, f.dir + "/missing: ", 1},
		{[]string{"--vmlinux", f.vmlinux, notELF}, notELF + ": ", 1},
		{[]string{"--vmlinux", f.vmlinux, f.vmlinux}, f.vmlinux + ": not a relocatable object", 1},
		{[]string{"--vmlinux", f.vmlinux, f.module, filepath.Join(dupDir, "m-1.ko")}, "module name m-1.ko already given by " + f.module, 1},
		{[]string{"--scheme", "lines", "--vmlinux", f.vmlinux}, `unknown naming scheme "lines"`, 1},
		{[]string{"--vmlinux", f.vmlinux, "--dwarf", f.module}, f.module + ": a relocatable object (ET_REL), not a linked vmlinux with DWARF (--dwarf takes a -dbg vmlinux)", 1},
		{[]string{}, "nothing to scan", 1},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus", 2},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"scan", "--syms", out + ".syms", "--map-tsv", out + ".tsv", "--plan-dir", out + ".plans"}, c.args...)
		if c.code == 1 && c.want == "nothing to scan" {
			args = []string{"scan"}
		}
		_, stderr, code := runMain(args...)
		if code != c.code || !strings.Contains(stderr, c.want) || (code == 1 && strings.Count(stderr, "\n") != 1) {
			t.Errorf("scan %v: status %d, stderr %q; want status %d and one line with %q", c.args, code, stderr, c.code, c.want)
		}
		if m, _ := filepath.Glob(out + "*"); len(m) != 0 {
			t.Errorf("scan %v left output behind: %v", c.args, m)
		}
	}
}

// Filter mode is what scripts/link-vmlinux.sh runs on every kallsyms pass:
// the same listing as scan's, and the same alias lines when addresses move.
func TestFilter(t *testing.T) {
	f := buildScanFixture(t)
	syms := filepath.Join(f.dir, "scan.syms")
	if _, stderr, code := runMain("scan", "--scheme", "counter", "--vmlinux", f.vmlinux, "--syms", syms); code != 0 {
		t.Fatal(stderr)
	}
	listing := ccfixture.Run(t, f.dir, "nm", "-n", f.vmlinux)
	filter := func(in []byte, args ...string) string {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"filter"}, args...), bytes.NewReader(in), &out, &errb); code != 0 {
			t.Fatalf("filter %v: status %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	got := filter(listing)
	if want := readFile(t, syms); got != want {
		t.Errorf("filter of nm -n differs from scan --syms:\n%s\nwant:\n%s", got, want)
	}
	if got := filter(listing, "--elf", f.vmlinux); !strings.Contains(got, " t show@a.c\n") || !strings.Contains(got, " t show@b.c\n") {
		t.Errorf("filter --elf does not name units:\n%s", got)
	}
	// A later kallsyms pass: every address moved by 0x100000 (with --elf
	// each pass reads its own image, which moved too). The same alias lines,
	// at the moved addresses.
	move := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("00000000004"), []byte("00000000005")) }
	a, b := filter(listing), filter(move(listing))
	if strings.Count(a, "\n") <= strings.Count(string(listing), "\n") {
		t.Fatalf("filter added no alias line:\n%s", a)
	}
	if string(move([]byte(a))) != b {
		t.Errorf("moved addresses changed the alias lines:\n%s\nmoved:\n%s", a, b)
	}
	var out, errb bytes.Buffer
	code := Main([]string{"filter"}, strings.NewReader("0000000000401000 T ok\nnot a listing line\n"), &out, &errb)
	if code != 1 || !strings.HasPrefix(errb.String(), "kas_alias filter: standard input:2: ") || out.Len() != 0 {
		t.Errorf("bad listing: status %d, stderr %q, stdout %q", code, errb.String(), out.String())
	}
}

// A directory argument stands for the module files under it, in path order.
func TestScanModuleDirectory(t *testing.T) {
	f := buildScanFixture(t)
	tree := filepath.Join(f.dir, "tree")
	for _, p := range []string{"b/m-1.ko", "a/z.ko.xz", "a/readme.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755)
	}
	os.WriteFile(filepath.Join(tree, "b/m-1.ko"), []byte(readFile(t, f.module)), 0o644)
	os.WriteFile(filepath.Join(tree, "a/readme.txt"), []byte("not a module"), 0o644)
	xz := ccfixture.Run(t, f.dir, "xz", "-c", f.module)
	os.WriteFile(filepath.Join(tree, "a/z.ko.xz"), xz, 0o644)
	plans := filepath.Join(f.dir, "plans")
	if _, stderr, code := runMain("scan", "--vmlinux", f.vmlinux, "--plan-dir", plans, tree); code != 0 {
		t.Fatal(stderr)
	}
	for _, name := range []string{"z.ko.plan.json", "m-1.ko.plan.json"} {
		if !strings.Contains(readFile(t, filepath.Join(plans, name)), `"symbols": [`) {
			t.Errorf("no plan %s", name)
		}
	}
}

// On ARM, nm prints a Thumb function's address without its low bit, which
// st_value has: filter --elf must still find the symbol of each line.
func TestFilterThumb(t *testing.T) {
	var arm ccfixture.Target
	for _, tg := range ccfixture.Targets {
		if tg.Name == "arm" {
			arm = tg
		}
	}
	dir := t.TempDir()
	ccfixture.WriteFiles(t, dir, scanSources)
	arm.Compile(t, dir, "-O2", "-mthumb", "-fno-pic", "-nostdlib", "-Wl,--build-id=none", "-o", "vmlinux", "a.c", "b.c")
	listing := ccfixture.Run(t, dir, arm.Tool("nm"), "-n", "vmlinux")
	var out, errb bytes.Buffer
	if code := Main([]string{"filter", "--elf", filepath.Join(dir, "vmlinux")}, bytes.NewReader(listing), &out, &errb); code != 0 {
		t.Fatalf("filter: status %d: %s", code, errb.String())
	}
	for _, alias := range []string{" t show@a.c\n", " t show@b.c\n"} {
		if !strings.Contains(out.String(), alias) {
			t.Errorf("no%q in:\n%s", alias, out.String())
		}
	}
}

// scan --rewrite-dir writes what scan --plan-dir and then rewrite write:
// the same bytes, for a module with aliases, a compressed one and one with
// nothing to add (kept as it is, signature and all).
func TestScanRewriteDir(t *testing.T) {
	f := buildScanFixture(t)
	xz := filepath.Join(f.dir, "x-2.ko.xz")
	if err := os.WriteFile(xz, ccfixture.Run(t, f.dir, "xz", "-c", f.module), 0o644); err != nil {
		t.Fatal(err)
	}
	ccfixture.WriteFiles(t, f.dir, map[string]string{"u.c": "int unique_name(int x) { return x; }\n"})
	ccfixture.Host.Compile(t, f.dir, "-O2", "-c", "-o", "u.ko", "u.c")
	unsigned := filepath.Join(f.dir, "u.ko")
	signed := append([]byte(readFile(t, unsigned)), append(append([]byte("sig!!"), 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5), []byte(signatureMagic)...)...)
	if err := os.WriteFile(unsigned, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	mods := []string{f.module, xz, unsigned}
	one, two := filepath.Join(f.dir, "one"), filepath.Join(f.dir, "two")
	if _, stderr, code := runMain(append([]string{"scan", "--vmlinux", f.vmlinux, "--rewrite-dir", one}, mods...)...); code != 0 {
		t.Fatalf("scan --rewrite-dir: %s", stderr)
	}
	plans := filepath.Join(f.dir, "plans")
	if _, stderr, code := runMain(append([]string{"scan", "--vmlinux", f.vmlinux, "--plan-dir", plans}, mods...)...); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := runMain(append([]string{"rewrite", "--plan-dir", plans, "--out-dir", two}, mods...)...); code != 0 {
		t.Fatal(stderr)
	}
	for _, name := range []string{"m-1.ko", "x-2.ko", "u.ko"} {
		a, b := readFile(t, filepath.Join(one, name)), readFile(t, filepath.Join(two, name))
		if a != b || len(a) == 0 {
			t.Errorf("%s: scan --rewrite-dir wrote %d bytes, scan then rewrite %d", name, len(a), len(b))
		}
	}
	if got := readFile(t, filepath.Join(one, "u.ko")); got != string(signed) {
		t.Error("u.ko has nothing to add: it should be the input, signature and all")
	}
	if !strings.Contains(string(ccfixture.Run(t, f.dir, "nm", filepath.Join(one, "x-2.ko"))), " t show@m_1.c__") {
		t.Error("x-2.ko lacks its alias")
	}
}
