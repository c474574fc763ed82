package main

import (
	"bufio"
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

const filterDoc = `Reads a listing as nm -n or scripts/mksysmap print it on standard input and
writes it to standard output with an alias line after each symbol whose name
occurs at more than one address. This is the hook for the kernel link
(scripts/link-vmlinux.sh, see kernel/README.md): deterministic, so the
kallsyms passes converge. With --elf (the ELF the listing was made from),
tu and srcline names come from its STT_FILE symbols and DWARF; without it,
only counter naming is possible.`

func runFilter(args []string, stdin io.Reader, stdout io.Writer) error {
	var elfPath, srctree, schemeName string
	var data bool
	fs := newFlags("filter", "< LISTING > LISTING", filterDoc)
	fs.StringVar(&elfPath, "elf", "", "the ELF `FILE` the listing was made from")
	fs.StringVar(&srctree, "srctree", "", "kernel source tree `DIR`, stripped from DWARF paths")
	fs.StringVar(&schemeName, "scheme", "", "naming scheme: "+alias.Schemes+" (default: tu with --elf, else counter)")
	fs.BoolVar(&data, "data", false, "tu, srcline: alias data symbols too, not only code")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	scheme, err := alias.ParseScheme(schemeName)
	if err != nil {
		return err
	}
	lines, width, err := listing.Parse(stdin, "standard input")
	if err != nil {
		return err
	}
	var f *elfread.File
	var idx *srcindex.Index
	if elfPath != "" {
		if f, err = elfread.Open(elfPath); err != nil {
			return err
		}
		defer f.Close()
		if idx, err = srcindex.Open(f.Image(), srcindex.Options{Name: elfPath, Srctree: srctree}); err != nil {
			return err
		}
	}
	obj, err := alias.FromListing(lines, width, f, idx)
	if err != nil {
		return err
	}
	res, err := alias.Choose([]*alias.Object{obj}, alias.Options{Scheme: scheme, Data: data})
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdout, 1<<20)
	if err := listing.Write(w, res.Listing(obj, nil), width); err != nil {
		return err
	}
	return w.Flush()
}
