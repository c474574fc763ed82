// Package plan holds the per-module plan: the alias symbols the scan decided
// to add to one module object, and the identity of the object it was made
// for, so that the rewrite step refuses a plan meant for another file.
package plan

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/elfwrite"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
)

// Format names this file format and its version (2: the identity is of the
// symbol tables, and symbols carry st_other).
const Format = "kas_alias-plan/2"

// Plan is the content of one plan file (JSON).
type Plan struct {
	Format string `json:"format"`
	// Module is the module's name: its file's basename without a
	// compression suffix ("configfs.ko" for configfs.ko.xz).
	Module string `json:"module"`
	// Identity is the module the plan was made for: what the plan depends
	// on, as Identity computes it.
	Identity string   `json:"symbols_sha256"`
	Symbols  []Symbol `json:"symbols"`
}

// Symbol is one alias to add: a copy of an existing symbol under a new name.
type Symbol struct {
	Name    string `json:"name"`
	Section uint32 `json:"section"` // section header index (SHN_XINDEX resolved)
	Value   uint64 `json:"value"`
	Size    uint64 `json:"size"`
	Bind    string `json:"bind"` // "local", "global" or "weak"
	Type    string `json:"type"` // "notype", "object", "func", "tls" or "gnu_ifunc"
	// Other is the original's st_other: visibility, and processor bits such
	// as ppc64 ELFv2's local entry offset, which a probe placed from the
	// alias needs. Left out when 0.
	Other uint8 `json:"other,omitempty"`
}

var binds = map[string]elf.SymBind{"local": elf.STB_LOCAL, "global": elf.STB_GLOBAL, "weak": elf.STB_WEAK}

var types = map[string]elf.SymType{
	"notype": elf.STT_NOTYPE, "object": elf.STT_OBJECT, "func": elf.STT_FUNC,
	"tls": elf.STT_TLS, "gnu_ifunc": elf.STT_GNU_IFUNC,
}

// BindName and TypeName give the plan's spelling of an ELF binding or type.
func BindName(b elf.SymBind) (string, error) { return nameOf(binds, b, "binding") }
func TypeName(t elf.SymType) (string, error) { return nameOf(types, t, "type") }

func nameOf[V comparable](m map[string]V, v V, what string) (string, error) {
	for k, x := range m {
		if x == v {
			return k, nil
		}
	}
	return "", fmt.Errorf("symbol %s %v cannot be aliased", what, v)
}

// ELFBind and ELFType parse the plan's spelling.
func (s Symbol) ELFBind() (elf.SymBind, error) { return valueOf(binds, s.Bind, "binding", s.Name) }
func (s Symbol) ELFType() (elf.SymType, error) { return valueOf(types, s.Type, "type", s.Name) }

func valueOf[V any](m map[string]V, k, what, name string) (V, error) {
	v, ok := m[k]
	if !ok {
		return v, fmt.Errorf("symbol %q: unknown %s %q", name, what, k)
	}
	return v, nil
}

// ELFSymbols are the plan's symbols as elfwrite adds them.
func (p *Plan) ELFSymbols() ([]elfwrite.Symbol, error) {
	out := make([]elfwrite.Symbol, len(p.Symbols))
	for i, s := range p.Symbols {
		b, err := s.ELFBind()
		if err != nil {
			return nil, err
		}
		t, err := s.ELFType()
		if err != nil {
			return nil, err
		}
		out[i] = elfwrite.Symbol{Name: s.Name, Section: s.Section, Value: s.Value, Size: s.Size, Bind: b, Type: t, Other: s.Other}
	}
	return out, nil
}

// ModuleName is the module name of a module file path.
func ModuleName(path string) string {
	name, _ := modfile.TrimCompression(filepath.Base(path))
	return name
}

// FileName is the name of the plan file for a module name.
func FileName(module string) string { return module + ".plan.json" }

// Identity is the sha256 of what a plan depends on in module f: its ELF
// header, section headers, symbol table, that table's string table and
// extended section indices. The scan decides from symbol tables alone, so a
// plan stays valid for a module whose other bytes differ (a new signature,
// a rebuild with the same layout), and no module is hashed whole.
func Identity(f *elfread.File) (string, error) {
	h := sha256.New()
	hdr := 52
	if f.Class == elf.ELFCLASS64 {
		hdr = 64
	}
	head := make([]byte, uint64(hdr)+f.SectionHeaderSize()*uint64(len(f.Sections)))
	if _, err := f.ReadAt(head[:hdr], 0); err != nil {
		return "", err
	}
	if _, err := f.ReadAt(head[hdr:], int64(f.Shoff)); err != nil {
		return "", err
	}
	h.Write(head)
	if st := f.Symtab(); st != 0 {
		for i, s := range f.Sections {
			if i == st || uint32(i) == f.Sections[st].Link || (s.Type == elf.SHT_SYMTAB_SHNDX && s.Link == uint32(st)) {
				data, err := f.SectionData(i)
				if err != nil {
					return "", err
				}
				h.Write(data)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Marshal encodes p deterministically: fields in declaration order, symbols
// in the order the scan chose.
func (p *Plan) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		panic(err) // only strings and integers: cannot fail
	}
	return b.Bytes()
}

// Write writes p to path atomically.
func (p *Plan) Write(path string) error { return atomicfile.WriteFile(path, p.Marshal()) }

// Read reads and checks a plan file.
func Read(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: not a plan file: %v", path, err)
	}
	if p.Format != Format {
		return nil, fmt.Errorf("%s: plan format %q, want %q", path, p.Format, Format)
	}
	for _, s := range p.Symbols {
		if _, err := s.ELFBind(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if _, err := s.ELFType(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return &p, nil
}

// Check fails unless p was made for module f, read from path.
func (p *Plan) Check(path string, f *elfread.File) error {
	if name := ModuleName(path); name != p.Module {
		return fmt.Errorf("%s: plan is for module %s, not %s", path, p.Module, name)
	}
	id, err := Identity(f)
	if err != nil {
		return err
	}
	if id != p.Identity {
		return fmt.Errorf("%s: plan was made for another version of %s (symbols sha256 %s, file has %s); run the scan again", path, p.Module, p.Identity, id)
	}
	return nil
}
