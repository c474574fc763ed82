package srcindex

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The units are read by hand rather than with debug/dwarf, which parses
// every unit's abbreviation table and, to skip a unit's children, reads its
// top-level DIEs: on a distribution vmlinux that is 140 MB of .debug_info
// touched and 95 MB allocated, where the index needs only each unit's first
// DIE (name, compilation directory, line table, address ranges).

// DWARF constants the unit reader uses (DWARF 5, section 7).
const (
	tagCompileUnit  = 0x11
	tagPartialUnit  = 0x3c
	tagSkeletonUnit = 0x4a

	atName           = 0x03
	atStmtList       = 0x10
	atLowPC          = 0x11
	atHighPC         = 0x12
	atCompDir        = 0x1b
	atRanges         = 0x55
	atStrOffsetsBase = 0x72
	atAddrBase       = 0x73
	atRnglistsBase   = 0x74

	formAddr          = 0x01
	formBlock2        = 0x03
	formBlock4        = 0x04
	formData2         = 0x05
	formData4         = 0x06
	formData8         = 0x07
	formString        = 0x08
	formBlock         = 0x09
	formBlock1        = 0x0a
	formData1         = 0x0b
	formSdata         = 0x0d
	formStrp          = 0x0e
	formUdata         = 0x0f
	formData16        = 0x1e
	formLineStrp      = 0x1f
	formStrx          = 0x1a
	formStrx1         = 0x25
	formStrx2         = 0x26
	formStrx3         = 0x27
	formStrx4         = 0x28
	formFlag          = 0x0c
	formRefAddr       = 0x10
	formRef1          = 0x11
	formRef2          = 0x12
	formRef4          = 0x13
	formRef8          = 0x14
	formRefUdata      = 0x15
	formIndirect      = 0x16
	formSecOffset     = 0x17
	formExprloc       = 0x18
	formFlagPresent   = 0x19
	formAddrx         = 0x1b
	formRefSup4       = 0x1c
	formStrpSup       = 0x1d
	formRefSig8       = 0x20
	formImplicitConst = 0x21
	formLoclistx      = 0x22
	formRnglistx      = 0x23
	formRefSup8       = 0x24
	formAddrx1        = 0x29
	formAddrx2        = 0x2a
	formAddrx3        = 0x2b
	formAddrx4        = 0x2c
	formGNUAddrIndex  = 0x1f01
	formGNUStrIndex   = 0x1f02
	formGNURefAlt     = 0x1f20
	formGNUStrpAlt    = 0x1f21

	utSkeleton     = 0x04
	utSplitCompile = 0x05
	utType         = 0x02
	utSplitType    = 0x06

	rleEndOfList    = 0
	rleBaseAddressx = 1
	rleStartxEndx   = 2
	rleStartxLength = 3
	rleOffsetPair   = 4
	rleBaseAddress  = 5
	rleStartEnd     = 6
	rleStartLength  = 7
)

// formCtx is what decoding a form depends on.
type formCtx struct {
	version  int
	addrSize int
	dwarf64  bool
}

// value is a decoded attribute value: a number (constant, address, offset
// or index, as the form says) or an inline string.
type value struct {
	form uint64
	u    uint64
	s    string
}

// readForm reads one value of form from r (implicit is the abbreviation's
// DW_FORM_implicit_const). Errors stick in r.err.
func readForm(r *rd, form uint64, c formCtx, implicit int64) value {
	v := value{form: form}
	word := 4
	if c.dwarf64 {
		word = 8
	}
	switch form {
	case formAddr:
		v.u = r.uN(c.addrSize)
	case formData1, formRef1, formFlag, formStrx1, formAddrx1:
		v.u = uint64(r.u8())
	case formData2, formRef2, formStrx2, formAddrx2:
		v.u = uint64(r.u16())
	case formStrx3, formAddrx3:
		if b := r.bytes(3); b != nil {
			if r.bo == binary.LittleEndian {
				v.u = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16
			} else {
				v.u = uint64(b[2]) | uint64(b[1])<<8 | uint64(b[0])<<16
			}
		}
	case formData4, formRef4, formRefSup4, formStrx4, formAddrx4:
		v.u = uint64(r.u32())
	case formData8, formRef8, formRefSig8, formRefSup8:
		v.u = r.u64()
	case formData16:
		r.bytes(16)
	case formUdata, formRefUdata, formStrx, formAddrx, formLoclistx, formRnglistx, formGNUAddrIndex, formGNUStrIndex:
		v.u = r.uleb()
	case formSdata:
		v.u = uint64(r.sleb())
	case formImplicitConst:
		v.u = uint64(implicit)
	case formString:
		v.s = r.cstr()
	case formStrp, formLineStrp, formSecOffset, formStrpSup, formGNURefAlt, formGNUStrpAlt:
		v.u = r.uN(word)
	case formRefAddr:
		if c.version <= 2 {
			v.u = r.uN(c.addrSize)
		} else {
			v.u = r.uN(word)
		}
	case formBlock, formExprloc:
		r.bytes(r.uleb())
	case formBlock1:
		r.bytes(uint64(r.u8()))
	case formBlock2:
		r.bytes(uint64(r.u16()))
	case formBlock4:
		r.bytes(uint64(r.u32()))
	case formFlagPresent:
		v.u = 1
	case formIndirect:
		return readForm(r, r.uleb(), c, implicit)
	default:
		r.fail(fmt.Errorf("unknown attribute form %#x", form))
	}
	return v
}

// attrSpec is one attribute of an abbreviation.
type attrSpec struct {
	name, form uint64
	implicit   int64
}

// findAbbrev decodes, in the abbreviation table at off of .debug_abbrev, the
// declaration of code: its tag and attributes.
func findAbbrev(abbrev *section, off, code uint64, bo binary.ByteOrder) (tag uint64, attrs []attrSpec, err error) {
	if off > abbrev.len() {
		return 0, nil, fmt.Errorf("abbreviation table offset %#x outside .debug_abbrev (%#x bytes)", off, abbrev.len())
	}
	err = abbrev.window(off, func(b []byte) error {
		r := &rd{b: b, bo: bo}
		for r.err == nil {
			c := r.uleb()
			if c == 0 && r.err == nil {
				return fmt.Errorf("abbreviation %d not in the table at %#x", code, off)
			}
			tag = r.uleb()
			r.u8() // DW_CHILDREN_*
			attrs = attrs[:0]
			for r.err == nil {
				a := attrSpec{name: r.uleb(), form: r.uleb()}
				if a.form == formImplicitConst {
					a.implicit = r.sleb()
				}
				if a.name == 0 && a.form == 0 {
					break
				}
				attrs = append(attrs, a)
			}
			if c == code && r.err == nil {
				return nil
			}
		}
		return r.err
	})
	return tag, attrs, err
}

// unitDIE is what the index takes from a unit's first DIE.
type unitDIE struct {
	name, compDir string
	stmt          int64 // -1: no line table
	addrSize      int
	ranges        [][2]uint64
	isUnit        bool // a compile, partial or skeleton unit (not a type unit)
}

// debugSections are the DWARF sections the unit reader resolves through.
type debugSections struct {
	info, abbrev, str, lineStr, strOffsets, addr, ranges, rnglists *section
}

// readUnit reads the unit whose header starts at off in .debug_info and
// returns its first DIE and where the next unit starts.
func readUnit(d *debugSections, off uint64, bo binary.ByteOrder) (u unitDIE, next uint64, err error) {
	head, err := d.info.span(off, 12)
	if err != nil {
		return u, 0, err
	}
	r := &rd{b: head, bo: bo}
	var c formCtx
	n := uint64(r.u32())
	if n == 0xffffffff {
		c.dwarf64, n = true, r.u64()
	}
	if r.err != nil || n > d.info.len()-off-uint64(r.off) {
		return u, 0, fmt.Errorf("unit at %#x: length %#x runs past the section", off, n)
	}
	next = off + uint64(r.off) + n
	err = d.info.window(off, func(b []byte) error {
		whole := uint64(len(b)) >= next-off
		var err error
		u, err = readDIE(d, b[:min(uint64(len(b)), next-off)], c, bo)
		if whole && errors.Is(err, errTrunc) {
			return errors.New("first DIE runs past the end of the unit")
		}
		return err
	})
	if err != nil {
		return u, 0, fmt.Errorf("unit at %#x: %v", off, err)
	}
	return u, next, nil
}

// readDIE reads the first DIE of the unit whose bytes (or their start) b
// holds. It fails with errTrunc when b ends too early.
func readDIE(d *debugSections, b []byte, c formCtx, bo binary.ByteOrder) (u unitDIE, err error) {
	r := &rd{b: b, bo: bo}
	r.off = 4
	if c.dwarf64 {
		r.off = 12
	}
	c.version = int(r.u16())
	if r.err != nil {
		return u, r.err
	}
	if c.version < 2 || c.version > 5 {
		return u, fmt.Errorf("unsupported DWARF version %d", c.version)
	}
	word := 4
	if c.dwarf64 {
		word = 8
	}
	var abbrevOff uint64
	unitType := uint8(0)
	if c.version >= 5 {
		unitType = r.u8()
		c.addrSize = int(r.u8())
		abbrevOff = r.uN(word)
		switch unitType {
		case utSkeleton, utSplitCompile:
			r.u64()
		case utType, utSplitType:
			r.u64()
			r.uN(word)
		}
	} else {
		abbrevOff = r.uN(word)
		c.addrSize = int(r.u8())
	}
	if r.err != nil {
		return u, r.err
	}
	if c.addrSize != 2 && c.addrSize != 4 && c.addrSize != 8 {
		return u, fmt.Errorf("address size %d", c.addrSize)
	}
	u.addrSize, u.stmt = c.addrSize, -1
	code := r.uleb()
	if r.err != nil {
		return u, r.err
	}
	if code == 0 {
		return u, nil // an empty unit
	}
	tag, specs, err := findAbbrev(d.abbrev, abbrevOff, code, bo)
	if err != nil {
		return u, fmt.Errorf("%v", err) // not errTrunc: another section
	}
	switch tag {
	case tagCompileUnit, tagPartialUnit, tagSkeletonUnit:
	default:
		return u, nil
	}
	u.isUnit = true
	vals := make(map[uint64]value, len(specs))
	for _, a := range specs {
		v := readForm(r, a.form, c, a.implicit)
		if errors.Is(r.err, errTrunc) {
			return u, r.err
		}
		if r.err != nil {
			return u, fmt.Errorf("attribute %#x: %v", a.name, r.err)
		}
		vals[a.name] = v
	}
	res := resolver{d: d, c: c, vals: vals, bo: bo}
	if u.name, err = res.str(atName); err == nil {
		u.compDir, err = res.str(atCompDir)
	}
	if err == nil {
		u.ranges, err = res.ranges()
	}
	if err != nil {
		return u, fmt.Errorf("%v", err) // not errTrunc: another section
	}
	if v, ok := vals[atStmtList]; ok {
		u.stmt = int64(v.u)
	}
	return u, nil
}

// resolver turns a unit DIE's values into strings and addresses through the
// sections that indexed forms point into.
type resolver struct {
	d    *debugSections
	c    formCtx
	vals map[uint64]value
	bo   binary.ByteOrder
}

func (res *resolver) word() int {
	if res.c.dwarf64 {
		return 8
	}
	return 4
}

// at reads an n-byte number at off of sec.
func (res *resolver) at(sec *section, what string, off uint64, n int) (uint64, error) {
	b, err := sec.span(off, uint64(n))
	if err != nil {
		return 0, fmt.Errorf("%s: %v", what, err)
	}
	r := &rd{b: b, bo: res.bo}
	v := r.uN(n)
	if r.err != nil {
		return 0, fmt.Errorf("%s at %#x: %v", what, off, r.err)
	}
	return v, nil
}

// str is the string value of attribute a ("" if absent).
func (res *resolver) str(a uint64) (string, error) {
	v, ok := res.vals[a]
	if !ok {
		return "", nil
	}
	switch v.form {
	case formString:
		return v.s, nil
	case formStrp:
		return res.d.str.str(v.u)
	case formLineStrp:
		return res.d.lineStr.str(v.u)
	case formStrx, formStrx1, formStrx2, formStrx3, formStrx4, formGNUStrIndex:
		base := res.vals[atStrOffsetsBase].u
		o, err := res.at(res.d.strOffsets, ".debug_str_offsets", base+v.u*uint64(res.word()), res.word())
		if err != nil {
			return "", err
		}
		return res.d.str.str(o)
	}
	return "", nil // a form a name never has
}

// addr is the address attribute value v.
func (res *resolver) addr(v value) (uint64, error) {
	switch v.form {
	case formAddrx, formAddrx1, formAddrx2, formAddrx3, formAddrx4, formGNUAddrIndex:
		return res.addrx(v.u)
	}
	return v.u, nil
}

// addrx is entry i of the unit's .debug_addr table.
func (res *resolver) addrx(i uint64) (uint64, error) {
	base := res.vals[atAddrBase].u
	return res.at(res.d.addr, ".debug_addr", base+i*uint64(res.c.addrSize), res.c.addrSize)
}

// ranges are the unit's address ranges: [low_pc, high_pc) and the list
// DW_AT_ranges points to, as debug/dwarf's Data.Ranges gives them.
func (res *resolver) ranges() ([][2]uint64, error) {
	var out [][2]uint64
	var low uint64
	lowV, hasLow := res.vals[atLowPC]
	if hasLow {
		var err error
		if low, err = res.addr(lowV); err != nil {
			return nil, err
		}
	}
	if highV, ok := res.vals[atHighPC]; ok && hasLow {
		high := highV.u
		switch highV.form {
		case formAddr, formAddrx, formAddrx1, formAddrx2, formAddrx3, formAddrx4, formGNUAddrIndex:
			var err error
			if high, err = res.addr(highV); err != nil {
				return nil, err
			}
		default: // a constant: the length
			high += low
		}
		out = append(out, [2]uint64{low, high})
	}
	rv, ok := res.vals[atRanges]
	if !ok {
		return out, nil
	}
	if res.c.version < 5 {
		return res.dwarf4Ranges(out, low, rv.u)
	}
	off := rv.u
	if rv.form == formRnglistx {
		base := res.vals[atRnglistsBase].u
		o, err := res.at(res.d.rnglists, ".debug_rnglists", base+rv.u*uint64(res.word()), res.word())
		if err != nil {
			return nil, err
		}
		off = base + o
	}
	return res.rnglist(out, low, off)
}

// dwarf4Ranges reads a .debug_ranges list: address pairs relative to base,
// a pair of the largest address and a new base, a zero pair at the end.
func (res *resolver) dwarf4Ranges(out [][2]uint64, base, off uint64) ([][2]uint64, error) {
	n := res.c.addrSize
	maxAddr := ^uint64(0) >> (64 - 8*uint(n))
	start, startBase := len(out), base
	err := res.d.ranges.window(off, func(b []byte) error {
		out, base = out[:start], startBase
		r := &rd{b: b, bo: res.bo}
		for {
			lo, hi := r.uN(n), r.uN(n)
			switch {
			case r.err != nil:
				return r.err
			case lo == 0 && hi == 0:
				return nil
			case lo == maxAddr:
				base = hi
			default:
				out = append(out, [2]uint64{base + lo, base + hi})
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf(".debug_ranges at %#x: %v", off, err)
	}
	return out, nil
}

// rnglist reads a DWARF 5 range list at off of .debug_rnglists.
func (res *resolver) rnglist(out [][2]uint64, base, off uint64) ([][2]uint64, error) {
	start, startBase := len(out), base
	err := res.d.rnglists.window(off, func(b []byte) error {
		out, base = out[:start], startBase
		r := &rd{b: b, bo: res.bo}
		for {
			kind := r.u8()
			var lo, hi uint64
			var err error
			switch kind {
			case rleEndOfList:
				return r.err
			case rleBaseAddressx:
				base, err = res.addrx(r.uleb())
			case rleStartxEndx:
				a, b := r.uleb(), r.uleb()
				if lo, err = res.addrx(a); err == nil {
					hi, err = res.addrx(b)
				}
			case rleStartxLength:
				a, l := r.uleb(), r.uleb()
				lo, err = res.addrx(a)
				hi = lo + l
			case rleOffsetPair:
				lo = base + r.uleb()
				hi = base + r.uleb()
			case rleBaseAddress:
				base = r.uN(res.c.addrSize)
			case rleStartEnd:
				lo = r.uN(res.c.addrSize)
				hi = r.uN(res.c.addrSize)
			case rleStartLength:
				lo = r.uN(res.c.addrSize)
				hi = lo + r.uleb()
			default:
				if r.err != nil {
					return r.err
				}
				return fmt.Errorf("unknown entry kind %d at %#x", kind, off+uint64(r.off)-1)
			}
			if r.err != nil {
				return r.err
			}
			if err != nil {
				return fmt.Errorf("%v", err) // not errTrunc: .debug_addr
			}
			switch kind {
			case rleStartxEndx, rleStartxLength, rleOffsetPair, rleStartEnd, rleStartLength:
				out = append(out, [2]uint64{lo, hi})
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf(".debug_rnglists at %#x: %v", off, err)
	}
	return out, nil
}
