package elfread

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// maxDecompressed bounds a decompressed section: a corrupt header must not
// allocate without limit.
const maxDecompressed = 1 << 32

// Contents returns what section i holds: its bytes as stored (a slice of
// the image, no copy), or a decompressed copy for SHF_COMPRESSED sections
// (zlib or zstd, what gcc and ld make with --compress-debug-sections) and
// GNU's older .zdebug_* sections.
func (f *File) Contents(i int) ([]byte, error) {
	b, err := f.SectionData(i)
	if err != nil || b == nil {
		return b, err
	}
	s := &f.Sections[i]
	switch {
	case s.Flags&elf.SHF_COMPRESSED != 0:
		return f.decompressChdr(i, b)
	case strings.HasPrefix(s.Name, ".zdebug_"):
		if len(b) < 12 || string(b[:4]) != "ZLIB" {
			return nil, f.SectionErrorf(i, 0, "no ZLIB header")
		}
		return f.inflate(i, elf.COMPRESS_ZLIB, b[12:], binary.BigEndian.Uint64(b[4:12]))
	}
	return b, nil
}

// SectionReader returns a reader of section i's contents and their size. A
// plain section of a mapped file is read with pread, not through the
// mapping: a reader that takes a few bytes here and there from hundreds of
// megabytes (DWARF unit headers) then maps none of them. A compressed
// section is decompressed (Contents).
func (f *File) SectionReader(i int) (io.ReaderAt, uint64, error) {
	if i < 0 || i >= len(f.Sections) {
		return nil, 0, f.Errorf("section %d out of range (%d sections)", i, len(f.Sections))
	}
	s := &f.Sections[i]
	if s.Type != elf.SHT_NOBITS && (s.Offset > f.size || s.Size > f.size-s.Offset) {
		return nil, 0, f.SectionErrorf(i, -1, "extends past end of file")
	}
	if s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_COMPRESSED != 0 || strings.HasPrefix(s.Name, ".zdebug_") {
		c, err := f.Contents(i)
		if err != nil {
			return nil, 0, err
		}
		return bytes.NewReader(c), uint64(len(c)), nil
	}
	var ra io.ReaderAt = f
	if f.m != nil {
		ra = f.m // pread, not the mapping
	}
	return io.NewSectionReader(ra, int64(s.Offset), int64(s.Size)), s.Size, nil
}

// decompressChdr decompresses a section that starts with an Elf32_Chdr or
// Elf64_Chdr.
func (f *File) decompressChdr(i int, b []byte) ([]byte, error) {
	var typ elf.CompressionType
	var size uint64
	var hdr int
	if f.is64 {
		if len(b) < 24 {
			return nil, f.SectionErrorf(i, 0, "compressed section too short for its header")
		}
		typ, size, hdr = elf.CompressionType(f.u32(b)), f.u64(b[8:]), 24
	} else {
		if len(b) < 12 {
			return nil, f.SectionErrorf(i, 0, "compressed section too short for its header")
		}
		typ, size, hdr = elf.CompressionType(f.u32(b)), uint64(f.u32(b[4:])), 12
	}
	return f.inflate(i, typ, b[hdr:], size)
}

func (f *File) inflate(i int, typ elf.CompressionType, b []byte, size uint64) ([]byte, error) {
	if size > maxDecompressed {
		return nil, f.SectionErrorf(i, 0, "decompressed size %d too large", size)
	}
	var r io.Reader
	switch typ {
	case elf.COMPRESS_ZLIB:
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, f.SectionErrorf(i, -1, "decompressing: %v", err)
		}
		r = zr
	case elf.COMPRESS_ZSTD:
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, f.SectionErrorf(i, -1, "decompressing: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, f.SectionErrorf(i, -1, "unknown compression type %d", typ)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, f.SectionErrorf(i, -1, "decompressing: %v", err)
	}
	return out, nil
}
