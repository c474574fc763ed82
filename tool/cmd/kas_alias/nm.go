package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// mksysmapFlag is --mksysmap (current kernels' rules) or --mksysmap=VERSION.
type mksysmapFlag struct {
	set   bool
	rules listing.Rules
}

func (m *mksysmapFlag) IsBoolFlag() bool { return true }

func (m *mksysmapFlag) String() string {
	if m == nil || !m.set {
		return ""
	}
	return m.rules.String()
}

func (m *mksysmapFlag) Set(s string) error {
	switch s {
	case "false":
		m.set = false
		return nil
	case "true":
		m.set, m.rules = true, listing.Mksysmap612
		return nil
	}
	r, err := listing.ParseRules(s)
	if err != nil {
		return err
	}
	m.set, m.rules = true, r
	return nil
}

func runNM(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("nm", "FILE...", `Print the symbol table of each ELF FILE (vmlinux, .o, .ko, .ko.xz, .ko.zst,
.ko.gz) byte for byte as "LC_ALL=C nm -n FILE" (GNU binutils 2.40) prints it.
With several files, each listing follows a blank line and a "FILE:" header,
as nm prints them.`)
	var sysmap mksysmapFlag
	fs.Var(&sysmap, "mksysmap", "drop the lines the kernel's scripts/mksysmap drops (System.map, kallsyms input);\n"+
		"--mksysmap follows current kernels (6.4+, checked on 6.12), --mksysmap=6.1 follows Linux 6.1")
	out := fs.String("o", "", "write the listing to `OUT` (atomically) instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		var firstErr error
		for _, name := range files {
			if len(files) > 1 {
				fmt.Fprintf(bw, "\n%s:\n", name)
			}
			if err := listFile(bw, name, &sysmap); err != nil {
				if firstErr != nil {
					// main prints the error returned; say the
					// earlier ones here, in the same form.
					bw.Flush()
					fmt.Fprintf(os.Stderr, "kas_alias nm: %v\n", firstErr)
				}
				firstErr = err
			}
		}
		if err := bw.Flush(); err != nil && firstErr == nil {
			firstErr = err
		}
		return firstErr
	}
	if *out == "" {
		return write(stdout)
	}
	a, err := atomicfile.Create(*out)
	if err != nil {
		return err
	}
	defer a.Abort()
	if err := write(a); err != nil {
		return err
	}
	return a.Commit()
}

// listFile writes the listing of one file.
func listFile(w io.Writer, name string, sysmap *mksysmapFlag) error {
	f, err := elfread.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	lines, err := listing.FromELF(f)
	if err != nil {
		return err
	}
	if sysmap.set {
		kept := lines[:0]
		for i := range lines {
			if sysmap.rules.Keep(&lines[i]) {
				kept = append(kept, lines[i])
			}
		}
		lines = kept
	}
	return listing.Write(w, lines, listing.Width(f))
}
