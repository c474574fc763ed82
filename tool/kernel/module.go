package kernel

import (
	"debug/elf"
	"fmt"

	"os"
	"sync"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/modsign"
)

// moduleFile is a module file, opened: its ELF image (decompressed, with
// any appended signature split off) and the signature.
type moduleFile struct {
	path   string
	elf    *elfread.File // the ELF image alone
	whole  []byte        // ELF image and signature, when read whole; nil when read lazily
	signed bool          // the file has an appended signature
	r      *modfile.Reader
	file   *os.File
}

// readers are the read buffers of module files, one per goroutine at a time.
var readers = sync.Pool{New: func() any { return new(modfile.Reader) }}

// openModule opens a module file (.ko or .o, plain or compressed) for its
// symbols: a plain file is read piece by piece (headers, then the sections
// asked for), a compressed one decompressed into a pooled buffer.
func openModule(path string) (*moduleFile, error) {
	if modfile.Compressed(path) {
		return readModule(path)
	}
	mf := &moduleFile{path: path}
	if err := mf.openLazily(); err != nil {
		mf.close()
		return nil, err
	}
	return mf, nil
}

func (mf *moduleFile) openLazily() error {
	var err error
	if mf.file, err = os.Open(mf.path); err != nil {
		return err
	}
	st, err := mf.file.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", mf.path)
	}
	var tail [modsign.TrailerSize]byte
	size := int(st.Size())
	n := min(size, modsign.TrailerSize)
	if _, err := mf.file.ReadAt(tail[:n], int64(size-n)); err != nil {
		return fmt.Errorf("%s: %v", mf.path, err)
	}
	start, err := modsign.ImageSize(size, tail[:n])
	if err != nil {
		return fmt.Errorf("%s: %v", mf.path, err)
	}
	mf.signed = start < size
	if mf.elf, err = elfread.NewReaderFile(mf.path, mf.file, int64(start)); err != nil {
		return err
	}
	return mf.checkRel()
}

// readModule reads a module file whole (decompressed) into a pooled buffer.
func readModule(path string) (*moduleFile, error) {
	mf := &moduleFile{path: path, r: readers.Get().(*modfile.Reader)}
	var err error
	if mf.whole, err = mf.r.Read(path); err != nil {
		mf.close()
		return nil, err
	}
	img, sig, err := modsign.Split(mf.whole)
	if err != nil {
		mf.close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	mf.signed = sig != nil
	if mf.elf, err = elfread.NewFile(path, img); err == nil {
		err = mf.checkRel()
	}
	if err != nil {
		mf.close()
		return nil, err
	}
	return mf, nil
}

func (mf *moduleFile) checkRel() error {
	if t := mf.elf.Type; t != elf.ET_REL {
		return fmt.Errorf("%s: not a relocatable object (ELF type %v); modules are .ko or .o files", mf.path, t)
	}
	return nil
}

// close gives the buffer back or closes the file; nothing read from the
// module may be used after.
func (mf *moduleFile) close() {
	if mf.r != nil {
		readers.Put(mf.r)
		mf.r = nil
	}
	if mf.file != nil {
		mf.file.Close()
		mf.file = nil
	}
	mf.whole, mf.elf = nil, nil
}
