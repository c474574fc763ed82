package main

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

const scanDoc = `Reads vmlinux and module objects (plain, .xz, .zst or .gz), finds the names
that occur at more than one address across all of them, and writes:
  --syms      the vmlinux listing (as nm -n prints it) with an alias line
              after each aliased symbol;
  --map-tsv, --map-json  the alias map (docs/alias-map.md);
  --plan-dir  one plan per module, MODULE.plan.json, for "kas_alias rewrite".
Modules come as arguments (files, or directories whose module files are
read in path order; or @PARAMFILE, one a line), or from --modules-order. Naming schemes: tu (default where DWARF or STT_FILE symbols
exist; "name@kernel/trace/trace.c"), srcline ("name@kernel_trace_trace_c_4182"),
counter ("name__7791"). See docs/naming.md.`

type scanFlags struct {
	vmlinux, dwarf, srctree        string
	scheme                         string
	data, mksysmap, verbose        bool
	order, modDir                  string
	syms, mapTSV, mapJSON, planDir string
}

func runScan(args []string, stdin io.Reader, stdout io.Writer) error {
	var f scanFlags
	fs := newFlags("scan", "[MODULE...]", scanDoc)
	fs.StringVar(&f.vmlinux, "vmlinux", "", "vmlinux `FILE` (ELF)")
	fs.StringVar(&f.dwarf, "dwarf", "", "separate `FILE` with vmlinux's DWARF (a -dbg vmlinux); default: vmlinux itself")
	fs.StringVar(&f.srctree, "srctree", "", "kernel source tree `DIR`, stripped from DWARF paths")
	fs.StringVar(&f.scheme, "scheme", "", "naming scheme: "+alias.Schemes)
	fs.BoolVar(&f.data, "data", false, "tu, srcline: alias data symbols too, not only code")
	fs.StringVar(&f.order, "modules-order", "", "modules.order `FILE`: the modules to scan, in order")
	fs.StringVar(&f.modDir, "modules-dir", "", "`DIR` that modules.order entries are relative to (default: its directory)")
	fs.StringVar(&f.syms, "syms", "", "write the aliased vmlinux listing to `FILE`")
	fs.BoolVar(&f.mksysmap, "mksysmap", false, "--syms: keep only what scripts/mksysmap keeps (System.map form)")
	fs.StringVar(&f.mapTSV, "map-tsv", "", "write the alias map as TSV to `FILE`")
	fs.StringVar(&f.mapJSON, "map-json", "", "write the alias map as JSON to `FILE`")
	fs.StringVar(&f.planDir, "plan-dir", "", "write one plan per module into `DIR`")
	fs.BoolVar(&f.verbose, "v", false, "print a summary to stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	scheme, err := alias.ParseScheme(f.scheme)
	if err != nil {
		return err
	}
	modules, err := expandModuleDirs(fs.Args())
	if err != nil {
		return err
	}
	if f.order != "" {
		listed, err := readModulesOrder(f.order, f.modDir)
		if err != nil {
			return err
		}
		modules = append(modules, listed...)
	}
	if f.vmlinux == "" && len(modules) == 0 {
		return errors.New("nothing to scan: give --vmlinux and/or modules")
	}
	if f.syms != "" && f.vmlinux == "" {
		return errors.New("--syms needs --vmlinux")
	}
	if err := checkModuleNames(modules); err != nil {
		return err
	}

	// vmlinux is read while the module workers run.
	var vm *alias.Object
	var vmErr error
	vmDone := make(chan struct{})
	var closeVM func()
	go func() {
		defer close(vmDone)
		if f.vmlinux != "" {
			vm, closeVM, vmErr = openVmlinux(f.vmlinux, f.dwarf, f.srctree)
		}
	}()
	mods, closeMods, err := openModules(modules, f.srctree)
	<-vmDone
	if closeVM != nil {
		defer closeVM()
	}
	defer closeMods()
	if vmErr != nil {
		return vmErr
	}
	if err != nil {
		return err
	}
	var objs []*alias.Object
	if vm != nil {
		objs = append(objs, vm)
	}
	objs = append(objs, mods...)

	res, err := alias.Choose(objs, alias.Options{Scheme: scheme, Data: f.data})
	if err != nil {
		return err
	}
	if err := writeScanOutputs(res, &f, mods); err != nil {
		return err
	}
	if f.verbose {
		fmt.Fprintf(os.Stderr, "kas_alias scan: %d objects, %d duplicated names, %d aliases (%s), %d without a location\n",
			len(objs), res.Duplicates, len(res.Aliases), res.Scheme, res.Unlocated)
	}
	return nil
}

// readModulesOrder reads modules.order: one path a line, relative to dir
// (default: the file's directory: the build tree's modules.order names
// fs/configfs/configfs.ko, the installed one kernel/fs/configfs/configfs.ko);
// kbuild 6.2+ writes .o names for .ko files.
func readModulesOrder(path, dir string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Dir(path)
	}
	var mods []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasSuffix(line, ".o") {
			line = strings.TrimSuffix(line, ".o") + ".ko"
		}
		mods = append(mods, filepath.Join(dir, line))
	}
	return mods, nil
}

// checkModuleNames refuses two modules with one name: their plans and
// rewritten objects would overwrite each other.
func checkModuleNames(modules []string) error {
	seen := make(map[string]string, len(modules))
	for _, m := range modules {
		name := plan.ModuleName(m)
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("%s: module name %s already given by %s", m, name, prev)
		}
		seen[name] = m
	}
	return nil
}

// openVmlinux opens vmlinux and, where it has DWARF (or dwarfPath is given),
// its source index. The returned func closes what stays mapped.
func openVmlinux(path, dwarfPath, srctree string) (_ *alias.Object, _ func(), err error) {
	var files []*elfread.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	f, err := elfread.Open(path)
	if err != nil {
		return nil, nil, err
	}
	files = append(files, f)
	src := f
	if dwarfPath != "" {
		if src, err = elfread.Open(dwarfPath); err != nil {
			return nil, nil, err
		}
		files = append(files, src)
		if src.Type == elf.ET_REL {
			// Its DWARF speaks of section offsets, not vmlinux's addresses.
			return nil, nil, fmt.Errorf("%s: --dwarf needs a linked image with vmlinux's addresses (a -dbg vmlinux), not a relocatable object", dwarfPath)
		}
	}
	idx, err := srcindex.Open(src.Image(), srcindex.Options{Name: src.Name, Srctree: srctree})
	if err != nil {
		return nil, nil, err
	}
	obj, err := alias.FromELF(f, "vmlinux", false, idx)
	if err != nil {
		return nil, nil, err
	}
	return obj, closeAll, nil
}

// openModules opens modules on all cores; the result keeps their order.
func openModules(paths []string, srctree string) ([]*alias.Object, func(), error) {
	objs := make([]*alias.Object, len(paths))
	files := make([]*elfread.File, len(paths))
	err := forEach(len(paths), runtime.GOMAXPROCS(0), false, func(i int) (err error) {
		objs[i], files[i], err = openModule(paths[i], srctree)
		return err
	})
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	return objs, closeAll, err
}

// openModule reads one module. The file stays open (mapped) until the scan
// ends: the Object's names and the source index point into it.
func openModule(path, srctree string) (*alias.Object, *elfread.File, error) {
	f, err := elfread.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if f.Type != elf.ET_REL {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a relocatable object (ELF type %v); modules are .ko or .o files", path, f.Type)
	}
	idx, err := srcindex.Open(f.Image(), srcindex.Options{Name: path, Srctree: srctree})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	obj, err := alias.FromELF(f, plan.ModuleName(path), true, idx)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	obj.Digest = plan.Digest(f.Raw())
	return obj, f, nil
}

func writeScanOutputs(res *alias.Result, f *scanFlags, mods []*alias.Object) error {
	if f.syms != "" {
		vm := res.Objects[0]
		var keep func(*listing.Line) bool
		if f.mksysmap {
			keep = listing.KeptByMksysmap
		}
		lines := res.Listing(vm, keep)
		if err := atomicfile.Write(f.syms, func(w io.Writer) error { return listing.Write(w, lines, vm.Width) }); err != nil {
			return err
		}
	}
	if f.mapTSV != "" {
		if err := atomicfile.Write(f.mapTSV, res.WriteMapTSV); err != nil {
			return err
		}
	}
	if f.mapJSON != "" {
		if err := atomicfile.Write(f.mapJSON, res.WriteMapJSON); err != nil {
			return err
		}
	}
	if f.planDir != "" {
		dir, err := atomicfile.CreateDir(f.planDir)
		if err != nil {
			return err
		}
		defer dir.Abort()
		for _, m := range mods {
			dir.Add(plan.FileName(m.Name))
		}
		// One writer: files created in one directory from two threads
		// contend for its lock, and cost more than they save.
		err = forEach(len(mods), 1, true, func(i int) error {
			p, err := res.Plan(mods[i])
			if err != nil {
				return err
			}
			return dir.WriteFile(plan.FileName(mods[i].Name), p.Marshal())
		})
		if err == nil {
			err = dir.Commit()
		}
		if err != nil {
			return err
		}
	}
	return nil
}
