package kernel

import (
	"debug/elf"
	"fmt"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/mmapfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
)

// moduleFile is a module file, read: its bytes as stored, its ELF image
// (decompressed, with any appended signature split off) and the signature.
type moduleFile struct {
	path  string
	raw   []byte        // the file's bytes as stored (compressed, if it is)
	whole []byte        // decompressed: ELF image and signature
	elf   *elfread.File // the ELF image alone
	sig   []byte        // the appended signature, nil if none
	m     *mmapfile.Map
}

// readModule reads a module file (.ko or .o, plain or compressed): plain
// files are mapped, compressed ones decompressed into memory.
func readModule(path string) (*moduleFile, error) {
	mf := &moduleFile{path: path}
	if modfile.Compressed(path) {
		raw, image, err := modfile.Read(path)
		if err != nil {
			return nil, err
		}
		mf.raw, mf.whole = raw, image
	} else {
		m, err := mmapfile.Open(path)
		if err != nil {
			return nil, err
		}
		mf.m = m
		mf.raw, mf.whole = m.Data, m.Data
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

// close releases the mapping; nothing read from the file may be used after.
func (mf *moduleFile) close() {
	if mf.m != nil {
		mf.m.Close()
		mf.m = nil
	}
	mf.raw, mf.whole, mf.elf = nil, nil, nil
}
