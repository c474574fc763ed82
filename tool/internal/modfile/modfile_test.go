package modfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The real compressors kmod users meet (xz, zstd, gzip) compress a file; Read
// must give back its exact bytes, and a corrupt file must name itself.
func TestReadCompressed(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("\x7fELF module bytes "), 5000)
	plain := filepath.Join(dir, "m.ko")
	if err := os.WriteFile(plain, want, 0o644); err != nil {
		t.Fatal(err)
	}
	var r Reader
	for _, c := range []struct{ cmd, ext string }{{"xz", ".xz"}, {"zstd", ".zst"}, {"gzip", ".gz"}} {
		t.Run(c.cmd, func(t *testing.T) {
			out, err := exec.Command(c.cmd, "-c", plain).Output()
			if err != nil {
				t.Fatalf("%s is needed (tools/bootstrap.sh installs it): %v", c.cmd, err)
			}
			p := plain + c.ext
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
			// One Reader for several files: its buffers are reused.
			for range 2 {
				image, err := r.Read(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(image, want) {
					t.Fatalf("Read(%s): %d bytes, want %d", p, len(image), len(want))
				}
			}
			if !Compressed(p) {
				t.Errorf("Compressed(%s) = false", p)
			}
			bad := p + ".bad" + c.ext
			if err := os.WriteFile(bad, out[:len(out)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Read(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": cannot decompress") {
				t.Fatalf("Read(truncated) = %v, want an error naming %s", err, bad)
			}
		})
	}
	image, err := r.Read(plain)
	if err != nil || !bytes.Equal(image, want) || Compressed(plain) {
		t.Fatalf("Read(plain): %v", err)
	}
}
