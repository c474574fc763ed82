package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/internal/atomicfile"
	"github.com/kas-alias/rules_kas_alias/tool/kernel"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// mksysmapFlag is --mksysmap (the kernel's own rules) or --mksysmap=VERSION.
type mksysmapFlag struct {
	set     bool
	version kernel.Mksysmap
}

func (m *mksysmapFlag) IsBoolFlag() bool { return true }

func (m *mksysmapFlag) String() string {
	if m == nil || !m.set {
		return ""
	}
	return string(m.version)
}

func (m *mksysmapFlag) Set(s string) error {
	switch s {
	case "false":
		m.set = false
		return nil
	case "true":
		m.set, m.version = true, ""
		return nil
	}
	if _, err := listing.ParseRules(s); err != nil {
		return err
	}
	m.set, m.version = true, kernel.Mksysmap(s)
	return nil
}

func runNM(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags(stderr, "nm", "FILE...", `Print the symbol table of each ELF FILE (vmlinux, .o, .ko, .ko.xz, .ko.zst,
.ko.gz) byte for byte as "LC_ALL=C nm -n FILE" (GNU binutils 2.40) prints it.
With several files, each listing follows a blank line and a "FILE:" header,
as nm prints them.`)
	var sysmap mksysmapFlag
	fs.Var(&sysmap, "mksysmap", "drop the lines the kernel's scripts/mksysmap drops (System.map, kallsyms input):\n"+
		"--mksysmap follows the file's own kernel version (its linux_banner; 6.4+ rules without one),\n"+
		"--mksysmap=6.1 the rules of Linux 6.1 (to 6.2), --mksysmap=6.4 those of 6.4 and later")
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
			if err := kernel.List(bw, name, sysmap.set, sysmap.version); err != nil {
				if firstErr != nil {
					// main prints the error returned; say the
					// earlier ones here, in the same form.
					bw.Flush()
					fmt.Fprintf(stderr, "kas_alias nm: %v\n", firstErr)
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
