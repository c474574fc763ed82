package kernel

import (
	"slices"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/kprobe"
)

// readKprobes records in obj what its file f says about kprobes: for the
// object, and for each code symbol (alias.Symbol.Probe), while f is open.
func readKprobes(f *elfread.File, obj *alias.Object) error {
	im, err := kprobe.Read(f)
	if err != nil {
		return err
	}
	if !im.Known {
		return nil
	}
	obj.Kprobes.Known = true
	switch {
	case im.Ftrace && im.Unread == "":
		obj.Kprobes.Ftrace = alias.FtraceOn
	case !im.Ftrace && !obj.Module:
		obj.Kprobes.Ftrace = alias.FtraceNone
	}
	next := nextStarts(obj)
	for i := range obj.Symbols {
		s := &obj.Symbols[i]
		if !s.Text() {
			continue
		}
		sec := s.Section
		if !obj.Module {
			sec = 0 // addresses
		}
		size := s.Size
		if size == 0 {
			// An assembler symbol without .size: as far as the next symbol,
			// as kallsyms_lookup_size_offset() measures it.
			size = next(s) - s.Value
		}
		var p alias.ProbeFacts
		if im.Traced(sec, s.Value, size) {
			p |= alias.ProbeFtrace
		}
		if !obj.Module && im.Freed(s.Value) {
			p |= alias.ProbeFreed
		}
		if im.Blacklisted(sec, s.Value) {
			p |= alias.ProbeBlacklisted
		}
		if im.Undecided(sec, s.Value) {
			p |= alias.ProbeUndecided
		}
		// The instruction decides only where nothing checked before it
		// refuses: in an image with ftrace records, a function without one
		// is notrace (a dotted piece excepted: its parent may let it
		// through). Reading it only then spares a read per notrace
		// function of every module.
		if p&alias.ProbeFtrace == 0 && (!im.Ftrace || strings.Contains(s.Name, ".")) && kprobe.InsnRefused(f, s.Section, s.Value) {
			p |= alias.ProbeInsn
		}
		s.Probe = p
	}
	return nil
}

// nextStarts returns a function giving, for a symbol, the lowest address
// above it where another symbol of its section starts (the symbol's own
// address if none).
func nextStarts(obj *alias.Object) func(*alias.Symbol) uint64 {
	var starts []kprobe.Addr
	at := func(s *alias.Symbol) kprobe.Addr {
		if obj.Module {
			return kprobe.Addr{Section: s.Section, Off: s.Value}
		}
		return kprobe.Addr{Off: s.Value} // addresses
	}
	return func(s *alias.Symbol) uint64 {
		if starts == nil {
			for i := range obj.Symbols {
				starts = append(starts, at(&obj.Symbols[i]))
			}
			slices.SortFunc(starts, kprobe.Addr.Compare)
		}
		a := at(s)
		i, _ := slices.BinarySearchFunc(starts, kprobe.Addr{Section: a.Section, Off: a.Off + 1}, kprobe.Addr.Compare)
		if i < len(starts) && starts[i].Section == a.Section {
			return starts[i].Off
		}
		return s.Value
	}
}
