package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// mapRow is one alias of the map (docs/alias-map.md), TSV and JSON alike.
type mapRow struct {
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

type planFile struct {
	Module  string       `json:"module"`
	Symbols []planSymbol `json:"symbols"`
}

type planSymbol struct {
	Name    string `json:"name"`
	Section uint32 `json:"section"`
	Value   uint64 `json:"value"`
	Size    uint64 `json:"size"`
	Bind    string `json:"bind"`
	Type    string `json:"type"`
}

// module is one module of the scan, as the checks read it.
type module struct {
	name string // as in plans and the map: the file name without .xz
	obj  *object
	nm   []nmLine // GNU nm -n's listing
}

// place is where a symbol is: an address of vmlinux (obj -1), or a section
// and offset of a module.
type place struct {
	obj     int
	section uint32
	value   uint64
}

// candidate is a symbol that must get an alias.
type candidate struct {
	place
	name string
}

// cmdUnique verifies a scan's outputs without the engine: from GNU nm's
// listings, System.map and debug/elf it finds the duplicated names and the
// symbols that must get an alias (docs/naming.md, "Which symbols"), and
// checks that the listing, the map (TSV and JSON) and the plans give
// exactly those aliases, each unique, at its original's place.
func cmdUnique(args []string) error {
	fs := flag.NewFlagSet("unique", flag.ExitOnError)
	vmlinuxPath := fs.String("vmlinux", "", "vmlinux (ELF)")
	vmlinuxNM := fs.String("vmlinux-nm", "", "GNU nm -n listing of vmlinux")
	sysmap := fs.String("system-map", "", "the kernel's System.map")
	version := fs.String("mksysmap", "", "scripts/mksysmap rules: 6.1 or 6.4")
	modList := fs.String("modules", "", "NAME<TAB>ELF<TAB>GNU-NM-LISTING lines, in scan order")
	symsPath := fs.String("syms", "", "the scan's --syms")
	tsvPath := fs.String("map-tsv", "", "the scan's --map-tsv")
	jsonPath := fs.String("map-json", "", "the scan's --map-json")
	planDir := fs.String("plan-dir", "", "the scan's --plan-dir (with -modules)")
	scanLog := fs.String("scan-log", "", "the scan's -v summary on stderr")
	scheme := fs.String("scheme", "tu", "the scheme the scan was asked for")
	fs.Parse(args)
	if *version != "6.1" && *version != "6.4" {
		return fmt.Errorf("-mksysmap must be 6.1 or 6.4")
	}

	// vmlinux: GNU nm's listing, checked against System.map with the
	// kernel's own filter, and its ELF symbols for sections and types.
	b, err := os.ReadFile(*vmlinuxNM)
	if err != nil {
		return err
	}
	vm, err := parseNM(b, *vmlinuxNM)
	if err != nil {
		return err
	}
	var kept bytes.Buffer
	for _, l := range vm {
		if keptBySysmap(*version, l.letter, l.name) {
			kept.WriteString(l.raw + "\n")
		}
	}
	sm, err := os.ReadFile(*sysmap)
	if err != nil {
		return err
	}
	if !bytes.Equal(kept.Bytes(), sm) {
		return fmt.Errorf("the oracle's scripts/mksysmap %s rules over nm -n vmlinux differ from %s at %s", *version, *sysmap, lineDiff(sm, kept.Bytes()))
	}
	fmt.Printf("mksysmap: nm -n vmlinux filtered by scripts/mksysmap's %s rules is System.map (%d of %d lines)\n", *version, bytes.Count(sm, []byte("\n")), len(vm))
	vobj, err := readObject(*vmlinuxPath)
	if err != nil {
		return err
	}
	type nameValue struct {
		name  string
		value uint64
	}
	vmSections := map[nameValue][]string{}
	vmFunc := map[nameValue]bool{}
	for _, s := range vobj.syms {
		if s.letter == 0 || s.section == 0 || s.section >= uint32(elf.SHN_LORESERVE) {
			continue
		}
		k := nameValue{s.name, s.value}
		vmSections[k] = append(vmSections[k], vobj.secNames[s.section])
		if s.typ == elf.STT_FUNC {
			vmFunc[k] = true
		}
	}
	textAddr := uint64(0)
	for _, l := range vm {
		if l.name == "_text" {
			textAddr = l.value
		}
	}

	// Modules: debug/elf's symbols with nm's letters, checked against GNU
	// nm's listing of each.
	var mods []module
	if *modList != "" {
		rows, err := readTable(*modList, 3)
		if err != nil {
			return err
		}
		mods = make([]module, len(rows))
		p := &problems{name: "unique: module symbols as GNU nm lists them"}
		parallel(len(rows), func(i int) {
			r := rows[i]
			o, err := readObject(r[1])
			if err != nil {
				p.add("%v", err)
				return
			}
			b, err := os.ReadFile(r[2])
			if err != nil {
				p.add("%v", err)
				return
			}
			l, err := parseNM(b, r[2])
			if err != nil {
				p.add("%v", err)
				return
			}
			mods[i] = module{name: r[0], obj: o, nm: l}
			want, got := sortedLines(b), o.nmLines(16)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				p.add("%s: debug/elf's symbols with BFD's letters are not nm -n's lines: %s", r[1], lineDiff([]byte(strings.Join(want, "\n")), []byte(strings.Join(got, "\n"))))
			}
		})
		if err := p.err(); err != nil {
			return err
		}
	}

	// Every name of every object (undefined ones too): no alias may be one.
	names := map[string]bool{}
	for _, l := range vm {
		names[l.name] = true
	}
	for _, m := range mods {
		for _, l := range m.nm {
			names[l.name] = true
		}
	}

	// Duplicated names: countable symbols at two places or more.
	type nameInfo struct {
		first place
		dup   bool
	}
	index := map[string]*nameInfo{}
	count := func(name string, p place) {
		switch info := index[name]; {
		case info == nil:
			index[name] = &nameInfo{first: p}
		case info.first != p:
			info.dup = true
		}
	}
	countable := func(letter byte, name string, inModule bool) bool {
		switch letter {
		case 'U', 'w', 'v', 'n':
			return false
		}
		return keptBySysmap(*version, letter, name) && !(inModule && boilerplate(name))
	}
	for _, l := range vm {
		if countable(l.letter, l.name, false) {
			count(l.name, place{-1, 0, l.value})
		}
	}
	for i, m := range mods {
		for _, s := range m.obj.syms {
			if s.letter != 0 && countable(s.letter, s.name, true) {
				count(s.name, place{i, s.section, s.value})
			}
		}
	}
	dups := 0
	for _, info := range index {
		if info.dup {
			dups++
		}
	}
	// The members that must get an alias (tu and srcline: code only).
	skipPrefix := func(name string) bool {
		for _, p := range []string{"__pfx_", "__cfi_", ".L", "__UNIQUE_ID_"} {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	cands := map[candidate]int{}
	ncands := 0
	want := func(c candidate) {
		cands[c]++
		ncands++
	}
	for _, l := range vm {
		info := index[l.name]
		if info == nil || !info.dup || !countable(l.letter, l.name, false) || skipPrefix(l.name) {
			continue
		}
		if l.letter == 't' || l.letter == 'T' || l.letter == 'W' && vmFunc[nameValue{l.name, l.value}] {
			want(candidate{place{-1, 0, l.value}, l.name})
		}
	}
	for i, m := range mods {
		for _, s := range m.obj.syms {
			info := index[s.name]
			if s.letter == 0 || info == nil || !info.dup || !countable(s.letter, s.name, true) || skipPrefix(s.name) {
				continue
			}
			sec := m.obj.secNames[s.section]
			if strings.HasPrefix(sec, ".init") || strings.HasPrefix(sec, ".exit") {
				continue
			}
			if s.letter == 't' || s.letter == 'T' || s.letter == 'W' && s.typ == elf.STT_FUNC {
				want(candidate{place{i, s.section, s.value}, s.name})
			}
		}
	}

	// The map, TSV and JSON, row for row.
	rows, err := readTable(*tsvPath, 11)
	if err != nil {
		return err
	}
	if len(rows) == 0 || strings.Join(rows[0], "\t") != "alias\tname\tobject\tsection\tvalue\ttype\ttu\tsrcline\tkprobe\ttraceable\tsympos" {
		return fmt.Errorf("%s: no header line", *tsvPath)
	}
	rows = rows[1:]
	jb, err := os.ReadFile(*jsonPath)
	if err != nil {
		return err
	}
	var doc struct {
		Scheme  string   `json:"scheme"`
		Aliases []mapRow `json:"aliases"`
	}
	if err := json.Unmarshal(jb, &doc); err != nil {
		return fmt.Errorf("%s: %v", *jsonPath, err)
	}
	pmap := &problems{name: "map: TSV and JSON"}
	if doc.Scheme != *scheme {
		pmap.add("%s: scheme %q, asked for %q", *jsonPath, doc.Scheme, *scheme)
	}
	if len(doc.Aliases) != len(rows) {
		pmap.add("%s has %d aliases, %s %d", *jsonPath, len(doc.Aliases), *tsvPath, len(rows))
	}
	aliases := make([]mapRow, len(rows))
	for i, r := range rows {
		aliases[i] = mapRow{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10]}
		if i < len(doc.Aliases) && doc.Aliases[i] != aliases[i] {
			pmap.add("alias %d: TSV %+v, JSON %+v", i+1, aliases[i], doc.Aliases[i])
		}
	}

	// Uniqueness: no alias at two places, none a symbol's name; each is the
	// original's name and '@' (tu, srcline) and fits kallsyms.
	puniq := &problems{name: "unique"}
	seen := map[string]int{}
	for i, a := range aliases {
		if j, ok := seen[a.Alias]; ok {
			puniq.add("alias %q twice: %+v and %+v", a.Alias, aliases[j], a)
		}
		seen[a.Alias] = i
		if names[a.Alias] {
			puniq.add("alias %q of %s in %s is the name of a symbol", a.Alias, a.Name, a.Object)
		}
		if len(a.Alias) >= 512 || !strings.HasPrefix(a.Alias, a.Name+"@") {
			puniq.add("alias %q of %s in %s: not %s@... under 512 bytes", a.Alias, a.Name, a.Object, a.Name)
		}
	}

	// Every alias is a candidate, and each candidate gets one alias.
	pcand := &problems{name: "aliases are the duplicated code symbols"}
	take := func(c candidate, a mapRow) {
		if cands[c] == 0 {
			pcand.add("alias %q: %s in %s is not a duplicated code symbol that needs one (or got two)", a.Alias, a.Name, a.Object)
			return
		}
		cands[c]--
	}

	// vmlinux: the listing is GNU nm's with each alias line right after its
	// original, at the original's address and type.
	var vmAliases []mapRow
	modAliases := map[string][]mapRow{}
	for _, a := range aliases {
		if a.Object == "vmlinux" {
			vmAliases = append(vmAliases, a)
		} else {
			modAliases[a.Object] = append(modAliases[a.Object], a)
		}
	}
	// sympos (livepatch's old_sympos): a vmlinux symbol's position among
	// those of its name in kallsyms, which is System.map's order.
	smPos := map[nameValue]int{}
	smCount := map[string]int{}
	smLines, err := parseNM(sm, *sysmap)
	if err != nil {
		return err
	}
	for _, l := range smLines {
		smCount[l.name]++
		smPos[nameValue{l.name, l.value}] = smCount[l.name]
	}
	psympos := &problems{name: "sympos: kallsyms positions (System.map; module symbol tables)"}
	nsympos := 0
	checkSympos := func(a mapRow, want int) {
		w := ""
		if want > 0 {
			w = fmt.Sprint(want)
			nsympos++
		}
		if a.Sympos != w {
			psympos.add("map row %+v: sympos %q, want %q", a, a.Sympos, w)
		}
	}
	psyms := &problems{name: "syms: GNU nm -n vmlinux with each alias right after its original"}
	sb, err := os.ReadFile(*symsPath)
	if err != nil {
		return err
	}
	syms, err := parseNM(sb, *symsPath)
	if err != nil {
		return err
	}
	next, ai := 0, 0
	for i, l := range syms {
		if next < len(vm) && l.raw == vm[next].raw {
			next++
			continue
		}
		if ai >= len(vmAliases) || l.name != vmAliases[ai].Alias {
			psyms.add("%s:%d: %q is neither nm -n's next line %q nor the next vmlinux alias of the map", *symsPath, i+1, l.raw, lineAt(vm, next))
			break
		}
		a := vmAliases[ai]
		ai++
		orig := lineAt(syms, i-1)
		if i == 0 || syms[i-1].name != a.Name || syms[i-1].value != l.value || syms[i-1].letter != l.letter {
			psyms.add("%s:%d: alias %q follows %q, not its original %s", *symsPath, i+1, l.raw, orig, a.Name)
		}
		if a.Value != fmt.Sprintf("%016x", l.value) || a.Type != string(l.letter) {
			psyms.add("map row %+v: listing has %q", a, l.raw)
		}
		if !slices.Contains(vmSections[nameValue{a.Name, l.value}], a.Section) {
			psyms.add("map row %+v: no symbol %s in section %s at %016x (ELF has %v)", a, a.Name, a.Section, l.value, vmSections[nameValue{a.Name, l.value}])
		}
		if off, ok := strings.CutPrefix(a.Kprobe, "_text+0x"); !ok || textAddr+parseHex(off) != l.value {
			psyms.add("map row %+v: kprobe is not _text+0x%x", a, l.value-textAddr)
		}
		checkSympos(a, smPos[nameValue{a.Name, l.value}])
		take(candidate{place{-1, 0, l.value}, a.Name}, a)
	}
	if psyms.n == 0 && (next != len(vm) || ai != len(vmAliases)) {
		psyms.add("%s: %d of %d nm -n lines and %d of %d vmlinux aliases of the map", *symsPath, next, len(vm), ai, len(vmAliases))
	}

	// Modules: each plan adds exactly its module's aliases of the map, at a
	// symbol of the original name in the planned section and value.
	pplan := &problems{name: "plans: each alias at its original's section and value"}
	nplanned, withAliases, emptyProbe := 0, 0, 0
	for i, m := range mods {
		pb, err := os.ReadFile(filepath.Join(*planDir, m.name+".plan.json"))
		if err != nil {
			pplan.add("%v", err)
			continue
		}
		var pl planFile
		if err := json.Unmarshal(pb, &pl); err != nil {
			pplan.add("%s.plan.json: %v", m.name, err)
			continue
		}
		rows := modAliases[m.name]
		delete(modAliases, m.name)
		if pl.Module != m.name || len(pl.Symbols) != len(rows) {
			pplan.add("%s.plan.json: module %q with %d symbols; the map has %d aliases in %s", m.name, pl.Module, len(pl.Symbols), len(rows), m.name)
			continue
		}
		nplanned += len(pl.Symbols)
		if len(pl.Symbols) > 0 {
			withAliases++
		}
		if len(pl.Symbols) == 0 {
			continue
		}
		at, defined := m.obj.index()
		for j, ps := range pl.Symbols {
			a := rows[j]
			if ps.Name != a.Alias {
				pplan.add("%s.plan.json: symbol %d is %q, the map's alias %d of %s is %q", m.name, j, ps.Name, j, m.name, a.Alias)
				continue
			}
			orig := at[symKey{a.Name, ps.Section, ps.Value}]
			if orig == nil {
				pplan.add("%s: plan puts %q at section %d value %#x, where no symbol %s is", m.name, ps.Name, ps.Section, ps.Value, a.Name)
				continue
			}
			bind := "local"
			if orig.letter < 'a' {
				bind = strings.ToLower(strings.TrimPrefix(orig.bind.String(), "STB_"))
			}
			typ := strings.ToLower(strings.TrimPrefix(orig.typ.String(), "STT_"))
			if ps.Size != orig.size || ps.Bind != bind || ps.Type != typ {
				pplan.add("%s: plan symbol %+v; original %s has size %d, bind %s, type %s", m.name, ps, a.Name, orig.size, bind, typ)
			}
			if a.Section != m.obj.secNames[ps.Section] || a.Value != fmt.Sprintf("%016x", orig.nmValue) || a.Type != string(orig.letter) {
				pplan.add("%s: map row %+v; nm lists original %s as %016x %c, in %s", m.name, a, a.Name, orig.nmValue, orig.letter, m.obj.secNames[ps.Section])
			}
			if a.Kprobe == "" {
				emptyProbe++
			} else if err := m.checkProbe(a.Kprobe, orig, defined); err != nil {
				pplan.add("%s: map row %+v: kprobe: %v", m.name, a, err)
			}
			checkSympos(a, m.obj.sympos(orig))
			take(candidate{place{i, ps.Section, ps.Value}, a.Name}, a)
		}
	}
	for obj, rows := range modAliases {
		pplan.add("the map has %d aliases in %s, which is not a scanned module", len(rows), obj)
	}
	if *planDir != "" {
		files, _ := filepath.Glob(filepath.Join(*planDir, "*.plan.json"))
		if len(files) != len(mods) {
			pplan.add("%s has %d plans for %d modules", *planDir, len(files), len(mods))
		}
	}

	// The engine's own summary: its duplicated names and the symbols it
	// could not place are counted the same way here.
	lb, err := os.ReadFile(*scanLog)
	if err != nil {
		return err
	}
	pcount := &problems{name: "counts"}
	engineDups, err1 := summaryNumber(lb, `(\d+) duplicated names`)
	unlocated, err2 := summaryNumber(lb, `(\d+) without a location`)
	if err := errs(err1, err2); err != nil {
		return fmt.Errorf("%s: %v", *scanLog, err)
	}
	if engineDups != dups {
		pcount.add("the scan counts %d duplicated names, the oracle %d", engineDups, dups)
	}
	if len(aliases)+unlocated != ncands {
		pcount.add("%d aliases + %d without a location, but %d symbols need an alias", len(aliases), unlocated, ncands)
	}
	missing := 0
	for c, n := range cands {
		if n > 0 {
			missing += n
			if unlocated == 0 || pcount.n > 0 {
				where := "vmlinux"
				if c.obj >= 0 {
					where = fmt.Sprintf("%s section %d", mods[c.obj].name, c.section)
				}
				pcount.add("no alias for %s at %s %#x", c.name, where, c.value)
			}
		}
	}
	if missing != unlocated {
		pcount.add("%d symbols that need an alias have none; the scan says %d are without a location", missing, unlocated)
	}

	fmt.Printf("aliases: %d (vmlinux %d, modules %d in %d of %d modules; %d module aliases without a kprobe location)\n",
		len(aliases), len(vmAliases), nplanned, withAliases, len(mods), emptyProbe)
	fmt.Printf("duplicated names: %d (the scan: %d); code symbols needing an alias: %d, aliased %d, without a location %d\n",
		dups, engineDups, ncands, ncands-missing, unlocated)
	fmt.Printf("unique: %d aliases, %d distinct, none of the %d symbol names of vmlinux and the modules\n",
		len(aliases), len(seen), len(names))
	fmt.Printf("syms: %d nm -n lines in order, %d alias lines each right after its original\n", next, ai)
	fmt.Printf("sympos: %d aliases at the position livepatch counts, %d without one (it depends on load order)\n", nsympos, len(aliases)-nsympos)
	return errs(pmap.err(), puniq.err(), pcand.err(), psyms.err(), pplan.err(), pcount.err(), psympos.err())
}

// boilerplate is what every module defines (docs/naming.md).
func boilerplate(name string) bool {
	switch strings.TrimPrefix(name, "__pfx_") {
	case "__this_module", "init_module", "cleanup_module":
		return true
	}
	return strings.HasPrefix(name, "__UNIQUE_ID_")
}

type symKey struct {
	name    string
	section uint32
	value   uint64
}

// index maps the symbols nm lists by name, section and st_value, and the
// defined ones by name.
func (o *object) index() (map[symKey]*sym, map[string][]*sym) {
	at := make(map[symKey]*sym, len(o.syms))
	defined := make(map[string][]*sym, len(o.syms))
	for i := range o.syms {
		s := &o.syms[i]
		if s.letter == 0 {
			continue
		}
		at[symKey{s.name, s.section, s.value}] = s
		if s.section != 0 {
			defined[s.name] = append(defined[s.name], s)
		}
	}
	return at, defined
}

// sympos is orig's position among the module's symbols of its name as
// kernel/module/kallsyms.c lists them: in symbol-table order, every defined
// symbol while the module loads, only core ones (in an allocated section
// not laid out as init, .init*) after its init. 0 where the two differ.
func (o *object) sympos(orig *sym) int {
	all, core := 0, 0
	for i := range o.syms {
		s := &o.syms[i]
		if s.name != orig.name || s.section == uint32(elf.SHN_UNDEF) {
			continue
		}
		all++
		if int(s.section) < len(o.secs) && o.secs[s.section].Flags&elf.SHF_ALLOC != 0 && !strings.HasPrefix(o.secNames[s.section], ".init") {
			core++
		}
		if s == orig {
			if core != all {
				return 0
			}
			return core
		}
	}
	return 0
}

// checkProbe checks a module kprobe location MOD:SYM[+0xOFF]: MOD is the
// module's kernel name, SYM a symbol whose name is unique in the module,
// in the original's section, OFF bytes before it.
func (m *module) checkProbe(kp string, orig *sym, defined map[string][]*sym) error {
	mod := strings.ReplaceAll(strings.TrimSuffix(m.name, ".ko"), "-", "_")
	rest, ok := strings.CutPrefix(kp, mod+":")
	if !ok {
		return fmt.Errorf("not %s:SYM[+0xOFF]", mod)
	}
	base, off := rest, uint64(0)
	if i := strings.LastIndex(rest, "+0x"); i >= 0 {
		base, off = rest[:i], parseHex(rest[i+3:])
	}
	if len(defined[base]) != 1 {
		return fmt.Errorf("%s is defined %d times in the module", base, len(defined[base]))
	}
	if s := defined[base][0]; s.section != orig.section || s.value+off != orig.value {
		return fmt.Errorf("%s is at section %d %#x, the original at section %d %#x", base, s.section, s.value, orig.section, orig.value)
	}
	return nil
}

func summaryNumber(b []byte, re string) (int, error) {
	m := regexp.MustCompile(re).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no %q in the scan's summary %q", re, firstLines(string(b), 3))
	}
	return strconv.Atoi(string(m[1]))
}

func parseHex(s string) uint64 {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return ^uint64(0)
	}
	return v
}

func lineAt(l []nmLine, i int) string {
	if i < 0 || i >= len(l) {
		return "(none)"
	}
	return l[i].raw
}
