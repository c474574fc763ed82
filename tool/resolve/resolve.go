// Package resolve turns aliases of an alias map into probes on a running
// kernel built without aliases: from its /proc/kallsyms, the live address
// (the map's _text+OFF plus where _text is now, or MOD:SYM+OFF plus where
// the module's SYM is), a kprobe_events line, a bpftrace probe and a perf
// probe argument. Before it answers it checks that the kallsyms is of the
// build the map was made from: every code symbol the map places in the
// objects asked about must be where the map says.
package resolve

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
)

// Probe is how to probe one alias.
type Probe struct {
	Alias    string
	Address  uint64
	Events   string // a kprobe_events line: "p:kprobes/EVENT SPEC"
	Bpftrace string // a bpftrace probe: "kprobe:0xADDR" (bpftrace --unsafe)
	Perf     string // a perf probe argument: "0xADDR"
	// Traceable is the map's verdict; a probe is only offered for "yes"
	// and "unknown".
	Traceable alias.Traceable
}

// Result is the answer for each alias asked, in order: the probes, and one
// line for each alias the kernel refuses a kprobe on.
type Result struct {
	Probes  []Probe
	Refused []string
}

// Resolve resolves aliases with the map entries m (named mapName) against
// the kallsyms read from ks (named ksName).
func Resolve(m []alias.MapEntry, mapName string, ks io.Reader, ksName string, aliases []string) (*Result, error) {
	byAlias := make(map[string]*alias.MapEntry, len(m))
	for i := range m {
		byAlias[m[i].Alias] = &m[i]
	}
	asked := make([]*alias.MapEntry, len(aliases))
	objects := map[string]bool{}
	for i, a := range aliases {
		e := byAlias[a]
		if e == nil {
			return nil, fmt.Errorf("%s is not in the alias map %s", a, mapName)
		}
		asked[i] = e
		objects[e.Object] = true
	}
	// The map's code entries in those objects: each is checked, and is
	// where its base symbol's name comes from.
	var check []*loc
	want := map[symKey]bool{{"", "_text"}: true}
	for i := range m {
		e := &m[i]
		if !objects[e.Object] || e.Kprobe == "" {
			continue
		}
		l, err := parseLoc(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", mapName, err)
		}
		check = append(check, l)
		want[symKey{l.mod, l.name}] = true
		want[symKey{l.mod, l.base}] = true
	}
	k, err := readKallsyms(ks, ksName, want)
	if err != nil {
		return nil, err
	}
	if err := k.agrees(check, mapName); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, e := range asked {
		t := alias.Traceable(e.Traceable)
		if t != alias.TraceYes && t != alias.TraceUnknown {
			res.Refused = append(res.Refused, fmt.Sprintf("%s: the kernel refuses a kprobe there (traceable %s): %s", e.Alias, orNone(t), t.Why()))
			continue
		}
		addr, spec, err := k.locate(e, m)
		if err != nil {
			return nil, err
		}
		res.Probes = append(res.Probes, Probe{
			Alias:     e.Alias,
			Address:   addr,
			Events:    "p:kprobes/" + alias.EventName(e.Alias) + " " + spec,
			Bpftrace:  fmt.Sprintf("kprobe:0x%x", addr),
			Perf:      fmt.Sprintf("0x%x", addr),
			Traceable: t,
		})
	}
	return res, nil
}

func orNone(t alias.Traceable) string {
	if t == "" {
		return `""`
	}
	return string(t)
}

// loc is where the map puts a code symbol: name at base+off, base being
// _text (vmlinux) or a uniquely named symbol of module mod.
type loc struct {
	e         *alias.MapEntry
	mod, name string
	base      string
	off       uint64
}

// parseLoc reads the kprobe column: "_text+0xOFF", "MOD:SYM+0xOFF" or
// "MOD:SYM".
func parseLoc(e *alias.MapEntry) (*loc, error) {
	l := &loc{e: e, name: e.Name}
	spec := e.Kprobe
	if e.Object != "vmlinux" {
		mod, rest, ok := strings.Cut(spec, ":")
		if !ok {
			return nil, fmt.Errorf("%s: kprobe %q has no module", e.Alias, spec)
		}
		l.mod, spec = mod, rest
	}
	base, off, hasOff := strings.Cut(spec, "+")
	l.base = base
	if hasOff {
		v, err := strconv.ParseUint(strings.TrimPrefix(off, "0x"), 16, 64)
		if err != nil || !strings.HasPrefix(off, "0x") {
			return nil, fmt.Errorf("%s: kprobe %q: bad offset", e.Alias, e.Kprobe)
		}
		l.off = v
	}
	if (l.mod == "") != (base == "_text") {
		return nil, fmt.Errorf("%s: kprobe %q is not _text+0xOFF nor MOD:SYM+0xOFF", e.Alias, e.Kprobe)
	}
	return l, nil
}

// symKey is a kallsyms name in a module ("" for vmlinux).
type symKey struct{ mod, name string }

// kallsyms holds the addresses of the names a resolution needs.
type kallsyms struct {
	name  string
	addrs map[symKey][]uint64
	mods  map[string]bool // the modules listed
}

// readKallsyms reads /proc/kallsyms lines ("ADDR TYPE NAME" or
// "ADDR TYPE NAME\t[MOD]") and keeps those of the names wanted.
func readKallsyms(r io.Reader, name string, want map[symKey]bool) (*kallsyms, error) {
	k := &kallsyms{name: name, addrs: map[symKey][]uint64{}, mods: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	lines, nonzero := 0, false
	for sc.Scan() {
		lines++
		f := strings.Fields(sc.Text())
		if len(f) != 3 && len(f) != 4 || len(f[1]) != 1 {
			return nil, fmt.Errorf("%s: line %d: not a kallsyms line (ADDRESS TYPE NAME [MODULE])", name, lines)
		}
		key := symKey{name: f[2]}
		if len(f) == 4 {
			if !strings.HasPrefix(f[3], "[") || !strings.HasSuffix(f[3], "]") {
				return nil, fmt.Errorf("%s: line %d: module %q not in brackets", name, lines, f[3])
			}
			key.mod = f[3][1 : len(f[3])-1]
			k.mods[key.mod] = true
		}
		v, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: bad address %q", name, lines, f[0])
		}
		nonzero = nonzero || v != 0
		if want[key] {
			k.addrs[key] = append(k.addrs[key], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty", name)
	}
	if !nonzero {
		return nil, fmt.Errorf("%s: every address is 0: read it as root (kernel.kptr_restrict hides them)", name)
	}
	return k, nil
}

// base returns where l's base symbol is now.
func (k *kallsyms) base(l *loc) (uint64, error) {
	where := "vmlinux"
	if l.mod != "" {
		where = "module " + l.mod
	}
	a := k.addrs[symKey{l.mod, l.base}]
	switch {
	case len(a) == 0 && l.mod != "" && !k.mods[l.mod]:
		return 0, fmt.Errorf("%s: module %s is not loaded (no [%s] symbols)", k.name, l.mod, l.mod)
	case len(a) == 0:
		return 0, fmt.Errorf("%s: no %s in %s, where the map's %s is based: another build", k.name, l.base, where, l.e.Alias)
	case len(a) > 1:
		return 0, fmt.Errorf("%s: %s is at %d addresses in %s, not one as in the map: another build", k.name, l.base, len(a), where)
	}
	return a[0], nil
}

// agrees checks that each symbol is where the map puts it.
func (k *kallsyms) agrees(check []*loc, mapName string) error {
	bad, first := 0, ""
	for _, l := range check {
		b, err := k.base(l)
		if err != nil {
			return err
		}
		at := b + l.off
		found := false
		for _, a := range k.addrs[symKey{l.mod, l.name}] {
			found = found || a == at
		}
		if !found {
			if bad == 0 {
				first = fmt.Sprintf("%s is not at %x (%s), where the map puts it", l.name, at, l.e.Kprobe)
				if a := k.addrs[symKey{l.mod, l.name}]; len(a) > 0 {
					first += fmt.Sprintf("; kallsyms has it at %x", a[0])
				}
			}
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%s is not of the build %s was made from: %d of the %d code symbols checked disagree; first: %s", k.name, mapName, bad, len(check), first)
	}
	return nil
}

// locate returns the live address of e and a kprobe_events location: the
// map's kprobe column, or, for a module symbol without a uniquely named
// symbol before it, the address, found from another alias of its section.
func (k *kallsyms) locate(e *alias.MapEntry, m []alias.MapEntry) (uint64, string, error) {
	if e.Kprobe != "" {
		l, err := parseLoc(e)
		if err != nil {
			return 0, "", err
		}
		b, err := k.base(l)
		return b + l.off, e.Kprobe, err
	}
	value, err := strconv.ParseUint(e.Value, 16, 64)
	if err != nil {
		return 0, "", fmt.Errorf("%s: bad value %q", e.Alias, e.Value)
	}
	for i := range m {
		o := &m[i]
		if o.Object != e.Object || o.Section != e.Section || o.Kprobe == "" {
			continue
		}
		l, err := parseLoc(o)
		if err != nil {
			return 0, "", err
		}
		ov, err := strconv.ParseUint(o.Value, 16, 64)
		if err != nil {
			return 0, "", fmt.Errorf("%s: bad value %q", o.Alias, o.Value)
		}
		b, err := k.base(l)
		if err != nil {
			return 0, "", err
		}
		addr := b + l.off - ov + value // the section's base, plus e's offset in it
		return addr, fmt.Sprintf("0x%x", addr), nil
	}
	return 0, "", fmt.Errorf("%s: the map gives no location for it (%s has no uniquely named symbol before it in %s, and no other alias there)", e.Alias, e.Object, e.Section)
}
