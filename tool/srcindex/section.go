package srcindex

import (
	"errors"
	"fmt"
	"io"
)

// section is one DWARF section: its bytes in memory (an ET_REL object's
// relocated copies, decompressed sections), or a reader of a linked image's,
// from which only what is asked for is read: a vmlinux has 300 MB of DWARF,
// of which the index needs a few bytes per unit, and lines of a few units.
type section struct {
	mem  []byte
	ra   io.ReaderAt // nil when in memory
	size uint64
}

func memSection(b []byte) *section { return &section{mem: b, size: uint64(len(b))} }

// len is the section's size (0 for a section the object lacks).
func (s *section) len() uint64 {
	if s == nil {
		return 0
	}
	return s.size
}

// span returns the n bytes at off, fewer at the end of the section.
func (s *section) span(off, n uint64) ([]byte, error) {
	if off > s.len() {
		return nil, fmt.Errorf("offset %#x outside the section (%#x bytes)", off, s.len())
	}
	n = min(n, s.size-off)
	if s.ra == nil {
		return s.mem[off : off+n : off+n], nil
	}
	b := make([]byte, n)
	if _, err := s.ra.ReadAt(b, int64(off)); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, err
	}
	return b, nil
}

// window runs parse on the bytes from off: first a few hundred, more each
// time parse runs out of them (errTrunc) before the end of the section.
func (s *section) window(off uint64, parse func(b []byte) error) error {
	for n := uint64(512); ; n *= 8 {
		b, err := s.span(off, n)
		if err != nil {
			return err
		}
		err = parse(b)
		if !errors.Is(err, errTrunc) || uint64(len(b)) < n {
			return err
		}
	}
}

// str reads the NUL-terminated string at off.
func (s *section) str(off uint64) (string, error) {
	var out string
	err := s.window(off, func(b []byte) error {
		for i, c := range b {
			if c == 0 {
				out = string(b[:i])
				return nil
			}
		}
		return errTrunc
	})
	if errors.Is(err, errTrunc) {
		return "", fmt.Errorf("string at %#x not terminated", off)
	}
	return out, err
}
