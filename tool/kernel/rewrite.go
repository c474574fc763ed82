package kernel

import (
	"fmt"
	"path/filepath"

	"github.com/kas-alias/rules_kas_alias/tool/elfwrite"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/parallel"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// Rewrite adds planned alias symbols to module objects.
type Rewrite struct {
	// DropSignature drops a module's appended signature; without it a
	// signed module is refused (the signature would no longer match).
	DropSignature bool
	Jobs          int // modules rewritten in parallel
}

// One writes module with the symbols of its plan added, to out.
func (c *Rewrite) One(module, planPath, out string) error {
	data, err := c.rewrite(module, planPath)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(out, data)
}

// Many writes each module (args as ModulePaths takes them) to
// outDir/<module name>, with the plan planDir/<module name>.plan.json.
// Either every output is written or, on an error, none: outputs are
// written into a new directory beside outDir and moved into place at the
// end (outDir is created if it does not exist).
func (c *Rewrite) Many(args []string, planDir, outDir string) error {
	mods, err := ModulePaths(args, "", "")
	if err != nil {
		return err
	}
	dir, err := atomicfile.CreateDir(outDir)
	if err != nil {
		return err
	}
	defer dir.Abort()
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = plan.ModuleName(m)
		dir.Add(names[i])
	}
	// Modules are independent: rewrite them in parallel; after an error no
	// new module is started.
	err = parallel.ForEach(len(mods), c.Jobs, true, func(i int) error {
		data, err := c.rewrite(mods[i], filepath.Join(planDir, plan.FileName(names[i])))
		if err != nil {
			return err
		}
		return dir.WriteFile(names[i], data)
	})
	if err != nil {
		return err
	}
	return dir.Commit()
}

// rewrite returns module's bytes with its plan's symbols added.
func (c *Rewrite) rewrite(module, planPath string) ([]byte, error) {
	p, err := plan.Read(planPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", module, err)
	}
	mf, err := readModule(module)
	if err != nil {
		return nil, err
	}
	defer mf.close()
	if err := p.Check(module, mf.elf); err != nil {
		return nil, err
	}
	if len(p.Symbols) == 0 {
		// Nothing to add: the module as it is, signature included.
		return append([]byte(nil), mf.whole...), nil
	}
	if mf.signed && !c.DropSignature {
		return nil, fmt.Errorf("%s: %v (or pass --drop-signature to drop the signature)", module, ErrSigned)
	}
	syms, err := p.ELFSymbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", planPath, err)
	}
	return elfwrite.AddSymbols(mf.elf, syms) // a new image: the mapping may close
}
