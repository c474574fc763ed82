package kernel

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kas-alias/rules_kas_alias/tool/elfwrite"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/internal/parallel"
	"github.com/kas-alias/rules_kas_alias/tool/modsign"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// Rewrite adds planned alias symbols to module objects.
type Rewrite struct {
	// Signing, if given, signs every output (an input's signature, which
	// would no longer match, is replaced).
	Signing Signing
	// DropSignature, without Signing, drops an input's signature; without
	// either, a signed module is refused.
	DropSignature bool
	Jobs          int // modules rewritten in parallel

	signer *modsign.Signer
}

// load loads the signing key, once.
func (c *Rewrite) load() error {
	if c.signer != nil {
		return nil
	}
	var err error
	c.signer, err = c.Signing.load()
	return err
}

// rewritten is a module's new content: its bytes, or (nothing to add to a
// plain file) the input file itself, copied by the kernel.
type rewritten struct {
	data []byte
	same *os.File
	done func() // releases what the content refers to
}

// to writes the content with write or copy.
func (r *rewritten) to(write func([]byte) error, copy func(*os.File) error) error {
	defer r.done()
	if r.same != nil {
		return copy(r.same)
	}
	return write(r.data)
}

// One writes module with the symbols of its plan added, to out.
func (c *Rewrite) One(module, planPath, out string) error {
	if err := c.load(); err != nil {
		return err
	}
	p, err := readPlan(module, planPath)
	if err != nil {
		return err
	}
	r, err := c.apply(module, p, true)
	if err != nil {
		return err
	}
	return r.to(func(b []byte) error { return atomicfile.WriteFile(out, b) },
		func(f *os.File) error { return atomicfile.CopyFile(out, f) })
}

// Many writes each module (args as ModulePaths takes them) to
// outDir/<module name>, with the plan planDir/<module name>.plan.json.
func (c *Rewrite) Many(args []string, planDir, outDir string) error {
	mods, err := ModulePaths(args, "", "")
	if err != nil {
		return err
	}
	dir, err := c.intoDir(outDir, mods, func(i int, name string) (*plan.Plan, bool, error) {
		p, err := readPlan(mods[i], filepath.Join(planDir, plan.FileName(name)))
		return p, true, err
	})
	if err != nil {
		return err
	}
	return dir.Commit()
}

// intoDir writes the rewritten modules into a new directory beside outDir,
// which Commit moves into place (creating outDir if it does not exist):
// either every output or, on an error, none. planOf gives each module's
// plan and whether to check its identity.
func (c *Rewrite) intoDir(outDir string, mods []string, planOf func(i int, name string) (*plan.Plan, bool, error)) (*atomicfile.Dir, error) {
	if err := c.load(); err != nil {
		return nil, err
	}
	dir, err := atomicfile.CreateDir(outDir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = plan.ModuleName(m)
		dir.Add(names[i])
	}
	// Modules are independent: rewrite them in parallel; after an error no
	// new module is started.
	err = parallel.ForEach(len(mods), max(c.Jobs, 1), true, func(i int) error {
		p, check, err := planOf(i, names[i])
		if err != nil {
			return err
		}
		r, err := c.apply(mods[i], p, check)
		if err != nil {
			return err
		}
		return r.to(func(b []byte) error { return dir.WriteFile(names[i], b) },
			func(f *os.File) error { return dir.CopyFile(names[i], f) })
	})
	if err != nil {
		dir.Abort()
		return nil, err
	}
	return dir, nil
}

func readPlan(module, planPath string) (*plan.Plan, error) {
	p, err := plan.Read(planPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", module, err)
	}
	return p, nil
}

// apply returns module with p's symbols added, signed if asked; check
// verifies first that p was made for it.
func (c *Rewrite) apply(module string, p *plan.Plan, check bool) (*rewritten, error) {
	if len(p.Symbols) == 0 && c.signer == nil && !modfile.Compressed(module) {
		// Nothing to add: the file as it is, signature included.
		mf, err := openModule(module)
		if err != nil {
			return nil, err
		}
		if check {
			if err := p.Check(module, mf.elf); err != nil {
				mf.close()
				return nil, err
			}
		}
		return &rewritten{same: mf.file, done: mf.close}, nil
	}
	mf, err := readModule(module)
	if err != nil {
		return nil, err
	}
	defer mf.close()
	if check {
		if err := p.Check(module, mf.elf); err != nil {
			return nil, err
		}
	}
	var data []byte
	switch {
	case len(p.Symbols) == 0 && c.signer == nil:
		// A compressed module, decompressed, signature included.
		data = append([]byte(nil), mf.whole...)
	case len(p.Symbols) == 0:
		data = mf.elf.Image() // to be signed anew
	default:
		if mf.signed && !c.DropSignature && c.signer == nil {
			return nil, fmt.Errorf("%s: %v; sign it again (--sign-key, --sign-cert) or drop it (--drop-signature)", module, ErrSigned)
		}
		syms, err := p.ELFSymbols()
		if err != nil {
			return nil, fmt.Errorf("%s: plan: %w", module, err)
		}
		if data, err = elfwrite.AddSymbols(mf.elf, syms); err != nil {
			return nil, err
		}
	}
	if c.signer != nil {
		// Signing makes a new image: the read buffer may go back.
		if data, err = c.signer.Sign(data); err != nil {
			return nil, fmt.Errorf("%s: %v", module, err)
		}
	}
	return &rewritten{data: data, done: func() {}}, nil
}
