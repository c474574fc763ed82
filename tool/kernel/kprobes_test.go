package kernel

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

// kprobeSource has a function of every kind kprobes treat differently, all
// static, so that each object built from it has its own copy of each name
// (duplicates, which get aliases). notrace is the kernel's own definition
// (include/linux/compiler_types.h), NOKPROBE_SYMBOL too (asm-generic/kprobes.h).
const kprobeSource = `
#ifdef PATCHABLE
#define notrace __attribute__((patchable_function_entry(0, 0)))
#else
#define notrace __attribute__((no_instrument_function))
#endif
#define fn static __attribute__((noinline, used))
#define NOKPROBE_SYMBOL(f) static unsigned long __attribute__((used, section("_kprobe_blacklist"))) _kbl_addr_##f = (unsigned long)f
extern volatile int sink;
fn int s_traced(int x) { return sink + x * 3; }
fn notrace int s_notrace(int x) { return sink + x * 5; }
fn __attribute__((section(".init.text"))) int s_init(int x) { return sink + x * 7; }
fn int s_nokprobe(int x) { return sink + x * 9; }
NOKPROBE_SYMBOL(s_nokprobe);
fn __attribute__((section(".kprobes.text"))) int s_kprobes(int x) { return sink + x * 11; }
fn __attribute__((section(".noinstr.text"))) int s_noinstr(int x) { return sink + x * 13; }
fn __attribute__((section(".entry.text"))) int s_entry(int x) { return sink + x * 15; }
/* Pieces of functions, as gcc names them: "s_traced.part.0" has no ftrace
   location, but s_traced has; no s_orphan exists; s_nokprobe is blacklisted. */
fn notrace int part_of_traced(int x) __asm__("s_traced.part.0");
fn notrace int part_of_traced(int x) { return sink + x * 17; }
fn notrace int part_of_none(int x) __asm__("s_orphan.part.0");
fn notrace int part_of_none(int x) { return sink + x * 19; }
fn int part_of_nokprobe(int x) __asm__("s_nokprobe.part.0");
fn int part_of_nokprobe(int x) { return sink + x * 21; }
#ifdef MODULE
/* Parents only modules have: which module's the kernel finds depends on
   the modules loaded; every s_modtraced has an ftrace location, s_mixed
   has one in m.c but not in n.c (built with MIXED). */
fn int s_modtraced(int x) { return sink + x * 23; }
fn notrace int part_of_modtraced(int x) __asm__("s_modtraced.part.0");
fn notrace int part_of_modtraced(int x) { return sink + x * 25; }
#ifdef MIXED
fn notrace int s_mixed(int x) { return sink + x * 27; }
#else
fn int s_mixed(int x) { return sink + x * 27; }
#endif
fn notrace int part_of_mixed(int x) __asm__("s_mixed.part.0");
fn notrace int part_of_mixed(int x) { return sink + x * 29; }
#endif
`

// kprobeHead is the rest of the "kernel": __fentry__ (what -mfentry calls)
// and the variable every function reads.
const kprobeHead = `
volatile int sink;
__attribute__((no_instrument_function)) void __fentry__(void) {}
`

// kprobeScript links like include/asm-generic/vmlinux.lds.h: the text
// ranges the kprobe blacklist names, init text, and the ftrace locations
// and blacklist entries in init data (without ftrace: no
// __start_mcount_loc, as without CONFIG_FTRACE_MCOUNT_RECORD).
func kprobeScript(ftrace bool) string {
	mcount := ""
	if ftrace {
		mcount = ". = ALIGN(8); __start_mcount_loc = .; KEEP(*(__mcount_loc)) KEEP(*(__patchable_function_entries)) __stop_mcount_loc = .;"
	}
	return `ENTRY(_text)
SECTIONS {
  . = 0x1000000;
  .text : {
    _text = .; _stext = .;
    *(.text .text.*)
    __kprobes_text_start = .; *(.kprobes.text) __kprobes_text_end = .;
    __noinstr_text_start = .; *(.noinstr.text) __noinstr_text_end = .;
    __entry_text_start = .; *(.entry.text) __entry_text_end = .;
    _etext = .;
  }
  . = ALIGN(4096);
  __init_begin = .;
  .init.text : { _sinittext = .; *(.init.text) _einittext = .; }
  .init.data : {
    ` + mcount + `
    . = ALIGN(8); __start_kprobe_blacklist = .; KEEP(*(_kprobe_blacklist)) __stop_kprobe_blacklist = .;
  }
  __init_end = .;
  .data : { *(.data .data.* .bss .bss.*) }
}
`
}

// kind is what a build lets the map know.
type kind int

const (
	ftraceOn    kind = iota // ftrace locations in vmlinux and modules
	ftraceOff               // no dynamic ftrace
	unread                  // vmlinux's ftrace locations and entries cannot be read
	archUnknown             // an architecture whose rules are not followed
	modsOn                  // modules only, with ftrace locations
	modsOff                 // modules only, without
	kinds
)

// wantTraceable is the oracle: what the kernel does with each function of
// kprobeSource, in vmlinux and in a module, for each kind of build, by the
// rules of trace_kprobe.c and kprobes.c (6.1-6.12); "-" where no alias is
// made (a module's init text; names only the modules have).
var wantTraceable = []struct {
	name    string
	vm, mod [kinds]alias.Traceable
	unit    string // only the copy of this module unit ("": all)
}{
	{"s_traced",
		[kinds]alias.Traceable{"yes", "yes", "unknown", "unknown"},
		[kinds]alias.Traceable{"yes", "yes", "yes", "unknown", "yes", "unknown"}, ""},
	{"s_notrace",
		[kinds]alias.Traceable{"notrace", "yes", "unknown", "unknown"},
		[kinds]alias.Traceable{"notrace", "yes", "notrace", "unknown", "notrace", "unknown"}, ""},
	{"s_init",
		[kinds]alias.Traceable{"init", "init", "init", "unknown"},
		[kinds]alias.Traceable{"-", "-", "-", "-", "-", "-"}, ""},
	{"s_nokprobe",
		[kinds]alias.Traceable{"blacklist", "blacklist", "unknown", "unknown"},
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown", "blacklist", "blacklist"}, ""},
	{"s_kprobes",
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown"},
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown", "blacklist", "blacklist"}, ""},
	{"s_noinstr",
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown"},
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown", "blacklist", "blacklist"}, ""},
	// Entry text is blacklisted in vmlinux only.
	{"s_entry",
		[kinds]alias.Traceable{"blacklist", "blacklist", "blacklist", "unknown"},
		[kinds]alias.Traceable{"yes", "yes", "yes", "unknown", "yes", "unknown"}, ""},
	{"s_traced.part.0",
		[kinds]alias.Traceable{"yes", "yes", "unknown", "unknown"},
		[kinds]alias.Traceable{"yes", "yes", "unknown", "unknown", "unknown", "unknown"}, ""},
	{"s_orphan.part.0",
		[kinds]alias.Traceable{"notrace", "yes", "unknown", "unknown"},
		[kinds]alias.Traceable{"notrace", "yes", "notrace", "unknown", "unknown", "unknown"}, ""},
	{"s_nokprobe.part.0",
		[kinds]alias.Traceable{"blacklist", "blacklist", "unknown", "unknown"},
		[kinds]alias.Traceable{"blacklist", "blacklist", "unknown", "unknown", "unknown", "unknown"}, ""},
	{"s_modtraced",
		[kinds]alias.Traceable{"-", "-", "-", "-"},
		[kinds]alias.Traceable{"yes", "yes", "yes", "unknown", "yes", "unknown"}, ""},
	{"s_mixed",
		[kinds]alias.Traceable{"-", "-", "-", "-"},
		[kinds]alias.Traceable{"yes", "yes", "yes", "unknown", "yes", "unknown"}, "m.c"},
	{"s_mixed",
		[kinds]alias.Traceable{"-", "-", "-", "-"},
		[kinds]alias.Traceable{"notrace", "yes", "notrace", "unknown", "notrace", "unknown"}, "n.c"},
	{"s_modtraced.part.0",
		[kinds]alias.Traceable{"-", "-", "-", "-"},
		[kinds]alias.Traceable{"yes", "yes", "yes", "unknown", "unknown", "unknown"}, ""},
	{"s_mixed.part.0",
		[kinds]alias.Traceable{"-", "-", "-", "-"},
		[kinds]alias.Traceable{"unknown", "yes", "unknown", "unknown", "unknown", "unknown"}, ""},
}

// kprobeBuild is one way of building the fixture.
type kprobeBuild struct {
	name    string
	target  string
	kind    kind
	cflags  string // for kprobeSource
	ldflags string // for vmlinux
	strip   string // a section objcopy removes from vmlinux
}

var kprobeBuilds = []kprobeBuild{
	// x86: -pg -mfentry -mrecord-mcount as the kernel builds, with ENDBR64
	// before the __fentry__ call (an ftrace location 4 bytes in).
	{"x86_64_fentry", "x86_64", ftraceOn, "-pg -mfentry -mrecord-mcount -fcf-protection=branch", "-no-pie", ""},
	{"x86_64_none", "x86_64", ftraceOff, "", "-no-pie", ""},
	// arm64: two NOPs at the entry, or two before it (CALL_OPS).
	{"aarch64_patchable", "aarch64", ftraceOn, "-DPATCHABLE -fpatchable-function-entry=2", "-no-pie", ""},
	{"aarch64_call_ops", "aarch64", ftraceOn, "-DPATCHABLE -fpatchable-function-entry=4,2", "-no-pie", ""},
	// A relocatable arm64 image: the addresses are in .rela.dyn only.
	{"aarch64_relocatable", "aarch64", ftraceOn, "-DPATCHABLE -fpatchable-function-entry=2",
		"-shared -Wl,-Bsymbolic -Wl,--no-apply-dynamic-relocs -Wl,-z,notext", ""},
	{"aarch64_relocatable_stripped", "aarch64", unread, "-DPATCHABLE -fpatchable-function-entry=2",
		"-shared -Wl,-Bsymbolic -Wl,--no-apply-dynamic-relocs -Wl,-z,notext", ".rela.dyn"},
	{"aarch64_none", "aarch64", ftraceOff, "", "-no-pie", ""},
	{"arm", "arm", archUnknown, "", "-no-pie", ""},
	{"x86_64_modules_fentry", "x86_64", modsOn, "-pg -mfentry -mrecord-mcount", "", ""},
	{"x86_64_modules_none", "x86_64", modsOff, "", "", ""},
}

const kprobeCFlags = "-O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables"

// build compiles the fixture into dir: vmlinux (unless modules only) from
// a.c and b.c, modules m.ko and n.ko.
func (b kprobeBuild) build(t *testing.T, dir string) (vmlinux string, modules []string) {
	tg := target(t, b.target)
	files := map[string]string{"head.c": kprobeHead, "kernel.lds": kprobeScript(b.kind == ftraceOn || b.kind == unread)}
	for _, n := range []string{"a.c", "b.c", "m.c", "n.c"} {
		files[n] = kprobeSource
	}
	ccfixture.WriteFiles(t, dir, files)
	cflags := append(strings.Fields(kprobeCFlags), strings.Fields(b.cflags)...)
	for n, defs := range map[string][]string{"a": nil, "b": nil, "m": {"-DMODULE"}, "n": {"-DMODULE", "-DMIXED"}} {
		tg.Compile(t, dir, append(append(cflags, defs...), "-c", "-o", n+".o", n+".c")...)
	}
	for _, n := range []string{"m", "n"} {
		if err := os.Rename(filepath.Join(dir, n+".o"), filepath.Join(dir, n+".ko")); err != nil {
			t.Fatal(err)
		}
		modules = append(modules, filepath.Join(dir, n+".ko"))
	}
	if b.kind == modsOn || b.kind == modsOff {
		return "", modules
	}
	tg.Compile(t, dir, append(strings.Fields(kprobeCFlags), "-c", "-o", "head.o", "head.c")...)
	link := append(strings.Fields(b.ldflags), "-nostdlib", "-Wl,-T,kernel.lds", "-Wl,--build-id=none",
		"-Wl,--no-warn-rwx-segments", "-o", "vmlinux", "head.o", "a.o", "b.o")
	tg.Compile(t, dir, link...)
	if b.strip != "" {
		ccfixture.Run(t, dir, tg.Tool("objcopy"), "-R", b.strip, "vmlinux")
	}
	return filepath.Join(dir, "vmlinux"), modules
}

// readMap reads a TSV alias map into rows of column name -> value.
func readMap(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var cols []string
	var rows []map[string]string
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = fields
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = fields[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestTraceable scans each build and checks every alias's traceable value
// against the oracle, and that every alias the oracle expects is there.
func TestTraceable(t *testing.T) {
	for _, b := range kprobeBuilds {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			vmlinux, modules := b.build(t, dir)
			c := Scan{Vmlinux: vmlinux, Modules: modules, Scheme: alias.TU, MapTSV: filepath.Join(dir, "map.tsv")}
			if _, err := c.Run(); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, row := range readMap(t, c.MapTSV) {
				got[row["alias"]] = row["traceable"]
			}
			want := map[string]string{}
			for _, w := range wantTraceable {
				if vmlinux != "" && w.vm[b.kind] != "-" {
					for _, unit := range []string{"a.c", "b.c"} {
						want[w.name+"@"+unit] = string(w.vm[b.kind])
					}
				}
				if w.mod[b.kind] != "-" {
					for _, unit := range []string{"m.c", "n.c"} {
						if w.unit == "" || w.unit == unit {
							want[w.name+"@"+unit] = string(w.mod[b.kind])
						}
					}
				}
			}
			var names []string
			for n := range want {
				names = append(names, n)
			}
			for n := range got {
				if _, ok := want[n]; !ok {
					names = append(names, n)
				}
			}
			slices.Sort(names)
			for _, n := range names {
				if got[n] != want[n] {
					t.Errorf("%s: traceable %q, want %q", n, got[n], want[n])
				}
			}
		})
	}
}

// TestSympos checks the livepatch position of every alias: in vmlinux by
// address among the symbols of its name (the oracle: nm -n), in a module by
// symbol-table order (readelf -s), none where a same-named init symbol
// comes first (its position then depends on when the module is loaded).
func TestSympos(t *testing.T) {
	dir := t.TempDir()
	b := kprobeBuilds[0]
	vmlinux, modules := b.build(t, dir)
	tg := target(t, b.target)
	// A module of two units, each with an s_twice and an s_early, t1.c's
	// s_early in init text.
	ccfixture.WriteFiles(t, dir, map[string]string{
		"t1.c": "static __attribute__((used)) int s_twice(int x) { return x + 1; }\n" +
			"static __attribute__((used, section(\".init.text\"))) int s_early(int x) { return x + 2; }\n",
		"t2.c": "static __attribute__((used)) int s_twice(int x) { return x + 3; }\n" +
			"static __attribute__((used)) int s_early(int x) { return x + 4; }\n",
	})
	for _, n := range []string{"t1", "t2"} {
		tg.Compile(t, dir, append(strings.Fields(kprobeCFlags), "-c", "-o", n+".o", n+".c")...)
	}
	ccfixture.Run(t, dir, tg.Tool("ld"), "-r", "-o", "twice.ko", "t1.o", "t2.o")
	modules = append(modules, filepath.Join(dir, "twice.ko"))
	c := Scan{Vmlinux: vmlinux, Modules: modules, Scheme: alias.TU, MapTSV: filepath.Join(dir, "map.tsv")}
	if _, err := c.Run(); err != nil {
		t.Fatal(err)
	}

	// vmlinux: position by address, from nm -n (the address of each alias
	// is its value column).
	pos := map[string]int{}
	byAddr := map[string]string{}
	for _, l := range strings.Split(string(ccfixture.Run(t, dir, "nm", "-n", "vmlinux")), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 {
			pos[f[2]]++
			byAddr[f[2]+" "+f[0]] = strconv.Itoa(pos[f[2]])
		}
	}
	// twice.ko: symbol-table order; t1.c's s_early (init) comes first.
	var order []string
	for _, l := range strings.Split(string(ccfixture.Run(t, dir, "readelf", "-sW", "twice.ko")), "\n") {
		if f := strings.Fields(l); len(f) == 8 && (f[7] == "s_twice" || f[7] == "s_early") {
			order = append(order, f[7])
		}
	}
	if !slices.Equal(order, []string{"s_twice", "s_early", "s_twice", "s_early"}) {
		t.Fatalf("twice.ko's symbol table holds %v, not t1.c's then t2.c's", order)
	}
	want := map[string]string{"s_twice@t1.c": "1", "s_twice@t2.c": "2", "s_early@t2.c": ""}

	n := 0
	for _, row := range readMap(t, c.MapTSV) {
		w, ok := want[row["alias"]]
		switch {
		case row["object"] == "vmlinux":
			w, ok = byAddr[row["name"]+" "+row["value"]], true
		case row["object"] == "m.ko" || row["object"] == "n.ko":
			w, ok = "1", true // one of each name per module
		}
		if !ok {
			t.Errorf("unexpected alias %s", row["alias"])
			continue
		}
		n++
		if row["sympos"] != w {
			t.Errorf("%s: sympos %q, want %q", row["alias"], row["sympos"], w)
		}
	}
	if n != 2*10+2*13+3 { // vmlinux: 10 names twice; m.ko, n.ko: 13 (not s_init); twice.ko: 3
		t.Errorf("%d aliases checked", n)
	}
}
