package kernel

import (
	"errors"
	"io"
	"runtime"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/parallel"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// Scan is one scan: what to read and what to write.
type Scan struct {
	Vmlinux string   // vmlinux (ELF); "" for a modules-only scan
	DWARF   string   // a separate file with vmlinux's DWARF; "" for vmlinux's own
	Srctree string   // kernel source tree stripped from DWARF paths
	Modules []string // module files, in order (ModulePaths)
	Scheme  alias.Scheme
	Data    bool
	// Mksysmap is the scripts/mksysmap of the kernel scanned, which decides
	// what counts as a duplicate.
	Mksysmap Mksysmap
	// SymsMksysmap keeps in Syms only what that mksysmap keeps.
	SymsMksysmap bool

	Syms    string // the aliased vmlinux listing; "" for none
	MapTSV  string // the alias map as TSV; "" for none
	MapJSON string // the alias map as JSON; "" for none
	PlanDir string // one plan per module; "" for none
}

// Run scans and writes every output asked for, each atomically; on an
// error, none is written.
func (c *Scan) Run() (*alias.Result, error) {
	if c.Vmlinux == "" && len(c.Modules) == 0 {
		return nil, errors.New("nothing to scan: give --vmlinux and/or modules")
	}
	if c.Syms != "" && c.Vmlinux == "" {
		return nil, errors.New("--syms needs --vmlinux")
	}
	opts := alias.Options{Scheme: c.Scheme, Data: c.Data}

	// vmlinux is read while the module workers run.
	var vm *vmlinux
	var vmErr error
	vmDone := make(chan struct{})
	go func() {
		defer close(vmDone)
		if c.Vmlinux != "" {
			vm, vmErr = openVmlinux(c.Vmlinux, c.DWARF, c.Srctree)
		}
	}()
	mods, err := c.readModules(opts)
	<-vmDone
	if vm != nil {
		defer vm.close()
	}
	if vmErr != nil {
		return nil, vmErr
	}
	if err != nil {
		return nil, err
	}
	var kernelImage *elfread.File
	var objs []*alias.Object
	if vm != nil {
		kernelImage = vm.elf
		objs = append(objs, vm.obj)
	}
	if opts.Mksysmap, err = c.Mksysmap.rules(kernelImage); err != nil {
		return nil, err
	}
	objs = append(objs, mods...)
	res, err := alias.Choose(objs, opts)
	if err != nil {
		return nil, err
	}
	return res, c.write(res, mods, opts.Mksysmap)
}

// readModules reads every module on all cores, each into a compact Object,
// and closes it.
func (c *Scan) readModules(opts alias.Options) ([]*alias.Object, error) {
	objs := make([]*alias.Object, len(c.Modules))
	err := parallel.ForEach(len(c.Modules), runtime.GOMAXPROCS(0), false, func(i int) (err error) {
		objs[i], err = moduleObject(c.Modules[i], c.Srctree, opts)
		return err
	})
	return objs, err
}

// moduleObject reads one module into an Object that no longer needs the file.
func moduleObject(path, srctree string, opts alias.Options) (*alias.Object, error) {
	mf, err := openModule(path)
	if err != nil {
		return nil, err
	}
	defer mf.close()
	obj, err := newObject(mf.elf, plan.ModuleName(path), true, true)
	if err == nil {
		err = readKprobes(mf.elf, obj)
	}
	if err != nil {
		return nil, err
	}
	idx, err := srcindex.Open(mf.elf, srcindex.Options{Srctree: srctree})
	if err != nil {
		return nil, err
	}
	if obj.Source, err = locateAll(idx, obj, opts); err != nil {
		return nil, err
	}
	if obj.Identity, err = plan.Identity(mf.elf); err != nil {
		return nil, err
	}
	return obj, nil
}

// write writes every output asked for: the plans on one goroutine, the
// listing and the maps on another, each into a temporary file or directory;
// only when all are complete are they renamed into place.
func (c *Scan) write(res *alias.Result, mods []*alias.Object, rules listing.Rules) error {
	type output struct {
		path string
		fill func(io.Writer) error
	}
	var outs []output
	if c.Syms != "" {
		vm := res.Objects[0]
		var keep func(*listing.Line) bool
		if c.SymsMksysmap {
			keep = rules.Keep
		}
		outs = append(outs, output{c.Syms, func(w io.Writer) error { return listing.Write(w, res.Listing(vm, keep), vm.Width) }})
	}
	if c.MapTSV != "" {
		outs = append(outs, output{c.MapTSV, res.WriteMapTSV})
	}
	if c.MapJSON != "" {
		outs = append(outs, output{c.MapJSON, res.WriteMapJSON})
	}
	files := make([]*atomicfile.File, len(outs))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Abort()
			}
		}
	}()
	var dir *atomicfile.Dir
	err := parallel.ForEach(2, 2, false, func(job int) error {
		if job == 1 {
			var err error
			dir, err = c.writePlans(res, mods)
			return err
		}
		for i, o := range outs {
			f, err := atomicfile.Create(o.path)
			if err != nil {
				return err
			}
			files[i] = f
			if err := o.fill(f); err != nil {
				return err
			}
		}
		return nil
	})
	if dir != nil {
		defer dir.Abort()
	}
	if err != nil {
		return err
	}
	for i, f := range files {
		files[i] = nil
		if err := f.Commit(); err != nil {
			return err
		}
	}
	if dir != nil {
		return dir.Commit()
	}
	return nil
}

// writePlans writes one plan per module into a new directory, to be
// committed (nil if no plans are asked for).
func (c *Scan) writePlans(res *alias.Result, mods []*alias.Object) (*atomicfile.Dir, error) {
	if c.PlanDir == "" {
		return nil, nil
	}
	dir, err := atomicfile.CreateDir(c.PlanDir)
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		dir.Add(plan.FileName(m.Name))
	}
	// One writer: files created in one directory from two threads contend
	// for its lock, and cost more than they save.
	for _, m := range mods {
		p, err := res.Plan(m)
		if err == nil {
			err = dir.WriteFile(plan.FileName(m.Name), p.Marshal())
		}
		if err != nil {
			return dir, err
		}
	}
	return dir, nil
}
