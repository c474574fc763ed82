package srcindex

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// openImage indexes an ELF image held in memory.
func openImage(name string, img []byte, srctree string) (*Index, error) {
	f, err := elfread.NewFile(name, img)
	if err != nil {
		return nil, err
	}
	return Open(f, Options{Srctree: srctree})
}

// writeFuzzSeeds writes the seed corpus of FuzzOpen (under -update): small
// relocatable objects with DWARF 4 and 5, and broken variants of them.
func writeFuzzSeeds(t *testing.T, seeds [][]byte) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range seeds {
		p := filepath.Join(dir, fmt.Sprintf("seed-%02d", n))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := openImage("fuzz.o", b, "")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.o: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var addrs []Addr
		for s := uint32(0); s < 8; s++ {
			addrs = append(addrs, Addr{s, 0}, Addr{s, 4}, Addr{s, 0x10})
			x.TU(Addr{s, 0})
		}
		if _, err := x.Locate(addrs); err != nil && !strings.HasPrefix(err.Error(), "fuzz.o: ") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
