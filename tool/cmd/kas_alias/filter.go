package main

import (
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/kernel"
)

const filterDoc = `Reads a listing as nm -n or scripts/mksysmap print it on standard input and
writes it to standard output with an alias line after each symbol whose name
occurs at more than one address. This is the hook for the kernel link
(scripts/link-vmlinux.sh, see kernel/README.md): deterministic, so the
kallsyms passes converge. With --elf (the ELF the listing was made from),
tu and srcline names come from its STT_FILE symbols and DWARF; without it,
only counter naming is possible. Duplicates are counted among the symbols
the kernel's scripts/mksysmap keeps (version from --elf's linux_banner, or
--mksysmap=VERSION; 6.4+ rules without either).`

func runFilter(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c kernel.Filter
	var scheme, version string
	fs := newFlags(stderr, "filter", "< LISTING > LISTING", filterDoc)
	fs.StringVar(&c.ELF, "elf", "", "the ELF `FILE` the listing was made from")
	fs.StringVar(&c.Srctree, "srctree", "", "kernel source tree `DIR`, stripped from DWARF paths")
	fs.StringVar(&scheme, "scheme", "", "naming scheme: "+alias.Schemes+" (default: tu with --elf, else counter)")
	fs.BoolVar(&c.Data, "data", false, "tu, srcline: alias data symbols too, not only code")
	fs.StringVar(&version, "mksysmap", "", "the kernel `VERSION` whose scripts/mksysmap rules count duplicates (6.1, 6.4, ...)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	var err error
	if c.Scheme, err = alias.ParseScheme(scheme); err != nil {
		return err
	}
	c.Mksysmap = kernel.Mksysmap(version)
	return c.Run(stdin, "standard input", stdout)
}
