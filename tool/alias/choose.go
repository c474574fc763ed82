package alias

import (
	"cmp"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/internal/parallel"

	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// Scheme is how alias names are made.
type Scheme string

const (
	// Counter appends "__N", N one counter over alias lines in listing
	// order (the form of the first kas_alias series).
	Counter Scheme = "counter"
	// Srcline appends "@" and the sanitised "path:line" of the symbol's
	// address (the form of the last published series).
	Srcline Scheme = "srcline"
	// TU appends "@" and the path of the symbol's translation unit: unique
	// for statics, and stable across unrelated edits.
	TU Scheme = "tu"
)

// Schemes lists the schemes for usage messages.
const Schemes = "tu, srcline or counter"

// ParseScheme parses a scheme name; "" means Default.
func ParseScheme(s string) (Scheme, error) {
	switch sc := Scheme(s); sc {
	case "", Counter, Srcline, TU:
		return sc, nil
	}
	return "", fmt.Errorf("unknown naming scheme %q (want %s)", s, Schemes)
}

// MaxName is the longest symbol name scripts/kallsyms accepts (it rejects
// names of KSYM_NAME_LEN = 512 bytes or more).
const MaxName = 511

// Options control selection and naming.
type Options struct {
	Scheme Scheme // "" picks tu where DWARF or STT_FILE symbols exist, else counter
	Data   bool   // tu and srcline: alias data symbols too, not only code
	// Mksysmap is the scripts/mksysmap of the kernel scanned: only the
	// symbols it keeps reach kallsyms, so only they count as duplicates.
	Mksysmap listing.Rules
}

// Alias is one alias line: a new name for one symbol of one object.
type Alias struct {
	Name   string
	Object *Object
	Symbol *Symbol
	TU     string // translation unit, when known
	File   string // source file of the address, when known
	Line   int
	// Probe is a kprobe location that reaches the symbol on a kernel built
	// without aliases: "_text+0xOFF" (vmlinux code), "MOD:SYM+0xOFF"
	// (module code); "" for data or where no base symbol exists.
	Probe string
}

// Result is the outcome of a scan.
type Result struct {
	Scheme  Scheme
	Objects []*Object
	Aliases []Alias // in listing order: objects in order, symbols in nm -n order
	// Duplicates counts the names at more than one address.
	Duplicates int
	// Unlocated counts selected symbols left without alias because their
	// location is unknown (no DWARF line or translation unit).
	Unlocated int
	bySymbol  map[*Symbol]*Alias
	byObject  map[*Object][]int // indices into Aliases
}

// Choose finds the duplicated names across objs and names their aliases.
func Choose(objs []*Object, opts Options) (*Result, error) {
	r := &Result{Scheme: opts.Scheme, Objects: objs}
	if r.Scheme == "" {
		r.Scheme = defaultScheme(objs)
	}
	prepare(objs, opts.Mksysmap)
	idx := buildIndex(objs)
	r.Duplicates = idx.duplicates()
	cands := make([][]*Symbol, len(objs))
	parallel.ForEach(len(objs), runtime.GOMAXPROCS(0), false, func(i int) error {
		o := objs[i]
		for si := range o.Symbols {
			s := &o.Symbols[si]
			if !o.countable[si] || !selected(r.Scheme, opts.Data, o, s) {
				continue
			}
			if e := idx.lookup(cName(s.Name), o.hashes[si]); e.dup {
				cands[i] = append(cands[i], s)
			}
		}
		// Aliases follow listing order (module symbols are not sorted).
		slices.SortStableFunc(cands[i], func(a, b *Symbol) int { return listing.Compare(&a.Line, &b.Line) })
		return nil
	})
	for i, o := range objs {
		if err := r.name(o, cands[i]); err != nil {
			return nil, err
		}
	}
	r.unique(idx)
	r.bySymbol = make(map[*Symbol]*Alias, len(r.Aliases))
	r.byObject = make(map[*Object][]int)
	bases := map[*Object]*probeBases{}
	for i := range r.Aliases {
		a := &r.Aliases[i]
		r.byObject[a.Object] = append(r.byObject[a.Object], i)
		if a.Object.Module && bases[a.Object] == nil {
			bases[a.Object] = newProbeBases(a.Object)
		}
		a.Probe = probe(a.Object, a.Symbol, bases[a.Object])
		r.bySymbol[a.Symbol] = a
	}
	return r, r.verify(idx)
}

// defaultScheme is tu where some object can tell translation units.
func defaultScheme(objs []*Object) Scheme {
	for _, o := range objs {
		if o.Source != nil && o.Source.HasDWARF() {
			return TU
		}
		for i := range o.Symbols {
			if o.Symbols[i].File != 0 {
				return TU
			}
		}
	}
	return Counter
}

// countable reports whether a symbol takes part in duplicate detection: a
// defined symbol that scripts/mksysmap keeps (so it reaches kallsyms), in
// an allocated section, and not module boilerplate that every module has.
func countable(rules listing.Rules, o *Object, s *Symbol) bool {
	if !s.defined() || s.Line.Type == 'n' || !rules.Keep(&s.Line) {
		return false
	}
	return !o.Module || !moduleBoilerplate(s.Name)
}

func moduleBoilerplate(name string) bool {
	switch strings.TrimPrefix(strings.TrimPrefix(name, "__pfx_"), "__cfi_") {
	case "__this_module", "init_module", "cleanup_module":
		return true
	}
	return strings.HasPrefix(name, "__UNIQUE_ID_")
}

// cName is the name a symbol has in C. Clang's LTO renames a static
// function it must make visible to other units NAME.llvm.<digits>; Linux
// before 6.11 strips the suffix in kallsyms (scripts/kallsyms,
// cleanup_symbol_name), so such a name duplicates the other NAMEs there,
// and since 6.11 the suffix stays, so a user who knows NAME and its file
// finds it by neither. Both ways, the duplicate is the C name's, and so is
// the alias (s_show@kernel/kallsyms.c for s_show.llvm.8812).
func cName(name string) string {
	// From the end: most names end in no digit and cost one comparison.
	j := len(name)
	for j > 0 && name[j-1] >= '0' && name[j-1] <= '9' {
		j--
	}
	const suffix = ".llvm."
	if j == len(name) || j <= len(suffix) || name[j-len(suffix):j] != suffix {
		return name
	}
	return name[:j-len(suffix)]
}

// compilerStatic matches names gcc gives function-local statics and switch
// tables (__func__.0, CSWTCH.12, __key.4), which carry no meaning to probe.
var compilerStatic = regexp.MustCompile(`^[^.]+\.[0-9]+$|^_note_[0-9]+$`)

// selected reports whether a duplicated symbol gets an alias under scheme.
func selected(scheme Scheme, data bool, o *Object, s *Symbol) bool {
	if o.Module {
		sec := o.section(s.Section)
		if strings.HasPrefix(sec, ".init") || strings.HasPrefix(sec, ".exit") {
			return false // freed after init, or never loaded
		}
	}
	if scheme == Counter {
		return true
	}
	for _, p := range []string{"__pfx_", "__cfi_", ".L", "__UNIQUE_ID_"} {
		if strings.HasPrefix(s.Name, p) {
			return false
		}
	}
	if s.Text() {
		return true
	}
	return data && !compilerStatic.MatchString(s.Name)
}

// name gives each candidate of o its alias name (before uniqueness).
func (r *Result) name(o *Object, cands []*Symbol) error {
	var locs []Location
	if r.Scheme == Srcline && o.Source != nil && o.Source.HasDWARF() {
		var err error
		if locs, err = o.Source.Locate(cands); err != nil {
			return err
		}
	}
	for i, s := range cands {
		a := Alias{Object: o, Symbol: s}
		switch r.Scheme {
		case Counter:
			a.Name = cName(s.Name) + "__" + strconv.Itoa(len(r.Aliases)+1)
		case Srcline:
			if locs == nil || locs[i].File == "" || locs[i].Line == 0 {
				r.Unlocated++
				continue
			}
			a.TU, a.File, a.Line = locs[i].TU, locs[i].File, locs[i].Line
			a.Name = cName(s.Name) + "@" + sanitize(a.File+":"+strconv.Itoa(a.Line), false)
		case TU:
			a.TU = translationUnit(o, s)
			unit := a.TU
			if unit == "" && o.Module {
				// Distribution modules keep neither DWARF nor STT_FILE
				// symbols: the module is the unit that tells them apart.
				unit = kernelModName(o.Name)
			}
			if unit == "" {
				r.Unlocated++
				continue
			}
			a.Name = cName(s.Name) + "@" + sanitize(unit, true)
		}
		r.Aliases = append(r.Aliases, a)
	}
	return nil
}

// translationUnit is the DWARF compile unit of s, else its STT_FILE name.
func translationUnit(o *Object, s *Symbol) string {
	if o.Source != nil && o.Source.HasDWARF() {
		if tu := o.Source.TU(s); tu != "" {
			return tu
		}
	}
	return o.file(s)
}

// sanitize makes a location safe in a symbol name: every byte that is not
// a letter or digit becomes '_' (the last published series' rule), except
// that paths keep '/' and '.' (readable, and neither means anything to
// kprobe_events, while '-', '+' and ':' do).
func sanitize(loc string, path bool) string {
	b := []byte(loc)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case path && (c == '/' || c == '.'):
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// unique makes every alias name distinct from every other alias and from
// every symbol name, with a "__N" suffix where two would collide, and keeps
// names within MaxName. Deterministic: suffixes follow listing order.
func (r *Result) unique(idx *nameIndex) {
	used := make(map[string]bool, len(r.Aliases))
	taken := func(name string) bool { return used[name] || idx.has(name) }
	count := make(map[string]int, len(r.Aliases))
	for i := range r.Aliases {
		a := &r.Aliases[i]
		a.Name = fit(cName(a.Symbol.Name), a.Name, "")
		count[a.Name]++
	}
	kept := r.Aliases[:0]
	for _, a := range r.Aliases {
		if a.Name == "" {
			r.Unlocated++ // the original name alone is too long for kallsyms
			continue
		}
		if count[a.Name] > 1 || taken(a.Name) {
			base := a.Name
			for n := 1; ; n++ {
				cand := fit(cName(a.Symbol.Name), base, "__"+strconv.Itoa(n))
				if !taken(cand) && count[cand] == 0 {
					a.Name = cand
					break
				}
			}
		}
		used[a.Name] = true
		kept = append(kept, a)
	}
	r.Aliases = kept
}

// fit returns alias+suffix, shortened to MaxName bytes by dropping the
// start of the part after the original name (the end of a path is the
// telling part); "" if even the original name and suffix do not fit.
func fit(orig, alias, suffix string) string {
	if len(alias)+len(suffix) <= MaxName {
		return alias + suffix
	}
	head := len(orig) + 1 // the original name and '@'
	room := MaxName - len(suffix) - head
	if room <= 0 || !strings.HasPrefix(alias, orig+"@") {
		return ""
	}
	return alias[:head] + alias[len(alias)-room:] + suffix
}

// verify checks what every consumer relies on, independently of how unique
// got there: no alias repeats or is a symbol's name, and each fits kallsyms.
func (r *Result) verify(idx *nameIndex) error {
	mine := make(map[string]bool, len(r.Aliases))
	for _, a := range r.Aliases {
		if idx.has(a.Name) || mine[a.Name] || len(a.Name) > MaxName || a.Name == "" {
			return fmt.Errorf("internal error: alias %q of %s in %s is not unique or too long", a.Name, a.Symbol.Name, a.Object.Name)
		}
		mine[a.Name] = true
	}
	return nil
}

// probe returns a kprobe location for s that works without aliases; bases
// are its module's probe bases (nil for vmlinux).
func probe(o *Object, s *Symbol, bases *probeBases) string {
	if !s.Text() {
		return ""
	}
	if !o.Module {
		if !o.hasText || s.Value < o.text {
			return ""
		}
		return fmt.Sprintf("_text+0x%x", s.Value-o.text)
	}
	base := bases.of(s)
	if base == nil {
		return ""
	}
	mod := kernelModName(o.Name)
	if off := s.Value - base.Value; off != 0 {
		return fmt.Sprintf("%s:%s+0x%x", mod, base.Name, off)
	}
	return mod + ":" + base.Name
}

// probeBases finds, for a symbol of a module, the nearest symbol at or
// before it in its section whose name is unique within the module, so that
// "MOD:base+off" is unambiguous: the module's uniquely named defined
// symbols in (section, value) order, searched by bisection. Names are
// counted by their hashes, and by the names themselves only where a hash
// is seen twice (a name defined twice, or two names that share a hash).
type probeBases struct {
	byHash map[uint64]int32
	byName map[string]int32
	sorted []*Symbol
}

func newProbeBases(o *Object) *probeBases {
	b := &probeBases{byHash: make(map[uint64]int32, len(o.Symbols)), byName: map[string]int32{}}
	for i := range o.Symbols {
		if o.Symbols[i].defined() {
			b.byHash[o.hashes[i]]++
		}
	}
	for i := range o.Symbols {
		if s := &o.Symbols[i]; s.defined() && b.byHash[o.hashes[i]] > 1 {
			b.byName[s.Name]++
		}
	}
	for i := range o.Symbols {
		if s := &o.Symbols[i]; s.defined() && b.unique(s.Name, o.hashes[i]) {
			b.sorted = append(b.sorted, s)
		}
	}
	// At one address the bytewise-smallest name is taken (it sorts last
	// here), so the choice does not depend on symbol-table order.
	slices.SortFunc(b.sorted, func(x, y *Symbol) int {
		if c := cmp.Compare(x.Section, y.Section); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Value, y.Value); c != 0 {
			return c
		}
		return strings.Compare(y.Name, x.Name)
	})
	return b
}

// unique reports whether one defined symbol of the module is named name.
func (b *probeBases) unique(name string, h uint64) bool {
	switch b.byHash[h] {
	case 0:
		return false
	case 1:
		return true
	}
	return b.byName[name] == 1
}

// of returns the base for s, nil if none.
func (b *probeBases) of(s *Symbol) *Symbol {
	if b.unique(s.Name, hashName(cName(s.Name))) {
		return s
	}
	// The last entry at or before (section, value).
	i, _ := slices.BinarySearchFunc(b.sorted, s, func(x, t *Symbol) int {
		if x.Section != t.Section {
			return cmp.Compare(x.Section, t.Section)
		}
		if x.Value <= t.Value {
			return -1
		}
		return 1
	})
	if i == 0 || b.sorted[i-1].Section != s.Section {
		return nil
	}
	return b.sorted[i-1]
}
