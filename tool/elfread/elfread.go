// Package elfread reads the symbol table of ELF objects as a kernel build
// makes them (vmlinux, .o, .ko, compressed .ko.xz/.ko.zst/.ko.gz) without
// binutils, and classifies symbols exactly as GNU nm 2.40 does.
//
// It is the project's one ELF model: header, sections (with their contents,
// decompressed where SHF_COMPRESSED), symbols with SHN_XINDEX resolved, and
// relocations, for every class, byte order and machine a kernel is built
// for. Other packages take a *File; none parses ELF itself.
//
// Plain files are mapped read-only, so a 600 MB vmlinux costs what its
// section headers, .symtab and .strtab cost. Every offset and size read from
// the file is bounds-checked: bad input yields a *FormatError naming the
// file (and the section and offset where it applies), never a panic.
package elfread

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"

	"github.com/kas-alias/rules_kas_alias/tool/internal/mmapfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
)

// File is an open ELF object.
type File struct {
	Name      string // path as given; every error starts with it
	Class     elf.Class
	Data      elf.Data
	ByteOrder binary.ByteOrder
	Type      elf.Type
	Machine   elf.Machine
	Flags     uint32 // raw e_flags
	OSABI     elf.OSABI
	Sections  []Section // index = section header index (SHN_XINDEX-aware count)
	// Shoff is e_shoff: where the section header table starts. Its entries
	// are SectionHeaderSize bytes each.
	Shoff uint64

	image     []byte         // the whole file, mapped or in memory; nil when read through ra
	ra        io.ReaderAt    // the file, for files read piece by piece
	size      uint64         // the image's size
	cache     map[int][]byte // sections read through ra
	m         *mmapfile.Map
	le        bool
	is64      bool
	shstrndx  uint32
	symtab    int    // index of the SHT_SYMTAB section, 0 if none
	secLetter []byte // nm's lowercase letter per section; 0: no BFD section (abs)
}

// Section is one section header, with its name resolved.
type Section struct {
	Name      string
	Type      elf.SectionType
	Flags     elf.SectionFlag
	Addr      uint64
	Offset    uint64
	Size      uint64
	Link      uint32
	Info      uint32
	Addralign uint64
	Entsize   uint64

	nameOff uint32 // sh_name
}

// Symbol is one .symtab entry.
type Symbol struct {
	Index uint32 // index in .symtab
	Name  string // valid while the File is open (may point into the mapping)
	Value uint64
	Size  uint64
	Bind  elf.SymBind
	Type  elf.SymType
	Other uint8
	// Section is st_shndx with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX;
	// special values (SHN_UNDEF, SHN_ABS, SHN_COMMON, processor-specific)
	// are kept as they are.
	Section uint32
	// Extended reports that Section came from SHT_SYMTAB_SHNDX: it is then
	// a real section index even if it is at or above SHN_LORESERVE.
	Extended bool
	// File is the name of the nearest preceding STT_FILE symbol in .symtab,
	// "" if none (the translation unit of local symbols).
	File string
}

// Open opens an ELF object: plain files are mapped, compressed modules
// (.xz, .zst, .gz) are decompressed into memory.
func Open(path string) (*File, error) {
	f := &File{Name: path}
	if modfile.Compressed(path) {
		var r modfile.Reader
		image, err := r.Read(path)
		if err != nil {
			return nil, prefix(path, err)
		}
		f.image = image
	} else {
		m, err := mmapfile.Open(path)
		if err != nil {
			return nil, prefix(path, err)
		}
		f.m = m
		f.image = m.Data
	}
	f.size = uint64(len(f.image))
	if err := f.parse(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// NewFile reads an ELF image held in memory; name is used in errors.
func NewFile(name string, image []byte) (*File, error) {
	f := &File{Name: name, image: image, size: uint64(len(image))}
	if err := f.parse(); err != nil {
		return nil, err
	}
	return f, nil
}

// NewReaderFile reads the ELF image in the first size bytes of r piece by
// piece: headers first, each section when it is asked for (once). Reading a
// module's symbol table takes a tenth of its bytes; Image is nil.
func NewReaderFile(name string, r io.ReaderAt, size int64) (*File, error) {
	f := &File{Name: name, ra: r, size: uint64(size), cache: map[int][]byte{}}
	if err := f.parse(); err != nil {
		return nil, err
	}
	return f, nil
}

// bytesAt returns n bytes at off of the file (a slice of the image, or read).
func (f *File) bytesAt(off, n uint64) ([]byte, error) {
	if off > f.size || n > f.size-off {
		return nil, io.ErrUnexpectedEOF
	}
	if f.ra == nil {
		return f.image[off : off+n : off+n], nil
	}
	b := make([]byte, n)
	if _, err := f.ra.ReadAt(b, int64(off)); err != nil {
		return nil, f.Errorf("reading %d bytes at %#x: %v", n, off, err)
	}
	return b, nil
}

// ReadAt reads from the ELF image.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || uint64(off) > f.size {
		return 0, io.EOF
	}
	n := min(uint64(len(p)), f.size-uint64(off))
	b, err := f.bytesAt(uint64(off), n)
	if err != nil {
		return 0, err
	}
	copy(p, b)
	if n < uint64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// prefix makes err start with the file name (os errors already do).
func prefix(path string, err error) error {
	s := err.Error()
	if len(s) >= len(path) && s[:len(path)] == path {
		return err
	}
	if pe, ok := err.(interface{ Unwrap() error }); ok && pe.Unwrap() != nil {
		// *os.PathError prints "open PATH: ..."; say it the same way.
		return fmt.Errorf("%s: %v", path, pe.Unwrap())
	}
	return fmt.Errorf("%s: %v", path, err)
}

// SectionHeaderSize is the size of one section header entry.
func (f *File) SectionHeaderSize() uint64 {
	if f.is64 {
		return 64
	}
	return 40
}

// SymbolSize is the size of one .symtab entry.
func (f *File) SymbolSize() uint64 {
	if f.is64 {
		return 24
	}
	return 16
}

// Symtab returns the index of the symbol table section (SHT_SYMTAB), 0 if
// the file has none.
func (f *File) Symtab() int { return f.symtab }

// Close releases the mapping; names of symbols become invalid.
func (f *File) Close() error {
	f.image = nil
	if f.m != nil {
		err := f.m.Close()
		f.m = nil
		return err
	}
	return nil
}

// Image returns the whole ELF image (mapped or decompressed), nil for a
// file read piece by piece (NewReaderFile).
func (f *File) Image() []byte { return f.image }

// SectionData returns the contents of section i, checked against the image.
func (f *File) SectionData(i int) ([]byte, error) {
	if i < 0 || i >= len(f.Sections) {
		return nil, f.Errorf("section %d out of range (%d sections)", i, len(f.Sections))
	}
	s := &f.Sections[i]
	if s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Offset > f.size || s.Size > f.size-s.Offset {
		return nil, f.SectionErrorf(i, -1, "extends past end of file")
	}
	if b, ok := f.cache[i]; ok {
		return b, nil
	}
	b, err := f.bytesAt(s.Offset, s.Size)
	if err != nil {
		return nil, err
	}
	if f.cache != nil {
		f.cache[i] = b
	}
	return b, nil
}

func (f *File) u16(b []byte) uint16 {
	if f.le {
		return binary.LittleEndian.Uint16(b)
	}
	return binary.BigEndian.Uint16(b)
}

func (f *File) u32(b []byte) uint32 {
	if f.le {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

func (f *File) u64(b []byte) uint64 {
	if f.le {
		return binary.LittleEndian.Uint64(b)
	}
	return binary.BigEndian.Uint64(b)
}

// word reads an address-sized field.
func (f *File) word(b []byte) uint64 {
	if f.is64 {
		return f.u64(b)
	}
	return uint64(f.u32(b))
}

func (f *File) parse() error {
	b, err := f.bytesAt(0, min(f.size, 64))
	if err != nil {
		return err
	}
	if len(b) < 16 || string(b[:4]) != elf.ELFMAG {
		if len(b) >= 4 && string(b[:4]) == elf.ELFMAG {
			return f.Errorf("truncated ELF header (%d bytes)", len(b))
		}
		return f.Errorf("not an ELF file")
	}
	f.Class = elf.Class(b[elf.EI_CLASS])
	f.Data = elf.Data(b[elf.EI_DATA])
	f.OSABI = elf.OSABI(b[elf.EI_OSABI])
	switch f.Class {
	case elf.ELFCLASS32:
	case elf.ELFCLASS64:
		f.is64 = true
	default:
		return f.Errorf("unknown ELF class %d", b[elf.EI_CLASS])
	}
	switch f.Data {
	case elf.ELFDATA2LSB:
		f.le, f.ByteOrder = true, binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.ByteOrder = binary.BigEndian
	default:
		return f.Errorf("unknown ELF data encoding %d", b[elf.EI_DATA])
	}
	if v := b[elf.EI_VERSION]; v != byte(elf.EV_CURRENT) {
		return f.Errorf("unknown ELF version %d", v)
	}
	ehsize := 52
	if f.is64 {
		ehsize = 64
	}
	if len(b) < ehsize {
		return f.Errorf("truncated ELF header (%d bytes)", len(b))
	}
	f.Type = elf.Type(f.u16(b[16:]))
	f.Machine = elf.Machine(f.u16(b[18:]))
	var shoff uint64
	var shentsize, shnum, shstrndx uint16
	if f.is64 {
		shoff = f.u64(b[40:])
		f.Flags = f.u32(b[48:])
		shentsize, shnum, shstrndx = f.u16(b[58:]), f.u16(b[60:]), f.u16(b[62:])
	} else {
		shoff = uint64(f.u32(b[32:]))
		f.Flags = f.u32(b[36:])
		shentsize, shnum, shstrndx = f.u16(b[46:]), f.u16(b[48:]), f.u16(b[50:])
	}
	if shoff == 0 {
		return f.Errorf("no section headers")
	}
	f.Shoff = shoff
	want := uint16(40)
	if f.is64 {
		want = 64
	}
	if shentsize != want {
		return f.Errorf("section header size %d, want %d", shentsize, want)
	}
	if shoff > f.size || f.size-shoff < uint64(want) {
		return f.Errorf("section header table at offset %#x extends past end of file", shoff)
	}
	// Section 0 holds the real count and string table index when they do
	// not fit the header (SHN_XINDEX objects).
	n := uint64(shnum)
	f.shstrndx = uint32(shstrndx)
	sh0, err := f.bytesAt(shoff, uint64(want))
	if err != nil {
		return err
	}
	s0 := f.readShdr(sh0)
	if n == 0 {
		n = s0.Size
	}
	if shstrndx == uint16(elf.SHN_XINDEX) {
		f.shstrndx = s0.Link
	}
	if n == 0 {
		return f.Errorf("no section headers")
	}
	if n > (f.size-shoff)/uint64(want) {
		return f.Errorf("section header table (%d entries at offset %#x) extends past end of file", n, shoff)
	}
	sht, err := f.bytesAt(shoff, n*uint64(want))
	if err != nil {
		return err
	}
	f.Sections = make([]Section, n)
	for i := range f.Sections {
		f.Sections[i] = f.readShdr(sht[uint64(i)*uint64(want):])
	}
	// Names.
	if f.shstrndx != 0 {
		if uint64(f.shstrndx) >= n {
			return f.Errorf("section name table index %d out of range (%d sections)", f.shstrndx, n)
		}
		strs, err := f.SectionData(int(f.shstrndx))
		if err != nil {
			return err
		}
		for i := range f.Sections {
			off := f.Sections[i].nameOff
			if uint64(off) >= uint64(len(strs)) {
				if off == 0 {
					continue
				}
				return f.SectionErrorf(i, -1, "name offset %#x past end of section name table (%d bytes)", off, len(strs))
			}
			f.Sections[i].Name = cstring(strs[off:])
		}
	}
	for i := range f.Sections {
		if f.Sections[i].Type == elf.SHT_SYMTAB {
			f.symtab = i
			break
		}
	}
	f.classifySections()
	return nil
}

func (f *File) readShdr(b []byte) Section {
	var s Section
	if f.is64 {
		s.nameOff = f.u32(b[0:])
		s.Type = elf.SectionType(f.u32(b[4:]))
		s.Flags = elf.SectionFlag(f.u64(b[8:]))
		s.Addr = f.u64(b[16:])
		s.Offset = f.u64(b[24:])
		s.Size = f.u64(b[32:])
		s.Link = f.u32(b[40:])
		s.Info = f.u32(b[44:])
		s.Addralign = f.u64(b[48:])
		s.Entsize = f.u64(b[56:])
	} else {
		s.nameOff = f.u32(b[0:])
		s.Type = elf.SectionType(f.u32(b[4:]))
		s.Flags = elf.SectionFlag(f.u32(b[8:]))
		s.Addr = uint64(f.u32(b[12:]))
		s.Offset = uint64(f.u32(b[16:]))
		s.Size = uint64(f.u32(b[20:]))
		s.Link = f.u32(b[24:])
		s.Info = f.u32(b[28:])
		s.Addralign = uint64(f.u32(b[32:]))
		s.Entsize = uint64(f.u32(b[36:]))
	}
	return s
}

// cstring returns the NUL-terminated string at the start of b (all of b if
// it has no NUL, as BFD terminates string tables itself), without copying.
func cstring(b []byte) string {
	n := indexNUL(b)
	if n == 0 {
		return ""
	}
	return unsafe.String(&b[0], n)
}

func indexNUL(b []byte) int {
	if n := bytes.IndexByte(b, 0); n >= 0 {
		return n
	}
	return len(b)
}
