package kernel

import (
	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// indexLocator answers from an open srcindex.Index, lazily: vmlinux's DWARF
// is large and only duplicates are looked up.
type indexLocator struct{ x *srcindex.Index }

func addr(s *alias.Symbol) srcindex.Addr { return srcindex.Addr{Section: s.Section, Value: s.Value} }

func (l indexLocator) HasDWARF() bool            { return l.x.HasDWARF() }
func (l indexLocator) TU(s *alias.Symbol) string { return l.x.TU(addr(s)) }

func (l indexLocator) Locate(syms []*alias.Symbol) ([]alias.Location, error) {
	addrs := make([]srcindex.Addr, len(syms))
	for i, s := range syms {
		addrs[i] = addr(s)
	}
	locs, err := l.x.Locate(addrs)
	if err != nil {
		return nil, err
	}
	out := make([]alias.Location, len(locs))
	for i, loc := range locs {
		out[i] = alias.Location{TU: loc.TU, File: loc.File, Line: loc.Line}
	}
	return out, nil
}

// tableLocator holds the locations of a module's symbols, looked up while
// the module was open (it is closed before the scan chooses): every symbol
// the scheme might alias.
type tableLocator map[srcindex.Addr]alias.Location

func (t tableLocator) HasDWARF() bool            { return true }
func (t tableLocator) TU(s *alias.Symbol) string { return t[addr(s)].TU }

func (t tableLocator) Locate(syms []*alias.Symbol) ([]alias.Location, error) {
	out := make([]alias.Location, len(syms))
	for i, s := range syms {
		out[i] = t[addr(s)]
	}
	return out, nil
}

// locateAll looks up, in x, the symbols of obj that opts could alias: code,
// and data with opts.Data; lines only under srcline. nil without DWARF or
// under counter, which needs no location.
func locateAll(x *srcindex.Index, obj *alias.Object, opts alias.Options) (alias.Locator, error) {
	if !x.HasDWARF() || opts.Scheme == alias.Counter {
		return nil, nil
	}
	var cands []*alias.Symbol
	for i := range obj.Symbols {
		if s := &obj.Symbols[i]; s.Text() || opts.Data {
			cands = append(cands, s)
		}
	}
	t := make(tableLocator, len(cands))
	if opts.Scheme != alias.Srcline {
		for _, s := range cands {
			if tu := x.TU(addr(s)); tu != "" {
				t[addr(s)] = alias.Location{TU: tu}
			}
		}
		return t, nil
	}
	locs, err := indexLocator{x}.Locate(cands)
	if err != nil {
		return nil, err
	}
	for i, s := range cands {
		t[addr(s)] = locs[i]
	}
	return t, nil
}
