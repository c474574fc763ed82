// Package alias chooses alias names for kernel symbols whose name occurs at
// more than one address across vmlinux and modules, and renders the results:
// the listing with alias lines, the alias map and one plan per module.
package alias

import (
	"debug/elf"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// Object is one scanned input: vmlinux, a module, or a listing read in
// filter mode. Package kernel makes them from files.
type Object struct {
	Name   string // "vmlinux", or the module name ("configfs.ko")
	Module bool
	Width  int // hex digits of a value: 16 for ELFCLASS64, 8 for ELFCLASS32
	// Symbols are the listed symbols: in nm -n order for vmlinux, in
	// symbol-table order for a module (whose aliases are put in nm -n order).
	Symbols []Symbol
	// Sections are the section names by index ("" where unknown).
	Sections []string
	// Files are the STT_FILE names symbols refer to (Symbol.File); Files[0]
	// is "".
	Files []string
	// Source gives translation units and lines (nil: none known).
	Source Locator
	// Identity identifies a module file, for its plan (plan.Identity).
	Identity string
	// Kprobes is what the image says about kprobes on its code (the
	// symbols' part is Symbol.Probe); the zero value knows nothing.
	Kprobes Kprobes
	// text is the address of _text in vmlinux (hasText if it exists): the
	// base of kprobe locations that also work on kernels without aliases.
	text    uint64
	hasText bool
	// hashes and countable are per symbol, made by Choose (prepare).
	hashes    []uint64
	countable []bool
}

// Symbol is one listing line and what the ELF symbol table says about it.
type Symbol struct {
	listing.Line
	Section uint32 // section index; 0 where unknown (filter mode without --elf)
	// StValue is st_value as the symbol table holds it, for plans: on ARM
	// a Thumb function's has the low bit that nm's value (Line.Value) drops.
	StValue uint64
	Size    uint64
	Bind    elf.SymBind
	Type    elf.SymType
	Other   uint8 // st_other, copied to the alias (ppc64's local entry)
	Probe   ProbeFacts
	// File indexes Object.Files: the STT_FILE name before a local symbol in
	// .symtab (0: none). An index, not a string: a million symbols are held.
	File uint32
}

// file is the STT_FILE name of s ("" if none).
func (o *Object) file(s *Symbol) string {
	if int(s.File) < len(o.Files) {
		return o.Files[s.File]
	}
	return ""
}

// Location is where a symbol's address is in the source.
type Location struct {
	TU   string // translation unit (compile unit) path, "" if unknown
	File string // file of the address's line-table row, "" if unknown
	Line int    // 0 if unknown
}

// Locator tells the source locations of an object's symbols.
type Locator interface {
	// HasDWARF reports whether the object has debug information at all.
	HasDWARF() bool
	// TU is the translation unit of s, "" if unknown.
	TU(s *Symbol) string
	// Locate returns the location of each symbol, in order.
	Locate(syms []*Symbol) ([]Location, error)
}

// defined reports whether the symbol has an address (not U, w or v).
func (s *Symbol) defined() bool {
	switch s.Line.Type {
	case 'U', 'w', 'v':
		return false
	}
	return true
}

// Text reports whether the symbol is code (t, T, or weak W of a function).
func (s *Symbol) Text() bool {
	switch s.Line.Type {
	case 't', 'T':
		return true
	case 'W':
		return s.Type == elf.STT_FUNC
	}
	return false
}

// SortSymbols puts symbols in nm -n order, keeping symbol-table order among
// lines that print identically (the order listing.Sort gives).
func SortSymbols(syms []Symbol) {
	lines := make([]listing.Line, len(syms))
	for i := range syms {
		lines[i] = syms[i].Line
	}
	listing.Permute(syms, listing.Order(lines))
}

func (o *Object) findText() {
	if o.Module {
		return
	}
	for _, s := range o.Symbols {
		if s.Name == "_text" && s.defined() {
			o.text, o.hasText = s.Value, true
			return
		}
	}
}

// section returns the name of section i, or "" if unknown.
func (o *Object) section(i uint32) string {
	if int(i) < len(o.Sections) {
		return o.Sections[i]
	}
	return ""
}

// kernelModName is the name the kernel gives a module file ("nf-nat.ko" is
// module nf_nat): what kprobe_events and /proc/kallsyms show in [MOD].
func kernelModName(module string) string {
	return strings.ReplaceAll(strings.TrimSuffix(module, ".ko"), "-", "_")
}
