// Package kernel opens what a kernel build makes (vmlinux, module objects
// plain or compressed, directories of them, modules.order) and runs the
// tool's jobs on them: the scan (alias.Choose over every object, then the
// aliased listing, the alias map and one plan per module), filter mode for
// the kernel link, and the rewrite of modules with their plans. The command
// line tool only parses flags and calls it.
//
// Modules are read one at a time on every core: each yields a compact
// alias.Object (names copied, source locations looked up) and is closed, so
// memory grows with the symbols kept, not with the module files. vmlinux
// stays mapped for the whole scan: its listing and DWARF are read lazily.
package kernel

import (
	"fmt"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// Mksysmap names the scripts/mksysmap whose rules apply: a kernel version
// ("6.1", "6.4", "6.12"), or "" for the kernel's own, read from its
// linux_banner (6.4 and later where it has none).
type Mksysmap string

// rules resolves m for the kernel image f (nil: none to read).
func (m Mksysmap) rules(f *elfread.File) (listing.Rules, error) {
	if m != "" {
		return listing.ParseRules(string(m))
	}
	if f != nil {
		if v, ok := Version(f); ok {
			r, err := listing.ParseRules(v)
			if err != nil {
				return 0, fmt.Errorf("%s: linux_banner: %v", f.Name, err)
			}
			return r, nil
		}
	}
	return listing.Mksysmap64, nil
}
