package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/kas-alias/rules_kas_alias/tool/elfwrite"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

const rewriteDoc = `Writes each module object with the alias symbols of its plan added (the
plan made by "kas_alias scan" for exactly this file). The input is never
modified; outputs are written atomically and are uncompressed.

One module:   kas_alias rewrite [--drop-signature] --plan PLAN -o OUT MODULE
Many modules: kas_alias rewrite [--drop-signature] --plan-dir DIR --out-dir DIR MODULE...
              (plan DIR/<module>.plan.json, output OUTDIR/<module>, where
              <module> is the file name without .xz/.zst/.gz; a directory
              MODULE stands for the module files under it)

A signed module is refused unless --drop-signature is given: add aliases
before signing.`

func runRewrite(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("rewrite", "MODULE...", rewriteDoc)
	planFile := fs.String("plan", "", "plan file for the one `MODULE`")
	out := fs.String("o", "", "output `file` for the one MODULE")
	planDir := fs.String("plan-dir", "", "`directory` of plan files, one per module")
	outDir := fs.String("out-dir", "", "output `directory` for many modules")
	drop := fs.Bool("drop-signature", false, "drop a module's appended signature instead of refusing the module")
	jobs := fs.Int("j", min(runtime.GOMAXPROCS(0), 4), "modules rewritten in parallel")
	if err := parse(fs, args); err != nil {
		return err
	}
	mods := fs.Args()
	usageErr := func(msg string) error {
		fmt.Fprintf(fs.Output(), "kas_alias rewrite: %s\n", msg)
		fs.Usage()
		return errUsage
	}
	type job struct{ module, plan, out string }
	var todo []job
	switch {
	case *planFile != "" || *out != "":
		if *planFile == "" || *out == "" || *planDir != "" || *outDir != "" || len(mods) != 1 {
			return usageErr("--plan and -o take exactly one MODULE, without --plan-dir/--out-dir")
		}
		todo = append(todo, job{mods[0], *planFile, *out})
	case *planDir != "" || *outDir != "":
		if *planDir == "" || *outDir == "" || len(mods) == 0 {
			return usageErr("--plan-dir and --out-dir go together, with at least one MODULE")
		}
		mods, err := expandModuleDirs(mods) // a directory stands for the modules under it
		if err != nil {
			return err
		}
		seen := map[string]string{}
		for _, m := range mods {
			name := plan.ModuleName(m)
			if prev, ok := seen[name]; ok {
				return fmt.Errorf("%s: module name %s also given by %s: outputs would collide", m, name, prev)
			}
			seen[name] = m
			todo = append(todo, job{m, filepath.Join(*planDir, plan.FileName(name)), filepath.Join(*outDir, name)})
		}
	default:
		return usageErr("give --plan and -o, or --plan-dir and --out-dir")
	}
	if *jobs < 1 {
		*jobs = 1
	}

	// Modules are independent: rewrite them in parallel; after an error no
	// new module is started.
	return forEach(len(todo), *jobs, true, func(i int) error {
		return rewriteOne(todo[i].module, todo[i].plan, todo[i].out, *drop)
	})
}

// rewriteOne writes one module with its plan's symbols added.
func rewriteOne(module, planPath, out string, dropSignature bool) error {
	p, err := plan.Read(planPath)
	if err != nil {
		return fmt.Errorf("%s: %w", module, err)
	}
	raw, image, err := modfile.Read(module)
	if err != nil {
		return err
	}
	if err := p.Check(module, raw); err != nil {
		return err
	}
	if len(p.Symbols) == 0 {
		// Nothing to add: the image as it is, signature included.
		return atomicfile.WriteFile(out, image)
	}
	elfImage, sig, err := elfwrite.SplitSignature(image)
	if err != nil {
		return fmt.Errorf("%s: %v", module, err)
	}
	if sig != nil && !dropSignature {
		return fmt.Errorf("%s: %v (or pass --drop-signature to drop the signature)", module, elfwrite.ErrSigned)
	}
	data, err := elfwrite.AddSymbols(module, elfImage, p.Symbols)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(out, data)
}
