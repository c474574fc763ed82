package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// resolveSources: a "kernel" of two files with a static show and an init
// function of one name in each, and a module of two units whose .text.odd
// starts with an odd that no uniquely named symbol precedes.
var resolveSources = map[string]string{
	"a.c": "static __attribute__((noinline, used)) int show(int x) { return x + 1; }\n" +
		"static __attribute__((noinline, used, section(\".init.text\"))) int setup(int x) { return x + 2; }\n",
	"b.c": "static __attribute__((noinline, used)) int show(int x) { return x * 2; }\n" +
		"static __attribute__((noinline, used, section(\".init.text\"))) int setup(int x) { return x * 3; }\n",
	"kernel.lds": "ENTRY(_text)\nSECTIONS {\n . = 0x1000000;\n .text : { _text = .; _stext = .; *(.text .text.*) _etext = .; }\n" +
		" .init.text : { _sinittext = .; *(.init.text) _einittext = .; }\n .data : { *(.data .bss) }\n}\n",
	"x.c": "static __attribute__((noinline, used)) int show(int x) { return x - 3; }\n" +
		"static __attribute__((noinline, used, section(\".text.odd\"))) int odd(int x) { return x - 4; }\n" +
		"__attribute__((noinline, section(\".text.odd\"))) int odd_helper(int x) { return odd(x) - 5; }\n",
	"y.c": "static __attribute__((noinline, used, section(\".text.odd\"))) int odd(int x) { return x - 6; }\n",
	"c.c": "__attribute__((noinline)) int added(int x) { return x + 7; }\n",
}

// buildResolveFixture builds the kernel of the units given (c.c first
// makes another build) and the module m.ko.
func buildResolveFixture(t *testing.T, dir string, units ...string) (vmlinux, module string) {
	ccfixture.WriteFiles(t, dir, resolveSources)
	flags := []string{"-O2", "-fno-pic", "-fno-asynchronous-unwind-tables"}
	link := append(append([]string{}, flags...), "-no-pie", "-nostdlib", "-Wl,-T,kernel.lds", "-Wl,--build-id=none", "-o", "vmlinux")
	ccfixture.Host.Compile(t, dir, append(link, units...)...)
	for _, u := range []string{"x", "y"} {
		ccfixture.Host.Compile(t, dir, append(flags, "-c", "-o", u+".o", u+".c")...)
	}
	ccfixture.Run(t, dir, "ld", "-r", "-o", "m.ko", "x.o", "y.o")
	return filepath.Join(dir, "vmlinux"), filepath.Join(dir, "m.ko")
}

// kallsymsOf writes what /proc/kallsyms would show of vmlinux loaded slide
// bytes higher, and of the module with its sections at bases, from nm and
// objdump; it returns the file and each code symbol's live address by
// OBJECT:NAME:VALUE.
func kallsymsOf(t *testing.T, dir, vmlinux, module string, slide uint64, bases map[string]uint64) (string, map[string]uint64) {
	var b strings.Builder
	live := map[string]uint64{}
	for _, l := range strings.Split(string(ccfixture.Run(t, dir, "nm", "-n", vmlinux)), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		v, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%016x %s %s\n", v+slide, f[1], f[2])
		live[fmt.Sprintf("vmlinux:%s:%016x", f[2], v)] = v + slide
	}
	// objdump -t: "VALUE FLAGS SECTION<tab>SIZE NAME".
	for _, l := range strings.Split(string(ccfixture.Run(t, dir, "objdump", "-t", module)), "\n") {
		parts := strings.Split(l, "\t")
		if len(parts) != 2 {
			continue
		}
		head, tail := strings.Fields(parts[0]), strings.Fields(parts[1])
		base, ok := bases[head[len(head)-1]]
		if !ok || len(tail) != 2 || !strings.Contains(parts[0], "F") {
			continue
		}
		v, err := strconv.ParseUint(head[0], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%016x t %s\t[m]\n", base+v, tail[1])
		live[fmt.Sprintf("m.ko:%s:%016x", tail[1], v)] = base + v
	}
	path := filepath.Join(dir, fmt.Sprintf("kallsyms.%x", slide))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, live
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	vmlinux, module := buildResolveFixture(t, dir, "a.c", "b.c")
	mapPath, jsonPath := filepath.Join(dir, "map.tsv"), filepath.Join(dir, "map.json")
	if _, stderr, code := runMain("scan", "--vmlinux", vmlinux, "--map-tsv", mapPath, "--map-json", jsonPath, module); code != 0 {
		t.Fatalf("scan: %s", stderr)
	}
	ks, live := kallsymsOf(t, dir, vmlinux, module, 0x2a00000, map[string]uint64{".text": 0xffffffffc0010000, ".text.odd": 0xffffffffc0020000})

	// Every code alias of the map: its live address is where the kernel
	// has its symbol; the kprobe_events line uses the map's location, or
	// the address where the map has none (odd@x.c).
	rows := strings.Split(strings.TrimSpace(readFile(t, mapPath)), "\n")[1:]
	var aliases, want []string
	refused := 0
	for _, r := range rows {
		c := strings.Split(r, "\t")
		addr, ok := live[c[2]+":"+c[1]+":"+c[4]]
		if !ok {
			t.Fatalf("no live address for %s", r)
		}
		aliases = append(aliases, c[0])
		if c[9] != "yes" {
			refused++
			continue
		}
		spec := c[8]
		if spec == "" {
			spec = fmt.Sprintf("0x%x", addr)
		}
		want = append(want, fmt.Sprintf("%s\t%x\tp:kprobes/%s %s\tkprobe:0x%x\t0x%x", c[0], addr, strings.NewReplacer("@", "_", ".", "_").Replace(c[0]), spec, addr, addr))
	}
	if len(want) != 5 || refused != 2 {
		t.Fatalf("fixture: %d aliases to resolve and %d refused, want 5 and 2 (show x3, odd x2, setup x2):\n%s", len(want), refused, strings.Join(rows, "\n"))
	}
	stdout, stderr, code := runMain(append([]string{"resolve", "--map", mapPath, "--kallsyms", ks}, aliases...)...)
	if code != 1 {
		t.Errorf("status %d, want 1 for the init aliases", code)
	}
	if got := strings.TrimSpace(stdout); got != strings.Join(want, "\n") {
		t.Errorf("resolve printed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// The JSON map says the same.
	if jsonOut, _, _ := runMain(append([]string{"resolve", "--map", jsonPath, "--kallsyms", ks}, aliases...)...); jsonOut != stdout {
		t.Errorf("with the JSON map:\n%s\nwith the TSV map:\n%s", jsonOut, stdout)
	}
	for _, a := range []string{"setup@a.c", "setup@b.c"} {
		if !strings.Contains(stderr, "kas_alias resolve: "+a+": the kernel refuses a kprobe there (traceable init): it is init code, freed after boot\n") {
			t.Errorf("no refusal of %s in:\n%s", a, stderr)
		}
	}

	// The same map against another build's kallsyms: a function added.
	other := t.TempDir()
	ov, om := buildResolveFixture(t, other, "c.c", "a.c", "b.c")
	oks, _ := kallsymsOf(t, other, ov, om, 0, map[string]uint64{".text": 0xffffffffc0010000, ".text.odd": 0xffffffffc0020000})
	errCases := []struct {
		name string
		args []string
		want string
	}{
		{"another build", []string{"--kallsyms", oks, "show@a.c"},
			oks + " is not of the build " + mapPath + " was made from: 2 of the 4 code symbols checked disagree; first: show is not at 1000000 (_text+0x0), where the map puts it; kallsyms has it at 1000010\n"},
		{"absent", []string{"--kallsyms", ks, "show@c.c"}, "show@c.c is not in the alias map " + mapPath + "\n"},
		{"not loaded", []string{"--kallsyms", writeTemp(t, dir, "ffffffff81000000 T _text\n"), "show@x.c"},
			"module m is not loaded (no [m] symbols)\n"},
		{"kptr_restrict", []string{"--kallsyms", writeTemp(t, dir, "0000000000000000 T _text\n0000000000000000 t show\n"), "show@a.c"},
			"every address is 0: read it as root (kernel.kptr_restrict hides them)\n"},
		{"bad line", []string{"--kallsyms", writeTemp(t, dir, "ffffffff81000000 T\n"), "show@a.c"}, "line 1: not a kallsyms line"},
		{"no map", []string{"show@a.c"}, "--map and at least one ALIAS are needed"},
		{"map/1", []string{"--map", writeTemp(t, dir, "alias\tname\tobject\tsection\tvalue\ttype\ttu\tsrcline\tkprobe\n"), "--kallsyms", ks, "show@a.c"},
			`line 1: no "traceable" column: not a kas_alias-map/2 alias map (scan again with this kas_alias)`},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"resolve"}, c.args...)
			if c.name != "no map" && c.name != "map/1" {
				args = append([]string{"resolve", "--map", mapPath}, c.args...)
			}
			stdout, stderr, code := runMain(args...)
			if code == 0 || stdout != "" || !strings.Contains(stderr, c.want) {
				t.Errorf("status %d, stdout %q, stderr %q; want an error with %q", code, stdout, stderr, c.want)
			}
		})
	}
}

func writeTemp(t *testing.T, dir, content string) string {
	f, err := os.CreateTemp(dir, "kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
