package kernel

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
)

// fixtureSources is examples/basic: the C "kernel" users see is the fixture.
const fixtureSources = "../../examples/basic"

var kernelSources = []string{
	"kernel/head.S", "kernel/main.c", "kernel/kallsyms.c", "kernel/trace.c",
	"kernel/binfmt_elf.c", "kernel/compat_binfmt_elf.c", "net/ipv4/udp.c", "net/ipv6/udp.c",
}

var moduleSources = []string{"modules/configfs.c", "modules/nf-nat.c"}

// fixture is a "kernel" linked like vmlinux (ET_EXEC, no libc, _text first)
// and two modules (ET_REL), compiled for one target by Debian 12's gcc.
// The objects are committed (testdata/fixtures/NAME), so that what the tool
// decides is tested on the same bytes whatever compiler the machine has;
// -update compiles them again when examples/basic changed, and a change
// without -update fails the test.
type fixture struct {
	name    string
	vmlinux string
	modules []string
}

const fixtureFlags = "-O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables"

func fixtureDir(name string) string { return filepath.Join("testdata", "fixtures", name) }

func loadFixture(t *testing.T, tg ccfixture.Target, debug bool) fixture {
	t.Helper()
	name := tg.Name
	if debug {
		name += "-g"
	}
	dir := fixtureDir(name)
	f := fixture{name: name, vmlinux: filepath.Join(dir, "vmlinux")}
	for _, m := range moduleSources {
		f.modules = append(f.modules, filepath.Join(dir, strings.TrimSuffix(filepath.Base(m), ".c")+".ko"))
	}
	stamp := filepath.Join(dir, "SOURCES")
	got, err := os.ReadFile(stamp)
	if golden.Update() && (err != nil || !bytes.Equal(got, sourcesStamp(t, tg, debug))) {
		buildFixture(t, tg, debug, f)
		if err := os.WriteFile(stamp, sourcesStamp(t, tg, debug), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err = os.ReadFile(stamp)
	}
	if err != nil || !bytes.Equal(got, sourcesStamp(t, tg, debug)) {
		t.Fatalf("%s was built from other sources than examples/basic's (%v): go test ./tool/kernel -update rebuilds it", dir, err)
	}
	return f
}

// sourcesStamp identifies what a fixture is built from.
func sourcesStamp(t *testing.T, tg ccfixture.Target, debug bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s debug=%v\n", tg.CC, strings.Join(tg.Flags, " "), fixtureFlags, debug)
	for _, s := range append(append([]string{}, kernelSources...), moduleSources...) {
		data, err := os.ReadFile(filepath.Join(fixtureSources, s))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), s)
	}
	return b.Bytes()
}

func buildFixture(t *testing.T, tg ccfixture.Target, debug bool, f fixture) {
	src, err := filepath.Abs(fixtureSources)
	if err != nil {
		t.Fatal(err)
	}
	out, err := filepath.Abs(filepath.Dir(f.vmlinux))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	flags := strings.Fields(fixtureFlags)
	if debug {
		flags = append(flags, "-g", "-fdebug-prefix-map="+src+"=.")
	}
	link := append(append([]string{}, flags...), "-no-pie", "-nostdlib", "-Wl,-e,_text",
		"-Wl,--build-id=none", "-Wl,--no-warn-execstack", "-o", filepath.Join(out, "vmlinux"))
	tg.Compile(t, src, append(link, kernelSources...)...)
	for i, m := range moduleSources {
		tg.Compile(t, src, append(append([]string{}, flags...), "-c", "-o", filepath.Join(out, filepath.Base(f.modules[i])), m)...)
	}
}

// scan runs what `kas_alias scan` runs, with every output, into a temporary
// directory, and returns the result and the outputs in one text.
func scan(t *testing.T, f fixture, scheme alias.Scheme, data bool) (Summary, []byte) {
	t.Helper()
	out := t.TempDir()
	c := Scan{
		Vmlinux: f.vmlinux, Modules: f.modules, Scheme: scheme, Data: data,
		Syms: filepath.Join(out, "syms"), MapTSV: filepath.Join(out, "map.tsv"), PlanDir: filepath.Join(out, "plans"),
	}
	res, err := c.Run()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "== scheme %s: %d duplicated names, %d aliases, %d without location\n",
		res.Scheme, res.Duplicates, res.Aliases, res.Unlocated)
	b.WriteString("== vmlinux listing\n")
	b.Write(readFile(t, c.Syms))
	b.WriteString("== map.tsv\n")
	b.Write(readFile(t, c.MapTSV))
	for _, m := range f.modules {
		name := filepath.Base(m)
		fmt.Fprintf(&b, "== plan %s\n%s", name, readFile(t, filepath.Join(c.PlanDir, name+".plan.json")))
	}
	return res, b.Bytes()
}

// identity is a plan's module identity; the goldens say what the tool
// decides, and TestPlanIdentity checks the identity itself.
var identity = regexp.MustCompile(`"symbols_sha256": "[0-9a-f]{64}"`)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func target(t *testing.T, name string) ccfixture.Target {
	for _, tg := range ccfixture.Targets {
		if tg.Name == name {
			return tg
		}
	}
	t.Fatalf("no target %s", name)
	return ccfixture.Target{}
}

// TestSchemes aliases the fixture under every scheme, with and without
// DWARF, on 64/32-bit, little and big endian targets.
func TestSchemes(t *testing.T) {
	cases := []struct {
		name   string
		target string
		debug  bool
		scheme alias.Scheme
		data   bool
	}{
		{"tu_dwarf", "x86_64", true, "", false},
		{"tu_stt_file", "x86_64", false, "", false},
		{"tu_data", "x86_64", true, alias.TU, true},
		{"srcline", "x86_64", true, alias.Srcline, false},
		{"srcline_no_dwarf", "x86_64", false, alias.Srcline, false},
		{"counter", "x86_64", false, alias.Counter, false},
		{"tu_aarch64", "aarch64", true, "", false},
		{"tu_arm", "arm", false, "", false},
		{"counter_s390x", "s390x", false, alias.Counter, false},
		{"srcline_mips", "mips", true, alias.Srcline, false},
	}
	built := map[string]fixture{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := fmt.Sprint(c.target, c.debug)
			f, ok := built[key]
			if !ok {
				f = loadFixture(t, target(t, c.target), c.debug)
				built[key] = f
			}
			_, got := scan(t, f, c.scheme, c.data)
			got = identity.ReplaceAll(got, []byte(`"symbols_sha256": "(identity)"`))
			golden.Check(t, filepath.Join("testdata", "golden", c.name+".txt"), got)
		})
	}
}

// A plan names the module it was made for by the sha256 of its symbol
// tables (as ccfixture.SymbolsSHA256 computes it with debug/elf).
func TestPlanIdentity(t *testing.T) {
	f := loadFixture(t, target(t, "x86_64"), true)
	_, got := scan(t, f, "", false)
	for _, m := range f.modules {
		want := fmt.Sprintf(`"symbols_sha256": "%s"`, ccfixture.SymbolsSHA256(t, m))
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("no plan with %s for %s", want, m)
		}
	}
}

// Same input, same bytes: run twice; and the order of objects given is the
// order of counters, so giving a shuffled order twice gives one output.
func TestDeterministic(t *testing.T) {
	f := loadFixture(t, target(t, "x86_64"), true)
	for _, scheme := range []alias.Scheme{alias.TU, alias.Srcline, alias.Counter} {
		_, a := scan(t, f, scheme, false)
		_, b := scan(t, f, scheme, false)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs differ:\n%s", scheme, golden.Diff(a, b))
		}
		shuffled := fixture{vmlinux: f.vmlinux, modules: []string{f.modules[1], f.modules[0]}}
		_, c := scan(t, shuffled, scheme, false)
		_, d := scan(t, shuffled, scheme, false)
		if !bytes.Equal(c, d) {
			t.Fatalf("%s: two runs with shuffled modules differ", scheme)
		}
	}
}
