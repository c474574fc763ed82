// Package listing is the nm -n listing format: what GNU nm 2.40 prints for
// "LC_ALL=C nm -n FILE", built from an ELF file, written, parsed back, and
// filtered as the kernel's scripts/mksysmap filters it.
package listing

import (
	"bufio"
	"bytes"
	"cmp"
	"debug/elf"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// Line is one listing line. U, w and v lines print blanks instead of the
// value (Value is 0 for them).
type Line struct {
	Value uint64
	Type  byte
	Name  string
}

// Width returns the value width nm uses for f: 16 for ELFCLASS64, 8 for
// ELFCLASS32.
func Width(f *elfread.File) int {
	if f.Class == elf.ELFCLASS64 {
		return 16
	}
	return 8
}

// FromELF returns what nm -n prints for f, in nm -n order. Names point into
// f's image: they are valid while f is open.
func FromELF(f *elfread.File) ([]Line, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	lines := make([]Line, 0, len(syms))
	for i := range syms {
		s := &syms[i]
		if !f.Listed(s) {
			continue
		}
		lines = append(lines, Line{Value: f.Value(s), Type: f.Letter(s), Name: s.Name})
	}
	Sort(lines)
	return lines, nil
}

// undefined reports whether nm prints the line without a value.
func undefined(t byte) bool { return t == 'U' || t == 'w' || t == 'v' }

// Compare is nm -n's order (nm.c numeric_forward): undefined symbols first,
// then by value; ties, and undefined symbols among themselves, by name
// bytewise (strcoll under LC_ALL=C). glibc's qsort is a merge sort, so
// lines equal in all of these keep their symbol table order.
func Compare(a, b *Line) int {
	ua, ub := undefined(a.Type), undefined(b.Type)
	if ua != ub {
		if ua {
			return -1
		}
		return 1
	}
	if !ua && a.Value != b.Value {
		return cmp.Compare(a.Value, b.Value)
	}
	return strings.Compare(a.Name, b.Name)
}

// Less reports whether a sorts before b in nm -n order.
func Less(a, b *Line) bool { return Compare(a, b) < 0 }

// Sort sorts lines into nm -n order, keeping the order of equal lines.
func Sort(lines []Line) { Permute(lines, Order(lines)) }

// Permute puts s in the order perm gives (Order's: element i becomes
// s[perm[i]]); a nil perm leaves s as it is.
func Permute[T any](s []T, perm []int32) {
	if perm == nil {
		return
	}
	out := make([]T, len(s))
	for i, j := range perm {
		out[i] = s[j]
	}
	copy(s, out)
}

// Order returns the permutation that sorts lines into nm -n order, keeping
// the order of equal lines (out[i] = lines[perm[i]]), or nil if they are in
// order already.
func Order(lines []Line) []int32 {
	// Sort a permutation with the original position as the last key: an
	// unstable sort of distinct keys is stable, and much faster than
	// slices.SortStableFunc.
	if len(lines) < 2 {
		return nil
	}
	type key struct {
		v   uint64 // value, or 0 with und set
		und bool
		i   int32
	}
	keys := make([]key, len(lines))
	sorted := true
	for i := range lines {
		u := undefined(lines[i].Type)
		keys[i] = key{v: lines[i].Value, und: u, i: int32(i)}
		if u {
			keys[i].v = 0
		}
		if sorted && i > 0 && Compare(&lines[i-1], &lines[i]) > 0 {
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.und != b.und {
			if a.und {
				return -1
			}
			return 1
		}
		if a.v != b.v {
			return cmp.Compare(a.v, b.v)
		}
		if c := strings.Compare(lines[a.i].Name, lines[b.i].Name); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	perm := make([]int32, len(keys))
	for i, k := range keys {
		perm[i] = k.i
	}
	return perm
}

const hexDigits = "0123456789abcdef"

// Append appends the listing text of lines to buf, as nm prints it with a
// value width of 16 (ELFCLASS64) or 8 (ELFCLASS32) hex digits; no other
// width exists.
func Append(buf []byte, lines []Line, width int) []byte {
	for i := range lines {
		l := &lines[i]
		if undefined(l.Type) {
			for j := 0; j < width; j++ {
				buf = append(buf, ' ')
			}
		} else {
			v := l.Value
			if width <= 8 {
				v &= 0xffffffff
			}
			var tmp [16]byte
			for j := width - 1; j >= 0; j-- {
				tmp[j] = hexDigits[v&0xf]
				v >>= 4
			}
			buf = append(buf, tmp[:width]...)
		}
		buf = append(buf, ' ', l.Type, ' ')
		buf = append(buf, l.Name...)
		buf = append(buf, '\n')
	}
	return buf
}

// Size returns the number of bytes Append adds for lines.
func Size(lines []Line, width int) int {
	n := 0
	for i := range lines {
		n += width + 4 + len(lines[i].Name)
	}
	return n
}

// Write writes lines as nm -n prints them, width 16 for ELFCLASS64 and 8
// for ELFCLASS32, in one write.
func Write(w io.Writer, lines []Line, width int) error {
	buf := Append(make([]byte, 0, Size(lines, width)), lines, width)
	_, err := w.Write(buf)
	return err
}

// Parse reads a listing as nm -n or scripts/mksysmap prints it ("%x %c %s",
// blanks instead of the value for undefined symbols) and keeps its order.
// width is the width of the value field (0 if there are no lines). Errors
// name the input and the line number.
func Parse(r io.Reader, name string) (lines []Line, width int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		b := sc.Bytes()
		// The value field is hex digits, or as many blanks, then " T name"
		// (" T" alone for an empty name).
		var w int
		blank := len(b) > 0 && b[0] == ' '
		if blank {
			for w < len(b) && b[w] == ' ' {
				w++
			}
			w-- // the last blank is the separator
		} else {
			w = bytes.IndexByte(b, ' ')
		}
		if w <= 0 || w > 16 || len(b) < w+2 || (len(b) > w+2 && b[w+2] != ' ') {
			return nil, 0, fmt.Errorf("%s:%d: malformed listing line %q", name, n, trunc(b))
		}
		if width == 0 {
			width = w
		} else if w != width {
			return nil, 0, fmt.Errorf("%s:%d: value field is %d characters wide, earlier lines have %d", name, n, w, width)
		}
		var l Line
		l.Type = b[w+1]
		if len(b) > w+3 {
			l.Name = string(b[w+3:])
		}
		if blank {
			if !undefined(l.Type) {
				return nil, 0, fmt.Errorf("%s:%d: no value for a symbol of type %q", name, n, l.Type)
			}
		} else {
			for _, c := range b[:w] {
				var d byte
				switch {
				case '0' <= c && c <= '9':
					d = c - '0'
				case 'a' <= c && c <= 'f':
					d = c - 'a' + 10
				case 'A' <= c && c <= 'F':
					d = c - 'A' + 10
				default:
					return nil, 0, fmt.Errorf("%s:%d: bad hex value %q", name, n, b[:w])
				}
				l.Value = l.Value<<4 | uint64(d)
			}
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s:%d: %v", name, n+1, err)
	}
	return lines, width, nil
}

func trunc(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
