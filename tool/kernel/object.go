package kernel

import (
	"debug/elf"
	"slices"
	"strings"
	"unsafe"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// newObject makes an alias.Object of an open ELF file. A module's undefined
// symbols are left out: they are never duplicates, and no listing of a
// module is written. With copyNames, names are copied out of f (into one
// block per object), so the Object outlives the file.
func newObject(f *elfread.File, name string, module, copyNames bool) (*alias.Object, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	obj := &alias.Object{Name: name, Module: module, Width: listing.Width(f)}
	obj.Sections = make([]string, len(f.Sections))
	for i, s := range f.Sections {
		obj.Sections[i] = strings.Clone(s.Name)
	}
	obj.Symbols = make([]alias.Symbol, 0, len(syms))
	files := fileTable{}
	for i := range syms {
		s := &syms[i]
		if !f.Listed(s) {
			continue
		}
		letter := f.Letter(s)
		if module && elfread.Undefined(letter) {
			continue
		}
		obj.Symbols = append(obj.Symbols, symbolOf(listing.Line{Value: f.Value(s), Type: letter, Name: s.Name}, s, files))
	}
	obj.Files = files.names()
	if copyNames {
		// The Object outlives the file: no spare capacity, names copied.
		obj.Symbols = slices.Clone(obj.Symbols)
		copyStrings(obj)
	}
	if !module {
		alias.SortSymbols(obj.Symbols) // the order of the listing written
	}
	return obj, nil
}

// copyStrings moves the symbol and file names of obj into one new block.
func copyStrings(obj *alias.Object) {
	n := 0
	for i := range obj.Symbols {
		n += len(obj.Symbols[i].Name)
	}
	for _, f := range obj.Files {
		n += len(f)
	}
	block := make([]byte, 0, n)
	put := func(s string) string {
		start := len(block)
		block = append(block, s...)
		if len(s) == 0 {
			return ""
		}
		return unsafe.String(&block[start], len(s))
	}
	for i := range obj.Symbols {
		obj.Symbols[i].Name = put(obj.Symbols[i].Name)
	}
	for i := range obj.Files {
		obj.Files[i] = put(obj.Files[i])
	}
}

// fileTable numbers STT_FILE names, 0 being none.
type fileTable map[string]uint32

func (t fileTable) index(name string) uint32 {
	if name == "" {
		return 0
	}
	i, ok := t[name]
	if !ok {
		i = uint32(len(t) + 1)
		t[name] = i
	}
	return i
}

// names are the names in index order, "" first.
func (t fileTable) names() []string {
	out := make([]string, len(t)+1)
	for name, i := range t {
		out[i] = name
	}
	return out
}

// symbolOf is listing line l with what ELF symbol s adds to it.
func symbolOf(l listing.Line, s *elfread.Symbol, files fileTable) alias.Symbol {
	sym := alias.Symbol{Line: l, Section: s.Section, StValue: s.Value, Size: s.Size, Bind: s.Bind, Type: s.Type, Other: s.Other}
	// STT_FILE tells only locals' unit, and not that of a hidden local: a
	// global the linker made local (ThinLTO's promoted NAME.llvm.DIGITS
	// among them), listed after every unit's own locals.
	if s.Bind == elf.STB_LOCAL && elf.ST_VISIBILITY(s.Other) != elf.STV_HIDDEN {
		sym.File = files.index(s.File)
	}
	return sym
}

// listingObject makes the vmlinux Object of a listing (filter mode). With an
// ELF file, each line takes section, size, binding and file from the symbol
// of the same name and value.
func listingObject(lines []listing.Line, width int, f *elfread.File) (*alias.Object, error) {
	obj := &alias.Object{Name: "vmlinux", Width: width}
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
		obj.Sections = make([]string, len(f.Sections))
		for i, s := range f.Sections {
			obj.Sections[i] = s.Name
		}
	}
	obj.Symbols = make([]alias.Symbol, len(lines))
	files := fileTable{}
	for i, l := range lines {
		if s := byKey[key{l.Name, l.Value}]; s != nil {
			obj.Symbols[i] = symbolOf(l, s, files)
			continue
		}
		obj.Symbols[i] = alias.Symbol{Line: l, StValue: l.Value}
		obj.Symbols[i].Bind, obj.Symbols[i].Type = guessBindType(l.Type)
	}
	obj.Files = files.names()
	return obj, nil
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
