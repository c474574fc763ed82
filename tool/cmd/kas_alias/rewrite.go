package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/kas-alias/rules_kas_alias/tool/kernel"
)

const rewriteDoc = `Writes each module object with the alias symbols of its plan added (the
plan made by "kas_alias scan" for exactly this file). The input is never
modified; outputs are written atomically and are uncompressed.

One module:   kas_alias rewrite [SIGNING] --plan PLAN -o OUT MODULE
Many modules: kas_alias rewrite [SIGNING] --plan-dir DIR --out-dir DIR MODULE...
              (plan DIR/<module>.plan.json, output OUTDIR/<module>, where
              <module> is the file name without .xz/.zst/.gz; a directory
              MODULE stands for the module files under it). OUTDIR is
              created if needed; if any module fails, no output is written.

SIGNING: --sign-key KEY --sign-cert CERT [--sign-hash HASH] signs every
output as scripts/sign-file does (docs/signing.md), in the same step; a
module's old signature is replaced. Without them, a signed module is refused
unless --drop-signature is given (its signature would no longer match).`

func runRewrite(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c kernel.Rewrite
	fs := newFlags(stderr, "rewrite", "MODULE...", rewriteDoc)
	planFile := fs.String("plan", "", "plan file for the one `MODULE`")
	out := fs.String("o", "", "output `file` for the one MODULE")
	planDir := fs.String("plan-dir", "", "`directory` of plan files, one per module")
	outDir := fs.String("out-dir", "", "output `directory` for many modules")
	fs.BoolVar(&c.DropSignature, "drop-signature", false, "drop a module's appended signature instead of refusing the module")
	signingFlags(fs, &c.Signing)
	fs.IntVar(&c.Jobs, "j", min(runtime.GOMAXPROCS(0), 4), "modules rewritten in parallel")
	if err := parse(fs, args); err != nil {
		return err
	}
	mods := fs.Args()
	usageErr := func(msg string) error {
		fmt.Fprintf(fs.Output(), "kas_alias rewrite: %s\n", msg)
		fs.Usage()
		return errUsage
	}
	c.Jobs = max(c.Jobs, 1)
	switch {
	case *planFile != "" || *out != "":
		if *planFile == "" || *out == "" || *planDir != "" || *outDir != "" || len(mods) != 1 {
			return usageErr("--plan and -o take exactly one MODULE, without --plan-dir/--out-dir")
		}
		return c.One(mods[0], *planFile, *out)
	case *planDir != "" || *outDir != "":
		if *planDir == "" || *outDir == "" || len(mods) == 0 {
			return usageErr("--plan-dir and --out-dir go together, with at least one MODULE")
		}
		return c.Many(mods, *planDir, *outDir)
	}
	return usageErr("give --plan and -o, or --plan-dir and --out-dir")
}
