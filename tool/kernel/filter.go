package kernel

import (
	"bufio"
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
	"github.com/kas-alias/rules_kas_alias/tool/srcindex"
)

// Filter is filter mode, the hook for the kernel link: a listing in, the
// listing with alias lines out.
type Filter struct {
	ELF      string // the ELF the listing was made from; "" for none (counter naming only)
	Srctree  string
	Scheme   alias.Scheme
	Data     bool
	Mksysmap Mksysmap // "" reads it from ELF's linux_banner
}

// Run reads the listing from in (named name in errors) and writes it to
// out with alias lines added.
func (c *Filter) Run(in io.Reader, name string, out io.Writer) error {
	lines, width, err := listing.Parse(in, name)
	if err != nil {
		return err
	}
	var f *elfread.File
	opts := alias.Options{Scheme: c.Scheme, Data: c.Data}
	var idx *srcindex.Index
	if c.ELF != "" {
		if f, err = openLinked(c.ELF, "vmlinux (--elf)"); err != nil {
			return err
		}
		defer f.Close()
		if idx, err = srcindex.Open(f, srcindex.Options{Srctree: c.Srctree}); err != nil {
			return err
		}
	}
	if opts.Mksysmap, err = c.Mksysmap.rules(f); err != nil {
		return err
	}
	obj, err := listingObject(lines, width, f)
	if err != nil {
		return err
	}
	if idx != nil {
		obj.Source = indexLocator{idx}
	}
	res, err := alias.Choose([]*alias.Object{obj}, opts)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	if err := listing.Write(w, res.Listing(obj, nil), width); err != nil {
		return err
	}
	return w.Flush()
}
