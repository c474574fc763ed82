package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
)

// cmdRewrite compares each module kas_alias rewrote with what GNU objcopy
// --add-symbol makes of the same input and plan: readelf's symbol tables
// (names, order, values, sections by name; objcopy cannot set a size, so
// an added symbol's size is compared with the plan) and relocations
// (symbols by name) must be equal, and every other section must keep its
// header and bytes (against the input, and against objcopy's output).
func cmdRewrite(args []string) error {
	fs := flag.NewFlagSet("rewrite", flag.ExitOnError)
	list := fs.String("modules", "", "NAME<TAB>INPUT<TAB>OURS lines: the module as objcopy reads it (ELF) and kas_alias's output")
	planDir := fs.String("plan-dir", "", "the plans kas_alias rewrite applied")
	work := fs.String("work", "", "scratch directory for objcopy's outputs")
	fs.Parse(args)
	rows, err := readTable(*list, 3)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no modules", *list)
	}
	const batch = 50
	p := &problems{name: "rewrite"}
	var same, copied, added, signed atomic.Int64
	parallel((len(rows)+batch-1)/batch, func(bi int) {
		b := rows[bi*batch : min(len(rows), (bi+1)*batch)]
		var ok []*rewriteCase
		var ours, theirs []string
		for _, r := range b {
			c, err := prepare(r, *planDir, *work)
			if err != nil {
				p.add("%s: %v", r[0], err)
				continue
			}
			if bytes.HasSuffix(c.input, []byte(sigMagic)) {
				signed.Add(1)
			}
			if len(c.plan.Symbols) == 0 {
				// Nothing to add: the module as it was, signature kept.
				if !bytes.Equal(c.input, c.outBytes) {
					p.add("%s: nothing to add, but %s is not a copy of %s", r[0], r[2], r[1])
					continue
				}
				copied.Add(1)
				same.Add(1)
				continue
			}
			ok = append(ok, c)
			ours, theirs = append(ours, c.ours), append(theirs, c.theirs)
		}
		if len(ok) == 0 {
			return
		}
		ro, err1 := readelf(ours)
		rt, err2 := readelf(theirs)
		if err := errs(err1, err2); err != nil {
			p.add("%v", err)
			return
		}
		for i, c := range ok {
			if err := c.compare(ro[i], rt[i]); err != nil {
				p.add("%s: %v", c.name, err)
				continue
			}
			same.Add(1)
			added.Add(int64(len(c.plan.Symbols)))
			os.Remove(c.theirs)
		}
	})
	fmt.Printf("rewrite: %d/%d modules equal to objcopy (%d aliases added to %d; %d with nothing to add are copies; %d inputs signed)\n",
		same.Load(), len(rows), added.Load(), same.Load()-copied.Load(), copied.Load(), signed.Load())
	return p.err()
}

// sigMagic ends a signed module (scripts/sign-file).
const sigMagic = "~Module signature appended~\n"

type rewriteCase struct {
	name          string
	input         []byte
	ours, theirs  string
	plan          planFile
	in, out, objc *elf.File
	outBytes      []byte
	objcBytes     []byte
}

// prepare reads a module's plan and runs objcopy on its input.
// objcopyArgs is GNU objcopy's --add-symbol arguments for a plan: the
// section by name (refused where the name is not unique), the binding and
// the type as flags.
func objcopyArgs(in *elf.File, plan planFile) ([]string, error) {
	count := map[string]int{}
	for _, s := range in.Sections {
		count[s.Name]++
	}
	var args []string
	for _, s := range plan.Symbols {
		if int(s.Section) >= len(in.Sections) || s.Section == 0 {
			return nil, fmt.Errorf("plan symbol %s: section %d of %d", s.Name, s.Section, len(in.Sections))
		}
		sec := in.Sections[s.Section].Name
		if count[sec] != 1 {
			return nil, fmt.Errorf("plan symbol %s: section %d %s: objcopy names sections, and %d have this name", s.Name, s.Section, sec, count[sec])
		}
		flags := []string{s.Bind}
		switch s.Type {
		case "func":
			flags = append(flags, "function")
		case "object":
			flags = append(flags, "object")
		case "notype":
		default:
			return nil, fmt.Errorf("plan symbol %s: objcopy cannot add a %s symbol", s.Name, s.Type)
		}
		args = append(args, "--add-symbol", fmt.Sprintf("%s=%s:%#x,%s", s.Name, sec, s.Value, strings.Join(flags, ",")))
	}
	return args, nil
}

// cmdObjcopyArgs writes, for every module, NAME.objcopy.rsp: the objcopy
// arguments (one a line, for objcopy @FILE) that add its plan's symbols,
// for bench/rewrite.sh to time objcopy on the same work.
func cmdObjcopyArgs(args []string) error {
	fs := flag.NewFlagSet("objcopy-args", flag.ExitOnError)
	list := fs.String("modules", "", "NAME<TAB>ELF lines")
	planDir := fs.String("plan-dir", "", "the plans")
	out := fs.String("out", "", "directory for the .objcopy.rsp files")
	fs.Parse(args)
	rows, err := readTable(*list, 2)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	p := &problems{name: "objcopy-args"}
	parallel(len(rows), func(i int) {
		name, path := rows[i][0], rows[i][1]
		var plan planFile
		pb, err := os.ReadFile(filepath.Join(*planDir, name+".plan.json"))
		if err == nil {
			err = json.Unmarshal(pb, &plan)
		}
		var f *elf.File
		if err == nil {
			f, err = elf.Open(path)
		}
		var a []string
		if err == nil {
			a, err = objcopyArgs(f, plan)
			f.Close()
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, name+".objcopy.rsp"), []byte(strings.Join(a, "\n")+"\n"), 0o644)
		}
		if err != nil {
			p.add("%s: %v", name, err)
		}
	})
	return p.err()
}

func prepare(r []string, planDir, work string) (*rewriteCase, error) {
	c := &rewriteCase{name: r[0], ours: r[2], theirs: filepath.Join(work, r[0]+".objcopy")}
	pb, err := os.ReadFile(filepath.Join(planDir, r[0]+".plan.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(pb, &c.plan); err != nil {
		return nil, fmt.Errorf("plan: %v", err)
	}
	if c.input, err = os.ReadFile(r[1]); err != nil {
		return nil, err
	}
	if c.outBytes, err = os.ReadFile(c.ours); err != nil {
		return nil, err
	}
	if len(c.plan.Symbols) == 0 {
		return c, nil
	}
	if c.in, err = elf.NewFile(bytes.NewReader(c.input)); err != nil {
		return nil, fmt.Errorf("%s: %v", r[1], err)
	}
	args, err := objcopyArgs(c.in, c.plan)
	if err != nil {
		return nil, err
	}
	if _, err := tool("objcopy", append(args, r[1], c.theirs)...); err != nil {
		return nil, err
	}
	if c.out, err = elf.NewFile(bytes.NewReader(c.outBytes)); err != nil {
		return nil, fmt.Errorf("%s: %v", c.ours, err)
	}
	if c.objcBytes, err = os.ReadFile(c.theirs); err != nil {
		return nil, err
	}
	if c.objc, err = elf.NewFile(bytes.NewReader(c.objcBytes)); err != nil {
		return nil, fmt.Errorf("%s: %v", c.theirs, err)
	}
	return c, nil
}

// elfInfo is what readelf -W -S -s -r says of one file.
type elfInfo struct {
	syms   []string // value size type bind vis section-name name, tab-separated
	relocs []string // section: offset type symbol-value symbol+addend
}

var relHdr = regexp.MustCompile(`^Relocation section '([^']*)' at offset 0x[0-9a-f]+ contains \d+ entr`)

// readelf runs one readelf over files and parses its report of each.
// Its report is read as it comes (a batch of big modules prints
// hundreds of megabytes).
func readelf(files []string) ([]elfInfo, error) {
	cmd := exec.Command("readelf", append([]string{"-W", "-S", "-s", "-r"}, files...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	infos, perr := parseReadelf(bufio.NewReaderSize(stdout, 1<<20), files)
	io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil || stderr.Len() > 0 {
		return nil, fmt.Errorf("readelf %s ...: %v: %s", files[0], err, firstLines(stderr.String(), 5))
	}
	return infos, perr
}

func parseReadelf(r *bufio.Reader, files []string) ([]elfInfo, error) {
	infos := make([]elfInfo, len(files))
	cur := 0
	if len(files) > 1 {
		cur = -1
	}
	secNames := map[string]string{}
	mode, relSec := "", ""
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		} else if err != nil && err != io.EOF {
			return nil, err
		}
		l := strings.TrimSuffix(line, "\n")
		if f, ok := strings.CutPrefix(l, "File: "); ok && len(files) > 1 {
			cur++
			if cur >= len(files) || f != files[cur] {
				return nil, fmt.Errorf("readelf: report of %q where %d files were expected", f, len(files))
			}
			secNames = map[string]string{}
			mode = ""
			continue
		}
		switch {
		case l == "":
			mode = ""
			continue
		case strings.HasPrefix(l, "Section Headers:"):
			mode = "sections"
			continue
		case strings.HasPrefix(l, "Symbol table '"):
			mode = "symbols"
			continue
		}
		if strings.HasPrefix(l, "Relocation section '") {
			m := relHdr.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("readelf: %q", l)
			}
			mode, relSec = "relocs", m[1]
			continue
		}
		if cur < 0 {
			continue
		}
		in := &infos[cur]
		switch mode {
		case "sections":
			// "  [Nr] Name Type ...": the name may be empty ([ 0]).
			if num, rest, ok := strings.Cut(strings.TrimLeft(l, " "), "] "); ok && strings.HasPrefix(num, "[") {
				name, _, _ := strings.Cut(rest, " ")
				secNames[strings.TrimSpace(num[1:])] = name
			}
		case "symbols":
			if row, ok := symbolRow(l, secNames); ok {
				in.syms = append(in.syms, row)
			}
		case "relocs":
			// offset info type [symbol-value symbol-name + addend]; the
			// info field holds the symbol's index, which may shift. The
			// rest is kept as readelf spaced it (by its values alone).
			off, r, _ := strings.Cut(l, " ")
			info, r, _ := strings.Cut(strings.TrimLeft(r, " "), " ")
			if isHex(off) && isHex(info) {
				in.relocs = append(in.relocs, relSec+": "+off+" "+strings.TrimLeft(r, " "))
			}
		}
	}
	if cur != len(files)-1 {
		return nil, fmt.Errorf("readelf: %d reports for %d files", cur+1, len(files))
	}
	return infos, nil
}

func (c *rewriteCase) compare(ours, theirs elfInfo) error {
	if len(ours.syms) == 0 {
		return fmt.Errorf("readelf lists no symbols in %s", c.ours)
	}
	sizes := map[string][]uint64{} // a module may add two symbols of one name
	for _, s := range c.plan.Symbols {
		sizes[s.Name] = append(sizes[s.Name], s.Size)
	}
	if len(ours.syms) != len(theirs.syms) {
		return fmt.Errorf("%d symbols, objcopy's output %d", len(ours.syms), len(theirs.syms))
	}
	n := 0
	for i := range ours.syms {
		a, b := strings.Split(ours.syms[i], "\t"), strings.Split(theirs.syms[i], "\t")
		if l := sizes[a[6]]; len(l) > 0 && len(a) == 7 && len(b) == 7 {
			sizes[a[6]] = l[1:]
			n++
			if got, err := strconv.ParseUint(strings.TrimPrefix(a[1], "0x"), base(a[1]), 64); err != nil || got != l[0] {
				return fmt.Errorf("symbol %d %q: size %s, plan %d", i+1, ours.syms[i], a[1], l[0])
			}
			if b[1] == "0" {
				b[1] = a[1]
			}
		}
		if strings.Join(a, "\t") != strings.Join(b, "\t") {
			return fmt.Errorf("symbol %d differs:\nours:    %s\nobjcopy: %s", i+1, ours.syms[i], theirs.syms[i])
		}
	}
	if n != len(c.plan.Symbols) {
		return fmt.Errorf("%d added symbols found, the plan has %d", n, len(c.plan.Symbols))
	}
	for i := range max(len(ours.relocs), len(theirs.relocs)) {
		if i >= len(ours.relocs) || i >= len(theirs.relocs) || ours.relocs[i] != theirs.relocs[i] {
			return fmt.Errorf("relocation %d differs (%d, objcopy %d):\nours:    %s\nobjcopy: %s", i+1, len(ours.relocs), len(theirs.relocs), at(ours.relocs, i), at(theirs.relocs, i))
		}
	}
	if bytes.HasSuffix(c.outBytes, []byte(sigMagic)) {
		return fmt.Errorf("%s keeps the signature (asked to drop it)", c.ours)
	}
	if err := sameHeader(c.input, c.outBytes, c.in.Class); err != nil {
		return err
	}
	if err := sameSections(c.in, c.out, c.input, c.outBytes, c.ours, false); err != nil {
		return err
	}
	return sameSections(c.in, c.objc, c.input, c.objcBytes, "objcopy's output", true)
}

// sameHeader compares the ELF headers but for e_shoff (where the section
// headers are may change).
func sameHeader(in, out []byte, class elf.Class) error {
	shoff, end := 0x20, 0x34 // Elf32: e_shoff at 0x20, header 0x34 bytes
	w := 4
	if class == elf.ELFCLASS64 {
		shoff, end, w = 0x28, 0x40, 8
	}
	if len(out) < end || !bytes.Equal(in[:shoff], out[:shoff]) || !bytes.Equal(in[shoff+w:end], out[shoff+w:end]) {
		return fmt.Errorf("ELF header changed")
	}
	return nil
}

// sameSections checks that every section but the symbol table, its string
// table and index, and the relocations that refer to it (compared by
// readelf) keeps its header, offset aside, and its bytes. byName: compare
// with the section of the same name (objcopy may order them otherwise).
func sameSections(in, out *elf.File, inBytes, outBytes []byte, what string, byName bool) error {
	if len(in.Sections) != len(out.Sections) {
		return fmt.Errorf("%s: %d sections, the input %d", what, len(out.Sections), len(in.Sections))
	}
	symtab := -1
	for i, s := range in.Sections {
		if s.Type == elf.SHT_SYMTAB {
			symtab = i
		}
	}
	if symtab < 0 {
		return fmt.Errorf("the input has no symbol table")
	}
	idx := map[string]int{}
	for i, s := range out.Sections {
		idx[s.Name] = i
	}
	for i, si := range in.Sections {
		switch {
		case si.Type == elf.SHT_SYMTAB, si.Type == elf.SHT_SYMTAB_SHNDX, si.Type == 0x6fff4c03, // SHT_LLVM_ADDRSIG
			i == int(in.Sections[symtab].Link),
			(si.Type == elf.SHT_REL || si.Type == elf.SHT_RELA) && int(si.Link) == symtab:
			continue
		}
		j := i
		if byName {
			j = idx[si.Name]
		}
		so := out.Sections[j]
		a, b := si.SectionHeader, so.SectionHeader
		a.Offset, b.Offset = 0, 0
		if si.Type == elf.SHT_GROUP {
			a.Info, b.Info = 0, 0 // the signature symbol's index (readelf checks the names)
		}
		if a != b {
			return fmt.Errorf("%s: section %d %s: header %+v, the input's %+v", what, j, si.Name, b, a)
		}
		if si.Type == elf.SHT_NOBITS || si.Type == elf.SHT_NULL {
			continue
		}
		// The bytes as stored (compressed sections too).
		x, y := fileRange(inBytes, si), fileRange(outBytes, so)
		if x == nil || y == nil {
			return fmt.Errorf("%s: section %s: outside the file", what, si.Name)
		}
		if !bytes.Equal(x, y) {
			return fmt.Errorf("%s: section %d %s: bytes differ from the input's", what, j, si.Name)
		}
	}
	return nil
}

// symbolRow turns a readelf -s row "Num: Value Size Type Bind Vis Ndx Name"
// into "value size type bind vis section name", tab-separated, with the
// section by name. Vis may carry a bracket ("DEFAULT [<localentry>: 8]").
func symbolRow(l string, secNames map[string]string) (string, bool) {
	f := strings.Fields(l)
	if len(f) < 7 || !strings.HasSuffix(f[0], ":") || !isHex(f[1]) {
		return "", false
	}
	vis := f[5]
	i := 6
	if strings.HasPrefix(f[i], "[") {
		for ; i < len(f) && !strings.HasSuffix(f[i], "]"); i++ {
		}
		vis = strings.Join(f[5:i+1], " ")
		i++
	}
	if i >= len(f) {
		return "", false
	}
	ndx := f[i]
	if n, ok := secNames[ndx]; ok && ndx != "0" {
		ndx = n
	}
	return strings.Join(append([]string{f[1], f[2], f[3], f[4], vis, ndx}, strings.Join(f[i+1:], " ")), "\t"), true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

func fileRange(b []byte, s *elf.Section) []byte {
	if s.Offset > uint64(len(b)) || s.FileSize > uint64(len(b))-s.Offset {
		return nil
	}
	return b[s.Offset : s.Offset+s.FileSize]
}

func base(s string) int {
	if strings.HasPrefix(s, "0x") {
		return 16
	}
	return 10
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(none)"
}
