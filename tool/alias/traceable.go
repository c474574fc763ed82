package alias

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// Traceable says whether a running kernel built from the scanned files
// accepts a kprobe on an alias's symbol (the map's traceable column; ""
// for data), by the rules of kernel/trace/trace_kprobe.c (within_notrace_func)
// and kernel/kprobes.c (check_kprobe_address_safe) of Linux 6.1 to 6.12.
type Traceable string

const (
	TraceYes       Traceable = "yes"
	TraceNotrace   Traceable = "notrace"
	TraceInit      Traceable = "init"
	TraceBlacklist Traceable = "blacklist"
	TraceInsn      Traceable = "insn"
	TraceUnknown   Traceable = "unknown"
)

// Why says in a few words why the kernel refuses a kprobe ("" for yes).
func (t Traceable) Why() string {
	switch t {
	case TraceYes:
		return ""
	case TraceNotrace:
		return "it has no ftrace location (notrace code, or an out-of-line copy of a header inline), and a kernel with dynamic ftrace refuses kprobe events there (\"Could not probe notrace function\")"
	case TraceInit:
		return "it is init code, freed after boot"
	case TraceBlacklist:
		return "it is on the kprobe blacklist (NOKPROBE_SYMBOL, __kprobes, noinstr or entry code)"
	case TraceInsn:
		return "x86 kprobes cannot single-step or emulate its first instruction (an indirect jump or call through memory, a far one, int3, iret, a move to SS or VMX; EOPNOTSUPP)"
	case TraceUnknown:
		return "the kernel image does not tell whether a kprobe there is accepted"
	case "":
		return "it is not code"
	}
	return "traceable is " + string(t)
}

// EventName is a kprobe event name for the alias a: its letters, digits
// and underscores, every other byte '_' (auto names allow no more), within
// the kernel's 63 bytes (MAX_EVENT_NAME_LEN); a longer one keeps its start
// and ends in a hash of the whole alias.
func EventName(a string) string {
	name := sanitize(a, false)
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(a))
	return fmt.Sprintf("%s_%08x", name[:54], h.Sum32())
}

// Kprobes is what an object's image says about kprobes on its code as a
// whole; Symbol.Probe holds what it says of each function. Package kernel
// reads both (tool/kprobe).
type Kprobes struct {
	// Known: the architecture's rules are followed and the image was read.
	Known  bool
	Ftrace Ftrace
}

// Ftrace is whether a function without an ftrace location is refused.
type Ftrace uint8

const (
	// FtraceUnknown: the object does not say (a module without ftrace
	// locations, which vmlinux then decides).
	FtraceUnknown Ftrace = iota
	// FtraceNone: no dynamic ftrace (vmlinux has no __start_mcount_loc),
	// so no function is refused for want of an ftrace location.
	FtraceNone
	// FtraceOn: dynamic ftrace; a function without an ftrace location is
	// refused unless CONFIG_KPROBE_EVENTS_ON_NOTRACE (default off).
	FtraceOn
)

// ProbeFacts are what an image says about kprobes on one function.
type ProbeFacts uint8

const (
	// ProbeFtrace: an ftrace location lies in [start, start+size).
	ProbeFtrace ProbeFacts = 1 << iota
	// ProbeFreed: vmlinux code that is gone after boot (init text).
	ProbeFreed
	// ProbeBlacklisted: on the kprobe blacklist.
	ProbeBlacklisted
	// ProbeUndecided: on the blacklist on some machines only.
	ProbeUndecided
	// ProbeInsn: the instruction a kprobe there lands on is one the
	// architecture's kprobes refuse (x86: prepare_emulation()).
	ProbeInsn
)

// tri is no, yes or unsure.
type tri uint8

const (
	no tri = iota
	yes
	unsure
)

// join is what two possible answers make: either if they agree.
func join(a, b tri) tri {
	if a == b {
		return a
	}
	return unsure
}

// tracer decides Traceable for the aliases of one result.
type tracer struct {
	vm *Object // vmlinux, nil if not scanned
	// parents holds, by name, the symbols kprobe_lookup_name() may find
	// for the name before the first '.' of an alias's name.
	parents map[string]*parent
}

// parent is what kprobe_lookup_name() may find for a name.
type parent struct {
	vm   *Symbol        // in vmlinux (it is searched first)
	mods []moduleSymbol // else the first of each module that has one
}

type moduleSymbol struct {
	obj *Object
	sym *Symbol
}

// traceable returns the traceable value of every alias.
func (r *Result) traceable() []Traceable {
	t := &tracer{parents: map[string]*parent{}}
	for _, o := range r.Objects {
		if !o.Module {
			t.vm = o
			break
		}
	}
	t.findParents(r)
	out := make([]Traceable, len(r.Aliases))
	for i := range r.Aliases {
		out[i] = t.verdict(r.Aliases[i].Object, r.Aliases[i].Symbol)
	}
	return out
}

// parentName is the name before the first '.' ("foo" of "foo.isra.0"):
// for a symbol so named, the kernel also asks about the function of that
// name (within_notrace_func and within_kprobe_blacklist, for the .cold,
// .part and .constprop pieces of a function).
func parentName(name string) (string, bool) {
	i := strings.IndexByte(name, '.')
	if i < 0 {
		return "", false
	}
	return name[:i], true
}

// findParents finds the candidates for every parent name of an alias:
// kallsyms_lookup_name() returns the vmlinux symbol of that name at the
// lowest address, else the first in the symbol table of the newest loaded
// module that has one.
func (t *tracer) findParents(r *Result) {
	for _, a := range r.Aliases {
		if p, ok := parentName(a.Symbol.Name); ok && a.Symbol.Text() {
			t.parents[p] = &parent{}
		}
	}
	if len(t.parents) == 0 {
		return
	}
	if t.vm != nil {
		for i := range t.vm.Symbols {
			s := &t.vm.Symbols[i]
			if p := t.parents[s.Name]; p != nil && p.vm == nil && t.vm.countable[i] {
				p.vm = s
			}
		}
	}
	for _, o := range r.Objects {
		if !o.Module {
			continue
		}
		for i := range o.Symbols {
			s := &o.Symbols[i]
			p := t.parents[s.Name]
			if p == nil || p.vm != nil || !o.moduleCore(s) || (len(p.mods) > 0 && p.mods[len(p.mods)-1].obj == o) {
				continue
			}
			p.mods = append(p.mods, moduleSymbol{o, s})
		}
	}
}

// parentFacts says, for a symbol of o named with a '.', whether the function
// kprobe_lookup_name() finds for its parent name has an ftrace location and
// is blacklisted. Which one it finds can depend on the modules loaded: the
// answer is sure only where every candidate agrees.
func (t *tracer) parentFacts(o *Object, name string) (traced, black tri) {
	p := t.parents[name]
	if t.vm == nil && (p == nil || p.vm == nil) {
		return unsure, unsure // vmlinux may have one
	}
	if p == nil {
		return no, no
	}
	if p.vm != nil {
		return t.symbolFacts(t.vm, p.vm)
	}
	// A module is searched only while loaded: o is, the others may not be
	// (nothing found: no, no).
	loaded := slices.ContainsFunc(p.mods, func(m moduleSymbol) bool { return m.obj == o })
	for i, m := range p.mods {
		tr, bl := t.symbolFacts(m.obj, m.sym)
		if i == 0 && loaded {
			traced, black = tr, bl
			continue
		}
		traced, black = join(traced, tr), join(black, bl)
	}
	return traced, black
}

// symbolFacts is whether s of o has an ftrace location after boot, and
// whether it is blacklisted.
func (t *tracer) symbolFacts(o *Object, s *Symbol) (traced, black tri) {
	if !o.Kprobes.Known {
		return unsure, unsure
	}
	switch {
	case t.ftrace(o) == FtraceUnknown:
		traced = unsure
	case s.Probe&(ProbeFtrace|ProbeFreed) == ProbeFtrace:
		traced = yes
	}
	switch {
	case s.Probe&ProbeBlacklisted != 0:
		black = yes
	case s.Probe&ProbeUndecided != 0:
		black = unsure
	}
	return traced, black
}

// verdict decides for the code symbol s of o. The kernel refuses a
// function without an ftrace location first (trace_kprobe.c), then code
// that is not text after boot or is blacklisted (register_kprobe), then an
// instruction it cannot take (arch_prepare_kprobe); the verdict names the
// lasting reason first: init, blacklist, notrace, insn. A
// symbol named "foo.part.0" is let through, or refused, by what is true
// of "foo" as well.
func (t *tracer) verdict(o *Object, s *Symbol) Traceable {
	if !s.Text() {
		return ""
	}
	if !o.Kprobes.Known {
		return TraceUnknown
	}
	if s.Probe&ProbeFreed != 0 {
		return TraceInit
	}
	pname, dotted := parentName(s.Name)
	var ptraced, pblack tri
	if dotted {
		ptraced, pblack = t.parentFacts(o, pname)
	}
	_, black := t.symbolFacts(o, s)
	if black == no && dotted {
		black = pblack
	}
	notrace := no
	if s.Probe&ProbeFtrace == 0 {
		switch t.ftrace(o) {
		case FtraceUnknown:
			notrace = unsure
		case FtraceOn:
			switch {
			case !dotted || ptraced == no:
				notrace = yes
			case ptraced == unsure:
				notrace = unsure
			}
		}
	}
	switch {
	case black == yes:
		return TraceBlacklist
	case notrace == yes:
		return TraceNotrace
	case black == unsure || notrace == unsure:
		return TraceUnknown
	case s.Probe&ProbeInsn != 0:
		return TraceInsn
	}
	return TraceYes
}

// ftrace is whether o's kernel refuses functions without an ftrace
// location: a module that has none of its own follows vmlinux.
func (t *tracer) ftrace(o *Object) Ftrace {
	ft := o.Kprobes.Ftrace
	if o.Module && ft == FtraceUnknown && t.vm != nil && t.vm.Kprobes.Known {
		ft = t.vm.Kprobes.Ftrace
	}
	return ft
}

// moduleCore reports whether a module symbol stays in the module's kallsyms
// after its init has run (is_core_symbol with CONFIG_KALLSYMS_ALL): defined,
// named, in an allocated section that is not init.
func (o *Object) moduleCore(s *Symbol) bool {
	if !s.defined() || s.Name == "" {
		return false
	}
	switch s.Line.Type {
	case 'a', 'A', 'n', 'N':
		return false
	}
	return !strings.HasPrefix(o.section(s.Section), ".init")
}
