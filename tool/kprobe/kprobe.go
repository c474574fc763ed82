// Package kprobe reads from a kernel image or module what decides whether a
// running kernel accepts a kprobe on one of its functions: its ftrace
// locations, its init text and its kprobe blacklist, as kernel/kprobes.c and
// kernel/trace/trace_kprobe.c of Linux 6.1 to 6.12 use them, for x86, arm64,
// riscv and s390 (docs/alias-map.md). Everything comes from the ELF file;
// the rules that combine these facts are package alias's (Traceable).
package kprobe

import (
	"cmp"
	"debug/elf"
	"fmt"
	"slices"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// Addr is a place in an object: a section index and an offset in it for a
// module, section 0 and the address for a linked image.
type Addr struct {
	Section uint32
	Off     uint64
}

// Compare orders places by section, then offset.
func (a Addr) Compare(b Addr) int {
	if c := cmp.Compare(a.Section, b.Section); c != 0 {
		return c
	}
	return cmp.Compare(a.Off, b.Off)
}

// span is [start, end) in one section.
type span struct {
	section    uint32
	start, end uint64
}

func (s span) has(a Addr) bool { return a.Section == s.section && a.Off >= s.start && a.Off < s.end }

// Image is what one object says about kprobes on its code.
type Image struct {
	// Known reports that the object's machine is one whose rules are
	// followed here; Unknown says why not.
	Known   bool
	Unknown string
	// Ftrace reports ftrace locations: vmlinux has __start_mcount_loc
	// (dynamic ftrace, so a function without a location is refused), a
	// module has __mcount_loc or __patchable_function_entries. Unread, if
	// not "", says why they could not be read (Traced is then meaningless).
	Ftrace bool
	Unread string

	sites     []Addr // ftrace locations, sorted
	entries   []Addr // NOKPROBE_SYMBOL() addresses, sorted
	areas     []span // blacklisted text
	undecided []span // blacklisted or not depending on how the kernel runs
	// entriesUnread: the NOKPROBE_SYMBOL() entries could not be read.
	entriesUnread bool
	freed         []span // vmlinux: init text and the rest of init memory
	text          *span  // vmlinux: kernel text, _stext.._etext
	pre           uint64 // how far before a function its ftrace location may be
}

// arch is what differs between the architectures followed.
type arch struct {
	relative uint32 // R_*_RELATIVE, for relocatable images
	// pre: arm64 with DYNAMIC_FTRACE_WITH_CALL_OPS puts two NOPs before
	// the function (-fpatchable-function-entry=4,2) and records the first.
	pre uint64
	// areas are the architecture's blacklisted text, NAME_start..NAME_end
	// (arch_populate_kprobe_blacklist); undecided ones only on some hosts.
	areas, undecided []string
}

var arches = map[elf.Machine]arch{
	elf.EM_X86_64:  {relative: uint32(elf.R_X86_64_RELATIVE), areas: []string{"__entry_text"}},
	elf.EM_386:     {relative: uint32(elf.R_386_RELATIVE), areas: []string{"__entry_text"}},
	elf.EM_AARCH64: {relative: uint32(elf.R_AARCH64_RELATIVE), pre: 8, areas: []string{"__entry_text", "__irqentry_text", "__hyp_text"}, undecided: []string{"__hyp_idmap_text"}},
	elf.EM_RISCV:   {relative: uint32(elf.R_RISCV_RELATIVE), areas: []string{"__irqentry_text"}},
	elf.EM_S390:    {relative: uint32(elf.R_390_RELATIVE), areas: []string{"__irqentry_text"}},
}

// commonAreas are blacklisted on every architecture (populate_kprobe_blacklist).
var commonAreas = []string{"__kprobes_text", "__noinstr_text"}

// Read reads what f says: f is a linked image (vmlinux) or a module.
func Read(f *elfread.File) (*Image, error) {
	a, ok := arches[f.Machine]
	if !ok {
		return &Image{Unknown: fmt.Sprintf("%v: an architecture whose kprobe rules are not followed", f.Machine)}, nil
	}
	im := &Image{Known: true, pre: a.pre}
	var err error
	if f.Type == elf.ET_REL {
		err = im.readModule(f)
	} else {
		err = im.readLinked(f, a)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(im.sites, Addr.Compare)
	slices.SortFunc(im.entries, Addr.Compare)
	return im, nil
}

// Traced reports whether an ftrace location lies in the function at start
// of section sec, size bytes long (what ftrace_location_range() finds): at
// its start, after an ENDBR64 or BTI, or, on arm64, in the two NOPs before.
func (im *Image) Traced(sec uint32, start, size uint64) bool {
	from := Addr{sec, start - min(start, im.pre)}
	i, _ := slices.BinarySearchFunc(im.sites, from, Addr.Compare)
	return i < len(im.sites) && im.sites[i].Section == sec && im.sites[i].Off < start+size
}

// Blacklisted reports whether a kprobe at the function starting at addr of
// section sec is refused by the kprobe blacklist: a NOKPROBE_SYMBOL() entry
// for it, blacklisted text, or (vmlinux) code outside the kernel's text
// that is not freed init memory.
func (im *Image) Blacklisted(sec uint32, addr uint64) bool {
	a := Addr{sec, addr}
	if _, ok := slices.BinarySearchFunc(im.entries, a, Addr.Compare); ok {
		return true
	}
	for _, s := range im.areas {
		if s.has(a) {
			return true
		}
	}
	return im.text != nil && !im.text.has(a) && !im.Freed(addr)
}

// Undecided reports whether the image cannot tell if the function at addr
// is blacklisted: its NOKPROBE_SYMBOL() entries could not be read, or it is
// in text the kernel blacklists depending on the machine it runs on (arm64
// __hyp_idmap_text: not at EL2).
func (im *Image) Undecided(sec uint32, addr uint64) bool {
	if im.entriesUnread {
		return true
	}
	for _, s := range im.undecided {
		if s.has(Addr{sec, addr}) {
			return true
		}
	}
	return false
}

// Freed reports whether vmlinux code at addr is gone after boot: init text
// (_sinittext.._einittext), or other code in init memory (__init_begin..
// __init_end, where x86 keeps .exit.text).
func (im *Image) Freed(addr uint64) bool {
	for _, s := range im.freed {
		if s.has(Addr{0, addr}) {
			return true
		}
	}
	return false
}
