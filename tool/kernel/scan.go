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
	mf, err := readModule(path)
	if err != nil {
		return nil, err
	}
	defer mf.close()
	obj, err := newObject(mf.elf, plan.ModuleName(path), true, true)
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

func (c *Scan) write(res *alias.Result, mods []*alias.Object, rules listing.Rules) error {
	if c.Syms != "" {
		vm := res.Objects[0]
		var keep func(*listing.Line) bool
		if c.SymsMksysmap {
			keep = rules.Keep
		}
		lines := res.Listing(vm, keep)
		if err := atomicfile.Write(c.Syms, func(w io.Writer) error { return listing.Write(w, lines, vm.Width) }); err != nil {
			return err
		}
	}
	if c.MapTSV != "" {
		if err := atomicfile.Write(c.MapTSV, res.WriteMapTSV); err != nil {
			return err
		}
	}
	if c.MapJSON != "" {
		if err := atomicfile.Write(c.MapJSON, res.WriteMapJSON); err != nil {
			return err
		}
	}
	if c.PlanDir == "" {
		return nil
	}
	dir, err := atomicfile.CreateDir(c.PlanDir)
	if err != nil {
		return err
	}
	defer dir.Abort()
	for _, m := range mods {
		dir.Add(plan.FileName(m.Name))
	}
	// One writer: files created in one directory from two threads contend
	// for its lock, and cost more than they save.
	err = parallel.ForEach(len(mods), 1, true, func(i int) error {
		p, err := res.Plan(mods[i])
		if err != nil {
			return err
		}
		return dir.WriteFile(plan.FileName(mods[i].Name), p.Marshal())
	})
	if err != nil {
		return err
	}
	return dir.Commit()
}
