package srcindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// The line-program decoder is hand-written rather than debug/dwarf's
// LineReader because the index needs each file's raw directory and name (to
// normalise them and to print them the way llvm does; LineReader joins
// DWARF 4 directories with the compilation directory but not DWARF 5 ones)
// and because it allocates nothing per row.

var errTrunc = errors.New("unexpected end of data")

// rd is a bounds-checked little reader; the first error sticks.
type rd struct {
	b   []byte
	off int
	bo  binary.ByteOrder
	err error
}

func (r *rd) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *rd) u8() uint8 {
	if r.off >= len(r.b) {
		r.fail(errTrunc)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *rd) bytes(n uint64) []byte {
	if n > uint64(len(r.b)-r.off) {
		r.fail(errTrunc)
		r.off = len(r.b)
		return nil
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v
}

func (r *rd) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return r.bo.Uint16(b)
}

func (r *rd) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return r.bo.Uint32(b)
}

func (r *rd) u64() uint64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return r.bo.Uint64(b)
}

func (r *rd) uN(n int) uint64 {
	switch n {
	case 1:
		return uint64(r.u8())
	case 2:
		return uint64(r.u16())
	case 4:
		return uint64(r.u32())
	case 8:
		return r.u64()
	}
	r.bytes(uint64(n))
	r.fail(fmt.Errorf("unsupported field size %d", n))
	return 0
}

// leb reads a LEB128 number: its low 64 bits, how many bits it had, and
// its last byte (whose 0x40 bit is the sign of a signed one).
func (r *rd) leb() (v uint64, shift uint, last byte) {
	for {
		if r.off >= len(r.b) {
			r.fail(errTrunc)
			return v, shift, 0
		}
		c := r.b[r.off]
		r.off++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			return v, shift, c
		}
	}
}

func (r *rd) uleb() uint64 {
	v, _, _ := r.leb()
	return v
}

func (r *rd) sleb() int64 {
	v, shift, last := r.leb()
	if shift < 64 && last&0x40 != 0 {
		v |= ^uint64(0) << shift
	}
	return int64(v)
}

func (r *rd) cstr() string {
	for i := r.off; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[r.off:i])
			r.off = i + 1
			return s
		}
	}
	r.fail(errTrunc)
	r.off = len(r.b)
	return ""
}

type lineFile struct {
	name string
	dir  uint64
}

// lineProg is a decoded line-program header.
type lineProg struct {
	version    int
	addrSize   int
	minInst    uint64
	maxOps     uint64
	lineBase   int64
	lineRange  uint64
	opcodeBase int
	opLens     []uint8
	dirs       []string
	files      []lineFile // index = file register value (DWARF < 5: files[0] unused)
	prog       []byte
	defStmt    bool
}

// DWARF 5 line table content types.
const (
	lnctPath     = 1
	lnctDirIndex = 2
)

// parseLineHeader decodes the line-program header at off.
func (x *Index) parseLineHeader(off uint64, defAddrSize int) (*lineProg, error) {
	if off >= x.line.len() {
		return nil, fmt.Errorf("offset %#x outside the section (%#x bytes)", off, x.line.len())
	}
	head, err := x.line.span(off, 12)
	if err != nil {
		return nil, err
	}
	r := &rd{b: head, bo: x.order}
	if n := uint64(r.u32()); n == 0xffffffff {
		n = r.u64() + 12
		head, err = x.line.span(off, n)
	} else {
		head, err = x.line.span(off, n+4)
	}
	if err != nil {
		return nil, err
	}
	r = &rd{b: head, bo: x.order}
	unitLen := uint64(r.u32())
	dwarf64 := false
	if unitLen == 0xffffffff {
		dwarf64 = true
		unitLen = r.u64()
	} else if unitLen >= 0xfffffff0 {
		return nil, fmt.Errorf("reserved unit length %#x", unitLen)
	}
	if r.err != nil {
		return nil, r.err
	}
	if unitLen > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("unit length %#x exceeds the section", unitLen)
	}
	r.b = r.b[:r.off+int(unitLen)]
	p := &lineProg{addrSize: defAddrSize}
	p.version = int(r.u16())
	if r.err == nil && (p.version < 2 || p.version > 5) {
		return nil, fmt.Errorf("unsupported line table version %d", p.version)
	}
	if p.version >= 5 {
		p.addrSize = int(r.u8())
		if seg := r.u8(); seg != 0 {
			return nil, fmt.Errorf("segment selector size %d not supported", seg)
		}
	}
	var hdrLen uint64
	if dwarf64 {
		hdrLen = r.u64()
	} else {
		hdrLen = uint64(r.u32())
	}
	if r.err != nil {
		return nil, r.err
	}
	if hdrLen > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("header length %#x exceeds the unit", hdrLen)
	}
	progOff := r.off + int(hdrLen)
	p.minInst = uint64(r.u8())
	p.maxOps = 1
	if p.version >= 4 {
		p.maxOps = uint64(r.u8())
	}
	p.defStmt = r.u8() != 0
	p.lineBase = int64(int8(r.u8()))
	p.lineRange = uint64(r.u8())
	p.opcodeBase = int(r.u8())
	if r.err != nil {
		return nil, r.err
	}
	if p.lineRange == 0 {
		return nil, errors.New("line_range 0")
	}
	if p.maxOps == 0 {
		return nil, errors.New("maximum_operations_per_instruction 0")
	}
	if p.opcodeBase == 0 {
		return nil, errors.New("opcode_base 0")
	}
	p.opLens = make([]uint8, p.opcodeBase)
	for i := 1; i < p.opcodeBase; i++ {
		p.opLens[i] = r.u8()
	}
	if p.version < 5 {
		p.dirs = append(p.dirs, "") // directory 0: the compilation directory
		for r.err == nil {
			d := r.cstr()
			if d == "" {
				break
			}
			p.dirs = append(p.dirs, d)
		}
		p.files = append(p.files, lineFile{})
		for r.err == nil {
			n := r.cstr()
			if n == "" {
				break
			}
			d := r.uleb()
			r.uleb() // mtime
			r.uleb() // length
			p.files = append(p.files, lineFile{n, d})
		}
	} else {
		var err error
		if p.dirs, err = x.readEntries(r, dwarf64, nil); err != nil {
			return nil, err
		}
		if _, err = x.readEntries(r, dwarf64, &p.files); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if progOff > len(r.b) {
		return nil, errTrunc
	}
	p.prog = r.b[progOff:]
	return p, nil
}

// readEntries reads a DWARF 5 directory (files == nil) or file name table.
func (x *Index) readEntries(r *rd, dwarf64 bool, files *[]lineFile) ([]string, error) {
	nfmt := int(r.u8())
	type cf struct{ content, form uint64 }
	fmts := make([]cf, 0, nfmt)
	for range nfmt {
		fmts = append(fmts, cf{r.uleb(), r.uleb()})
	}
	n := r.uleb()
	if r.err != nil {
		return nil, r.err
	}
	if n > uint64(len(r.b)-r.off) { // every entry takes at least one byte
		return nil, fmt.Errorf("%d entries exceed the header", n)
	}
	var dirs []string
	for range n {
		var name string
		var dir uint64
		for _, f := range fmts {
			v := readForm(r, f.form, formCtx{version: 5, dwarf64: dwarf64}, 0)
			s, isStr := v.s, f.form == formString
			switch f.form {
			case formLineStrp, formStrp:
				sec := x.lineStr
				if f.form == formStrp {
					sec = x.str
				}
				if r.err == nil {
					var err error
					if s, err = sec.str(v.u); err != nil {
						return nil, err
					}
				}
				isStr = true
			case formStrx, formStrx1, formStrx2, formStrx3, formStrx4:
				return nil, fmt.Errorf("form %#x (strx) in a line table header not supported", f.form)
			case formAddr, formRefAddr:
				return nil, fmt.Errorf("form %#x in a line table header not supported", f.form)
			}
			if r.err != nil {
				return nil, r.err
			}
			switch f.content {
			case lnctPath:
				if isStr {
					name = s
				}
			case lnctDirIndex:
				dir = v.u
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		if files != nil {
			*files = append(*files, lineFile{name, dir})
		} else {
			dirs = append(dirs, name)
		}
	}
	return dirs, nil
}

// row is one line-table row kept while a sequence is decoded.
type row struct {
	addr uint64
	file uint32
	line uint32
}

// request is one address asked of a unit, with where its answer goes.
type request struct {
	key uint64
	out int // index into the Locate result
}

// answer is the row chosen for a request and the start of its sequence.
type answer struct {
	seqLo uint64
	file  uint32
	line  uint32
	ok    bool
}

// runProgram decodes the line program p and answers reqs (sorted by key):
// for each address, the sequence [lo, hi) containing it with the highest
// lo, and in it the last row whose address is <= the key (what llvm's
// DWARFDebugLine::LineTable::lookupAddress returns).
func runProgram(p *lineProg, bo binary.ByteOrder, reqs []request, ans []answer, rows []row) ([]row, error) {
	r := &rd{b: p.prog, bo: bo}
	var addr, opIndex uint64
	file, line := uint64(1), int64(1)
	rows = rows[:0]
	advance := func(opAdv uint64) {
		if p.maxOps == 1 {
			addr += p.minInst * opAdv
			return
		}
		addr += p.minInst * ((opIndex + opAdv) / p.maxOps)
		opIndex = (opIndex + opAdv) % p.maxOps
	}
	emit := func() {
		rows = append(rows, row{addr, uint32(file), uint32(line)})
	}
	endSeq := func() {
		if len(rows) > 0 && rows[0].addr < addr {
			lo, hi := rows[0].addr, addr
			i := sort.Search(len(reqs), func(i int) bool { return reqs[i].key >= lo })
			for ; i < len(reqs) && reqs[i].key < hi; i++ {
				k := reqs[i].key
				if ans[i].ok && ans[i].seqLo > lo {
					continue
				}
				j := sort.Search(len(rows), func(j int) bool { return rows[j].addr > k }) - 1
				if j < 0 {
					continue
				}
				ans[i] = answer{lo, rows[j].file, rows[j].line, true}
			}
		}
		rows = rows[:0]
		addr, opIndex, file, line = 0, 0, 1, 1
	}
	opBase := uint8(p.opcodeBase)
	for r.off < len(r.b) && r.err == nil {
		op := r.u8()
		if op >= opBase {
			adj := uint64(op - opBase)
			advance(adj / p.lineRange)
			line += p.lineBase + int64(adj%p.lineRange)
			emit()
			continue
		}
		switch op {
		case 0:
			n := r.uleb()
			if n == 0 || n > uint64(len(r.b)-r.off) {
				if r.err == nil {
					r.fail(fmt.Errorf("extended opcode length %d at program offset %#x", n, r.off))
				}
				break
			}
			end := r.off + int(n)
			sub := r.u8()
			switch sub {
			case 1: // DW_LNE_end_sequence
				endSeq()
			case 2: // DW_LNE_set_address
				addr = r.uN(int(n - 1))
				opIndex = 0
			case 3: // DW_LNE_define_file
				name := r.cstr()
				d := r.uleb()
				p.files = append(p.files, lineFile{name, d})
			}
			r.off = end
		case 1: // DW_LNS_copy
			emit()
		case 2: // DW_LNS_advance_pc
			advance(r.uleb())
		case 3: // DW_LNS_advance_line
			line += r.sleb()
		case 4: // DW_LNS_set_file
			file = r.uleb()
		case 5: // DW_LNS_set_column
			r.uleb()
		case 6, 7, 10, 11: // negate_stmt, basic_block, prologue_end, epilogue_begin
		case 8: // DW_LNS_const_add_pc
			advance(uint64(255-opBase) / p.lineRange)
		case 9: // DW_LNS_fixed_advance_pc
			addr += uint64(r.u16())
			opIndex = 0
		case 12: // DW_LNS_set_isa
			r.uleb()
		default:
			for range p.opLens[op] {
				r.uleb()
			}
		}
	}
	if r.err != nil {
		return rows, fmt.Errorf("line program: %w", r.err)
	}
	return rows, nil
}
