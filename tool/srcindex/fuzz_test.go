package srcindex

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
)

// TestFuzzSeeds writes the seed corpus of FuzzOpen under -update: small
// relocatable objects with DWARF 4 and 5, and broken variants of them.
func TestFuzzSeeds(t *testing.T) {
	if !golden.Update() {
		t.Skip("seeds are written with -update")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func(b []byte) {
		p := filepath.Join(dir, fmt.Sprintf("seed-%02d", n))
		n++
		if err := os.WriteFile(p, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"-gdwarf-4", "-gdwarf-5"} {
		img := hostObject(t, v)
		write(img)
		tr := truncations(t, img)
		for _, k := range []string{".debug_line/garbage", ".debug_info/garbage", ".debug_line_str/garbage"} {
			if b, ok := tr[k]; ok {
				write(b)
			}
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Open(b, Options{Name: "fuzz.o"})
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
