package kernel

import (
	"debug/elf"
	"fmt"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// vmlinux is an open vmlinux: its Object refers to the mapped files, which
// close releases.
type vmlinux struct {
	obj   *alias.Object
	elf   *elfread.File
	files []*elfread.File
}

// openLinked opens a linked kernel image (ET_EXEC, or ET_DYN for relocatable
// arm64 and riscv kernels); what names the image wanted, for errors.
func openLinked(path, what string) (*elfread.File, error) {
	f, err := elfread.Open(path)
	if err != nil {
		return nil, err
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		f.Close()
		if f.Type == elf.ET_REL {
			return nil, fmt.Errorf("%s: a relocatable object (ET_REL), not a linked %s", path, what)
		}
		return nil, fmt.Errorf("%s: %v file, not a linked %s", path, f.Type, what)
	}
	return f, nil
}

// openVmlinux opens vmlinux and its source index: from its own DWARF, or
// from dwarfPath's (a -dbg vmlinux) if given.
func openVmlinux(path, dwarfPath, srctree string) (_ *vmlinux, err error) {
	v := &vmlinux{}
	defer func() {
		if err != nil {
			v.close()
		}
	}()
	f, err := openLinked(path, "vmlinux")
	if err != nil {
		return nil, err
	}
	v.elf = f
	v.files = append(v.files, f)
	src := f
	if dwarfPath != "" {
		// Its DWARF must speak of vmlinux's addresses, not section offsets.
		if src, err = openLinked(dwarfPath, "vmlinux with DWARF (--dwarf takes a -dbg vmlinux)"); err != nil {
			return nil, err
		}
		v.files = append(v.files, src)
	}
	idx, err := srcindex.Open(src, srcindex.Options{Srctree: srctree})
	if err != nil {
		return nil, err
	}
	if v.obj, err = newObject(f, "vmlinux", false, false); err != nil {
		return nil, err
	}
	if err = readKprobes(f, v.obj); err != nil {
		return nil, err
	}
	v.obj.Source = indexLocator{idx}
	return v, nil
}

func (v *vmlinux) close() {
	for _, f := range v.files {
		f.Close()
	}
	v.files = nil
}
