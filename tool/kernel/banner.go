package kernel

import (
	"bytes"
	"debug/elf"
	"regexp"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// bannerVersion is the start of init/version.c's linux_banner:
// "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) ...".
var bannerVersion = regexp.MustCompile(`^Linux version ([0-9]+\.[0-9]+)[^0-9]`)

// Version returns the major.minor version of the kernel image f, from the
// string its linux_banner symbol points at; false if f has none.
func Version(f *elfread.File) (string, bool) {
	syms, err := f.Symbols()
	if err != nil {
		return "", false
	}
	for i := range syms {
		s := &syms[i]
		if s.Name != "linux_banner" || s.Type != elf.STT_OBJECT || s.Section == 0 || int(s.Section) >= len(f.Sections) {
			continue
		}
		sec := &f.Sections[s.Section]
		data, err := f.SectionData(int(s.Section))
		if err != nil || s.Value < sec.Addr || s.Value-sec.Addr >= uint64(len(data)) {
			return "", false
		}
		b := data[s.Value-sec.Addr:]
		if n := bytes.IndexByte(b, 0); n >= 0 {
			b = b[:n]
		}
		if m := bannerVersion.FindSubmatch(b); m != nil {
			return string(m[1]), true
		}
		return "", false
	}
	return "", false
}
