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
	// RewriteDir gets every module with its aliases added, in this run
	// (what "kas_alias rewrite --plan-dir --out-dir" makes of the plans);
	// "" for none. Rewrite says how.
	RewriteDir string
	Rewrite    Rewrite
}

// Summary is what a scan found.
type Summary struct {
	Scheme     alias.Scheme
	Objects    int // vmlinux and modules
	Duplicates int // names at more than one place
	Aliases    int
	Unlocated  int // symbols left without alias: no location known
}

// Run scans and writes every output asked for; on an error, none is
// written (each goes to a temporary file or directory, all renamed into
// place at the end).
func (c *Scan) Run() (Summary, error) {
	res, mods, rules, done, err := c.choose()
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Scheme: res.Scheme, Objects: len(res.Objects), Duplicates: res.Duplicates, Aliases: len(res.Aliases), Unlocated: res.Unlocated}
	var plans []*plan.Plan
	if c.PlanDir != "" || c.RewriteDir != "" {
		plans = make([]*plan.Plan, len(mods))
		for i, m := range mods {
			if plans[i], err = res.Plan(m); err != nil {
				done()
				return sum, err
			}
		}
	}
	staged, err := c.stage(res, mods, plans, rules)
	// The symbols are not needed any more: their memory goes to the rewrite.
	res, mods = nil, nil
	done()
	defer staged.abort()
	if err != nil {
		return sum, err
	}
	if c.RewriteDir != "" {
		// The plans are this run's own: no identity to check.
		dir, err := c.Rewrite.intoDir(c.RewriteDir, c.Modules, func(i int, _ string) (*plan.Plan, bool, error) {
			return plans[i], false, nil
		})
		if err != nil {
			return sum, err
		}
		staged.dirs = append(staged.dirs, dir)
	}
	return sum, staged.commit()
}

// choose reads vmlinux and the modules and chooses the aliases; done
// releases vmlinux.
func (c *Scan) choose() (_ *alias.Result, _ []*alias.Object, _ listing.Rules, done func(), err error) {
	done = func() {}
	if c.Vmlinux == "" && len(c.Modules) == 0 {
		return nil, nil, 0, done, errors.New("nothing to scan: give --vmlinux and/or modules")
	}
	if c.Syms != "" && c.Vmlinux == "" {
		return nil, nil, 0, done, errors.New("--syms needs --vmlinux")
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
	var objs []*alias.Object
	var kernelImage *elfread.File
	if vm != nil {
		done = vm.close
		kernelImage = vm.elf
		objs = append(objs, vm.obj)
	}
	defer func() {
		if err != nil {
			done()
		}
	}()
	if vmErr != nil {
		return nil, nil, 0, done, vmErr
	}
	if err != nil {
		return nil, nil, 0, done, err
	}
	if opts.Mksysmap, err = c.Mksysmap.rules(kernelImage); err != nil {
		return nil, nil, 0, done, err
	}
	objs = append(objs, mods...)
	res, err := alias.Choose(objs, opts)
	if err != nil {
		return nil, nil, 0, done, err
	}
	return res, mods, opts.Mksysmap, done, nil
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

// staged are outputs written to temporary files and directories.
type staged struct {
	files []*atomicfile.File
	dirs  []*atomicfile.Dir
}

// commit renames them into place.
func (st *staged) commit() error {
	for i, f := range st.files {
		st.files[i] = nil
		if err := f.Commit(); err != nil {
			return err
		}
	}
	for i, d := range st.dirs {
		st.dirs[i] = nil
		if err := d.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// abort removes what is left; a no-op after commit.
func (st *staged) abort() {
	for _, f := range st.files {
		if f != nil {
			f.Abort()
		}
	}
	for _, d := range st.dirs {
		if d != nil {
			d.Abort()
		}
	}
}

// stage writes the listing, the maps and the plans asked for into
// temporary files and a directory: the plans on one goroutine, the rest on
// another.
func (c *Scan) stage(res *alias.Result, mods []*alias.Object, plans []*plan.Plan, rules listing.Rules) (*staged, error) {
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
	st := &staged{files: make([]*atomicfile.File, len(outs))}
	var dir *atomicfile.Dir
	err := parallel.ForEach(2, 2, false, func(job int) error {
		if job == 1 {
			var err error
			dir, err = c.writePlans(mods, plans)
			return err
		}
		for i, o := range outs {
			f, err := atomicfile.Create(o.path)
			if err != nil {
				return err
			}
			st.files[i] = f
			if err := o.fill(f); err != nil {
				return err
			}
		}
		return nil
	})
	if dir != nil {
		st.dirs = append(st.dirs, dir)
	}
	return st, err
}

// writePlans writes one plan per module into a new directory, to be
// committed (nil if no plans are asked for).
func (c *Scan) writePlans(mods []*alias.Object, plans []*plan.Plan) (*atomicfile.Dir, error) {
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
	for i, m := range mods {
		if err := dir.WriteFile(plan.FileName(m.Name), plans[i].Marshal()); err != nil {
			return dir, err
		}
	}
	return dir, nil
}
