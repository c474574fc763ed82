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
	s, ok, err := f.Lookup("linux_banner")
	if err != nil || !ok || s.Type != elf.STT_OBJECT || s.Section == 0 || int(s.Section) >= len(f.Sections) {
		return "", false
	}
	sec := &f.Sections[s.Section]
	if s.Value < sec.Addr || s.Value-sec.Addr >= sec.Size {
		return "", false
	}
	// The banner is a line of text: 256 bytes hold its start.
	b := make([]byte, min(256, sec.Size-(s.Value-sec.Addr)))
	if sec.Type == elf.SHT_NOBITS {
		return "", false
	}
	if _, err := f.ReadAt(b, int64(sec.Offset+s.Value-sec.Addr)); err != nil {
		return "", false
	}
	if n := bytes.IndexByte(b, 0); n >= 0 {
		b = b[:n]
	}
	if m := bannerVersion.FindSubmatch(b); m != nil {
		return string(m[1]), true
	}
	return "", false
}
