package kernel

import (
	"io"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// List writes the listing of one ELF file as nm -n prints it; with
// sysmap, only the lines that mksysmap keeps.
func List(w io.Writer, path string, sysmap bool, m Mksysmap) error {
	f, err := elfread.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lines, err := listing.FromELF(f)
	if err != nil {
		return err
	}
	if sysmap {
		rules, err := m.rules(f)
		if err != nil {
			return err
		}
		kept := lines[:0]
		for i := range lines {
			if rules.Keep(&lines[i]) {
				kept = append(kept, lines[i])
			}
		}
		lines = kept
	}
	return listing.Write(w, lines, listing.Width(f))
}
