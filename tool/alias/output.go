package alias

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// Listing returns o's listing with each alias line right after its
// original: same address and type, so address-to-name lookups (which take
// the first entry at an address) still print the original name.
func (r *Result) Listing(o *Object, keep func(*listing.Line) bool) []listing.Line {
	lines := make([]listing.Line, 0, len(o.Symbols)+len(r.Aliases))
	for i := range o.Symbols {
		s := &o.Symbols[i]
		if keep != nil && !keep(&s.Line) {
			continue
		}
		lines = append(lines, s.Line)
		if a := r.bySymbol[s]; a != nil {
			lines = append(lines, listing.Line{Value: s.Value, Type: s.Line.Type, Name: a.Name})
		}
	}
	return lines
}

// MapColumns are the alias map's TSV columns, in order (docs/alias-map.md).
var MapColumns = []string{"alias", "name", "object", "section", "value", "type", "tu", "srcline", "kprobe", "traceable", "sympos"}

// MapEntry is one alias map row; the JSON form uses these field names, and
// every value is a string ("" where there is none).
type MapEntry struct {
	Alias     string `json:"alias"`
	Name      string `json:"name"`
	Object    string `json:"object"`
	Section   string `json:"section"`
	Value     string `json:"value"`
	Type      string `json:"type"`
	TU        string `json:"tu"`
	Srcline   string `json:"srcline"`
	Kprobe    string `json:"kprobe"`
	Traceable string `json:"traceable"`
	Sympos    string `json:"sympos"`
}

// fields are e's values in MapColumns order.
func (e *MapEntry) fields() []*string {
	return []*string{&e.Alias, &e.Name, &e.Object, &e.Section, &e.Value, &e.Type, &e.TU, &e.Srcline, &e.Kprobe, &e.Traceable, &e.Sympos}
}

func (r *Result) entries() []MapEntry {
	traceable, sympos := r.traceable(), r.sympos()
	out := make([]MapEntry, len(r.Aliases))
	for i, a := range r.Aliases {
		e := MapEntry{
			Alias:     a.Name,
			Name:      a.Symbol.Name,
			Object:    a.Object.Name,
			Section:   a.Object.section(a.Symbol.Section),
			Value:     fmt.Sprintf("%0*x", a.Object.Width, a.Symbol.Value),
			Type:      string(a.Symbol.Line.Type),
			TU:        a.TU,
			Kprobe:    a.Probe,
			Traceable: string(traceable[i]),
		}
		if a.File != "" {
			e.Srcline = a.File + ":" + strconv.Itoa(a.Line)
		}
		if sympos[i] > 0 {
			e.Sympos = strconv.Itoa(sympos[i])
		}
		out[i] = e
	}
	return out
}

// WriteMapTSV writes the alias map as tab-separated values with a header.
func (r *Result) WriteMapTSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, strings.Join(MapColumns, "\t")); err != nil {
		return err
	}
	row := make([]string, len(MapColumns))
	for _, e := range r.entries() {
		for i, v := range e.fields() {
			row[i] = *v
		}
		if _, err := fmt.Fprintln(w, strings.Join(row, "\t")); err != nil {
			return err
		}
	}
	return nil
}

// MapFormat names the JSON alias map's format and version.
const MapFormat = "kas_alias-map/2"

// WriteMapJSON writes the alias map as one JSON document.
func (r *Result) WriteMapJSON(w io.Writer) error {
	doc := mapDoc{MapFormat, r.Scheme, r.entries()}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// mapDoc is the JSON alias map.
type mapDoc struct {
	Format  string     `json:"format"`
	Scheme  Scheme     `json:"scheme"`
	Aliases []MapEntry `json:"aliases"`
}

// Plan returns the plan of module o: its aliases as symbols to add.
func (r *Result) Plan(o *Object) (*plan.Plan, error) {
	p := &plan.Plan{Format: plan.Format, Module: o.Name, Identity: o.Identity, Symbols: []plan.Symbol{}}
	for _, ai := range r.byObject[o] {
		a := &r.Aliases[ai]
		s := a.Symbol
		bind, err := plan.BindName(aliasBind(s))
		if err == nil {
			var typ string
			if typ, err = plan.TypeName(s.Type); err == nil {
				p.Symbols = append(p.Symbols, plan.Symbol{
					Name: a.Name, Section: s.Section, Value: s.StValue, Size: s.Size, Bind: bind, Type: typ, Other: s.Other,
				})
				continue
			}
		}
		return nil, fmt.Errorf("%s: %s: %v", o.Name, s.Name, err)
	}
	return p, nil
}

// aliasBind is the binding of an alias: local for a lowercase letter (so it
// never clashes at link time), the original's binding otherwise.
func aliasBind(s *Symbol) elf.SymBind {
	if s.Line.Type >= 'a' && s.Line.Type <= 'z' {
		return elf.STB_LOCAL
	}
	return s.Bind
}
