package kernel

import (
	"debug/elf"
	"fmt"

	"sync"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
)

// moduleFile is a module file, read: its ELF image (decompressed, with any
// appended signature split off) and the signature.
type moduleFile struct {
	path  string
	whole []byte        // decompressed: ELF image and signature
	elf   *elfread.File // the ELF image alone
	sig   []byte        // the appended signature, nil if none
	r     *modfile.Reader
}

// readers are the read buffers of module files, one per goroutine at a time.
var readers = sync.Pool{New: func() any { return new(modfile.Reader) }}

// readModule reads a module file (.ko or .o, plain or compressed) into a
// pooled buffer: thousands of small files cost less read than mapped.
func readModule(path string) (*moduleFile, error) {
	mf := &moduleFile{path: path, r: readers.Get().(*modfile.Reader)}
	var err error
	if mf.whole, err = mf.r.Read(path); err != nil {
		mf.close()
		return nil, err
	}
	img, sig, err := SplitSignature(mf.whole)
	if err != nil {
		mf.close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	mf.sig = sig
	if mf.elf, err = elfread.NewFile(path, img); err != nil {
		mf.close()
		return nil, err
	}
	if t := mf.elf.Type; t != elf.ET_REL {
		mf.close()
		return nil, fmt.Errorf("%s: not a relocatable object (ELF type %v); modules are .ko or .o files", path, t)
	}
	return mf, nil
}

// close gives the buffer back; nothing read from the file may be used after.
func (mf *moduleFile) close() {
	if mf.r != nil {
		readers.Put(mf.r)
		mf.r = nil
	}
	mf.whole, mf.elf, mf.sig = nil, nil, nil
}
