package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/kernel"
)

const scanDoc = `Reads vmlinux and module objects (plain, .xz, .zst or .gz), finds the names
that occur at more than one address across all of them, and writes:
  --syms      the vmlinux listing (as nm -n prints it) with an alias line
              after each aliased symbol;
  --map-tsv, --map-json  the alias map (docs/alias-map.md);
  --plan-dir  one plan per module, MODULE.plan.json, for "kas_alias rewrite";
  --rewrite-dir  every module with its aliases added, in this same run.
Modules come as arguments (files, or directories whose module files are
read in path order; or @PARAMFILE, one a line), or from --modules-order
(its .ko names also found compressed, as depmod finds them). Naming schemes:
tu (default where DWARF or STT_FILE symbols exist; "name@kernel/trace/trace.c"),
srcline ("name@kernel_trace_trace_c_4182"), counter ("name__7791"). See
docs/naming.md. Duplicates are counted among the symbols the kernel's own
scripts/mksysmap keeps: the 6.1 or 6.4+ rules, by the version in vmlinux's
linux_banner (6.4+ without one), or as --mksysmap=VERSION says.`

func runScan(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c kernel.Scan
	var scheme, order, modDir string
	var sysmap mksysmapFlag
	var verbose bool
	fs := newFlags(stderr, "scan", "[MODULE...]", scanDoc)
	fs.StringVar(&c.Vmlinux, "vmlinux", "", "vmlinux `FILE` (ELF)")
	fs.StringVar(&c.DWARF, "dwarf", "", "separate `FILE` with vmlinux's DWARF (a -dbg vmlinux); default: vmlinux itself")
	fs.StringVar(&c.Srctree, "srctree", "", "kernel source tree `DIR`, stripped from DWARF paths")
	fs.StringVar(&scheme, "scheme", "", "naming scheme: "+alias.Schemes)
	fs.BoolVar(&c.Data, "data", false, "tu, srcline: alias data symbols too, not only code")
	fs.StringVar(&order, "modules-order", "", "modules.order `FILE`: the modules to scan, in order")
	fs.StringVar(&modDir, "modules-dir", "", "`DIR` that modules.order entries are relative to (default: its directory)")
	fs.StringVar(&c.Syms, "syms", "", "write the aliased vmlinux listing to `FILE`")
	fs.Var(&sysmap, "mksysmap", "--syms: keep only what scripts/mksysmap keeps (System.map form), by the kernel's own rules;\n"+
		"--mksysmap=6.1 or =6.4 (or any kernel version) names the rules, for --syms and for counting duplicates")
	fs.StringVar(&c.MapTSV, "map-tsv", "", "write the alias map as TSV to `FILE`")
	fs.StringVar(&c.MapJSON, "map-json", "", "write the alias map as JSON to `FILE`")
	fs.StringVar(&c.PlanDir, "plan-dir", "", "write one plan per module into `DIR`")
	fs.StringVar(&c.RewriteDir, "rewrite-dir", "", "write every module with its aliases added into `DIR`, in this run (as rewrite --out-dir would)")
	fs.BoolVar(&c.Rewrite.DropSignature, "drop-signature", false, "--rewrite-dir: drop a module's appended signature instead of refusing the module")
	signingFlags(fs, &c.Rewrite.Signing)
	fs.IntVar(&c.Rewrite.Jobs, "j", min(runtime.GOMAXPROCS(0), 4), "--rewrite-dir: modules rewritten in parallel")
	fs.BoolVar(&verbose, "v", false, "print a summary to stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if c.Scheme, err = alias.ParseScheme(scheme); err != nil {
		return err
	}
	if c.Modules, err = kernel.ModulePaths(fs.Args(), order, modDir); err != nil {
		return err
	}
	c.SymsMksysmap, c.Mksysmap = sysmap.set, sysmap.version
	sum, err := c.Run()
	if err != nil {
		return err
	}
	if verbose {
		fmt.Fprintf(stderr, "kas_alias scan: %d objects, %d duplicated names, %d aliases (%s), %d without a location\n",
			sum.Objects, sum.Duplicates, sum.Aliases, sum.Scheme, sum.Unlocated)
	}
	return nil
}
