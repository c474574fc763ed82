package alias_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// fixtureSources is examples/basic: the C "kernel" users see is the fixture.
const fixtureSources = "../../examples/basic"

var kernelSources = []string{
	"kernel/head.S", "kernel/main.c", "kernel/kallsyms.c", "kernel/trace.c",
	"kernel/binfmt_elf.c", "kernel/compat_binfmt_elf.c", "net/ipv4/udp.c", "net/ipv6/udp.c",
}

var moduleSources = []string{"modules/configfs.c", "modules/nf-nat.c"}

// fixture is a "kernel" linked like vmlinux (ET_EXEC, no libc, _text first)
// and two modules (ET_REL), compiled for one target.
type fixture struct {
	vmlinux string
	modules []string
}

func build(t *testing.T, tg ccfixture.Target, debug bool) fixture {
	t.Helper()
	src, err := filepath.Abs(fixtureSources)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	flags := []string{"-O2", "-ffreestanding", "-fno-pic", "-fno-asynchronous-unwind-tables"}
	if debug {
		flags = append(flags, "-g", "-fdebug-prefix-map="+src+"=.")
	}
	f := fixture{vmlinux: filepath.Join(out, "vmlinux")}
	link := append(append([]string{}, flags...), "-no-pie", "-nostdlib", "-Wl,-e,_text",
		"-Wl,--build-id=none", "-Wl,--no-warn-execstack", "-o", f.vmlinux)
	tg.Compile(t, src, append(link, kernelSources...)...)
	for _, m := range moduleSources {
		ko := filepath.Join(out, strings.TrimSuffix(filepath.Base(m), ".c")+".ko")
		tg.Compile(t, src, append(append([]string{}, flags...), "-c", "-o", ko, m)...)
		f.modules = append(f.modules, ko)
	}
	return f
}

// scan does what `kas_alias scan` does, without the files.
func scan(t *testing.T, f fixture, opts alias.Options) (*alias.Result, []*alias.Object) {
	t.Helper()
	var objs []*alias.Object
	for i, path := range append([]string{f.vmlinux}, f.modules...) {
		ef, err := elfread.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ef.Close() })
		idx, err := srcindex.Open(ef.Image(), srcindex.Options{Name: path})
		if err != nil {
			t.Fatal(err)
		}
		name, module := "vmlinux", i > 0
		if module {
			name = plan.ModuleName(path)
		}
		obj, err := alias.FromELF(ef, name, module, idx)
		if err != nil {
			t.Fatal(err)
		}
		obj.Digest = "(digest)" // compiler output bytes are not what is tested here
		objs = append(objs, obj)
	}
	res, err := alias.Choose(objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, objs
}

// render is everything a scan writes, in one text for a golden file.
func render(t *testing.T, res *alias.Result, objs []*alias.Object) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "== scheme %s: %d duplicated names, %d aliases, %d without location\n",
		res.Scheme, res.Duplicates, len(res.Aliases), res.Unlocated)
	b.WriteString("== vmlinux listing\n")
	if err := listing.Write(&b, res.Listing(objs[0], nil), objs[0].Width); err != nil {
		t.Fatal(err)
	}
	b.WriteString("== map.tsv\n")
	if err := res.WriteMapTSV(&b); err != nil {
		t.Fatal(err)
	}
	for _, m := range objs[1:] {
		p, err := res.Plan(m)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== plan %s\n%s", m.Name, p.Marshal())
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
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
		opts   alias.Options
	}{
		{"tu_dwarf", "x86_64", true, alias.Options{}},
		{"tu_stt_file", "x86_64", false, alias.Options{}},
		{"tu_data", "x86_64", true, alias.Options{Scheme: alias.TU, Data: true}},
		{"srcline", "x86_64", true, alias.Options{Scheme: alias.Srcline}},
		{"srcline_no_dwarf", "x86_64", false, alias.Options{Scheme: alias.Srcline}},
		{"counter", "x86_64", false, alias.Options{Scheme: alias.Counter}},
		{"tu_aarch64", "aarch64", true, alias.Options{}},
		{"tu_arm", "arm", false, alias.Options{}},
		{"counter_s390x", "s390x", false, alias.Options{Scheme: alias.Counter}},
		{"srcline_mips", "mips", true, alias.Options{Scheme: alias.Srcline}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, objs := scan(t, build(t, target(t, c.target), c.debug), c.opts)
			checkGolden(t, c.name+".txt", render(t, res, objs))
		})
	}
}
