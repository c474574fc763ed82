// Package alias chooses alias names for kernel symbols whose name occurs at
// more than one address across vmlinux and modules, and renders the results:
// the listing with alias lines, the alias map and one plan per module.
package alias

import (
	"debug/elf"
	"slices"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// Object is one scanned input: vmlinux, a module, or a listing read in
// filter mode.
type Object struct {
	Name   string // "vmlinux", or the module name ("configfs.ko")
	Module bool
	Width  int // hex digits of a value: 16 for ELFCLASS64, 8 for ELFCLASS32
	// Symbols are the listed symbols: in nm -n order for vmlinux, in
	// symbol-table order for a module (whose aliases are put in nm -n order).
	Symbols []Symbol
	// Sections are the section names by index ("" where unknown).
	Sections []string
	// Source gives translation units and lines (nil without DWARF).
	Source *srcindex.Index
	// Digest identifies a module file (plan.Digest of its bytes as stored).
	Digest string
	// text is the address of _text in vmlinux (hasText if it exists): the
	// base of kprobe locations that also work on kernels without aliases.
	text    uint64
	hasText bool
	// nameCount counts defined symbols by name, for module probe bases.
	nameCount map[string]int
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
	File    string // STT_FILE name before it in .symtab, for local symbols
}

// defined reports whether the symbol has an address (not U, w or v).
func (s *Symbol) defined() bool {
	switch s.Line.Type {
	case 'U', 'w', 'v':
		return false
	}
	return true
}

// text reports whether the symbol is code (t, T, or weak W of a function).
func (s *Symbol) text() bool {
	switch s.Line.Type {
	case 't', 'T':
		return true
	case 'W':
		return s.Type == elf.STT_FUNC
	}
	return false
}

// FromELF makes an Object of an open ELF file; src may be nil. The Object
// refers to f's memory (names are not copied): keep f open while using it.
// A module's undefined symbols are left out: they are never duplicates, and
// no listing of a module is written.
func FromELF(f *elfread.File, name string, module bool, src *srcindex.Index) (*Object, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	obj := &Object{Name: name, Module: module, Width: 16, Source: src}
	if f.Class == elf.ELFCLASS32 {
		obj.Width = 8
	}
	obj.Sections = sectionNames(f)
	obj.Symbols = make([]Symbol, 0, len(syms))
	for i := range syms {
		s := &syms[i]
		if !f.Listed(s) {
			continue
		}
		letter := f.Letter(s)
		if module && elfread.Undefined(letter) {
			continue
		}
		obj.Symbols = append(obj.Symbols, symbolOf(listing.Line{Value: f.Value(s), Type: letter, Name: s.Name}, s))
	}
	if !module {
		sortSymbols(obj.Symbols) // the order of the listing written
	}
	obj.findText()
	return obj, nil
}

// FromListing makes the vmlinux Object of a listing (filter mode). With an
// ELF file, each line takes section, size, binding and file from the symbol
// of the same name and value.
func FromListing(lines []listing.Line, width int, f *elfread.File, src *srcindex.Index) (*Object, error) {
	obj := &Object{Name: "vmlinux", Width: width, Source: src}
	type key struct {
		name  string
		value uint64
	}
	var byKey map[key]*elfread.Symbol
	if f != nil {
		syms, err := f.Symbols()
		if err != nil {
			return nil, err
		}
		byKey = make(map[key]*elfread.Symbol, len(syms))
		for i := range syms {
			s := &syms[i]
			// The value nm prints (ARM Thumb functions lose their low bit).
			k := key{s.Name, f.Value(s)}
			if _, dup := byKey[k]; !dup {
				byKey[k] = s
			}
		}
		obj.Sections = sectionNames(f)
	}
	obj.Symbols = make([]Symbol, len(lines))
	for i, l := range lines {
		if s := byKey[key{l.Name, l.Value}]; s != nil {
			obj.Symbols[i] = symbolOf(l, s)
			continue
		}
		obj.Symbols[i] = Symbol{Line: l, StValue: l.Value}
		obj.Symbols[i].Bind, obj.Symbols[i].Type = guessBindType(l.Type)
	}
	obj.findText()
	return obj, nil
}

// symbolOf is listing line l with what ELF symbol s adds to it.
func symbolOf(l listing.Line, s *elfread.Symbol) Symbol {
	sym := Symbol{Line: l, Section: s.Section, StValue: s.Value, Size: s.Size, Bind: s.Bind, Type: s.Type}
	if s.Bind == elf.STB_LOCAL {
		sym.File = s.File // STT_FILE tells only locals' unit
	}
	return sym
}

// sectionNames are f's section names by index.
func sectionNames(f *elfread.File) []string {
	names := make([]string, len(f.Sections))
	for i, s := range f.Sections {
		names[i] = s.Name
	}
	return names
}

// guessBindType derives binding and type from an nm letter, for listing
// lines with no ELF symbol behind them.
func guessBindType(letter byte) (elf.SymBind, elf.SymType) {
	bind := elf.STB_LOCAL
	switch {
	case letter == 'W' || letter == 'V' || letter == 'w' || letter == 'v':
		bind = elf.STB_WEAK
	case letter >= 'A' && letter <= 'Z':
		bind = elf.STB_GLOBAL
	}
	switch letter {
	case 't', 'T', 'W':
		return bind, elf.STT_FUNC
	case 'i':
		return bind, elf.STT_GNU_IFUNC
	}
	return bind, elf.STT_OBJECT
}

// sortSymbols puts symbols in nm -n order; a stable sort keeps symbol-table
// order among lines that print identically.
func sortSymbols(syms []Symbol) {
	slices.SortStableFunc(syms, func(a, b Symbol) int { return listing.Compare(&a.Line, &b.Line) })
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
