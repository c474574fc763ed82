package listing_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
	"github.com/kas-alias/rules_kas_alias/tool/internal/golden"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// gnuNM runs "LC_ALL=C nm -n" on files (several at once, as nm prints them).
func gnuNM(t *testing.T, files ...string) []byte {
	t.Helper()
	cmd := exec.Command("nm", append([]string{"-n"}, files...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nm -n: %v\n%s", err, stderr.String())
	}
	return out
}

// ourNM is what "kas_alias nm" prints for files.
func ourNM(t *testing.T, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range files {
		if len(files) > 1 {
			b.WriteString("\n" + p + ":\n")
		}
		b.Write(listFile(t, p))
	}
	return b.Bytes()
}

// TestKernel diffs whole listings against GNU nm on a real kernel: opt in
// with KAS_ALIAS_VMLINUX (a vmlinux with .symtab) and KAS_ALIAS_MODULES (a
// directory searched for .ko, .ko.xz, .ko.zst, .ko.gz; compressed modules
// are compared with nm on their decompressed image). bench/fetch-debian.sh
// fetches Debian's.
func TestKernel(t *testing.T) {
	vmlinux, modules := os.Getenv("KAS_ALIAS_VMLINUX"), os.Getenv("KAS_ALIAS_MODULES")
	if vmlinux == "" && modules == "" {
		t.Skip("set KAS_ALIAS_VMLINUX and/or KAS_ALIAS_MODULES to compare with GNU nm on a real kernel")
	}
	if vmlinux != "" {
		want, got := gnuNM(t, vmlinux), ourNM(t, vmlinux)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: listing differs from nm -n:\n%s", vmlinux, golden.Diff(want, got))
		}
		t.Logf("%s: %d lines identical", vmlinux, bytes.Count(want, []byte("\n")))
		// --mksysmap=6.1 is Linux 6.1's grep over the same listing.
		var kept []string
		for _, l := range strings.SplitAfter(string(want), "\n") {
			if l == "" {
				continue
			}
			var x listing.Line
			lines, _, err := listing.Parse(strings.NewReader(l), "nm")
			if err != nil {
				t.Fatal(err)
			}
			x = lines[0]
			if listing.KeptByMksysmap61(&x) {
				kept = append(kept, l)
			}
		}
		grep := exec.Command("grep", "-v", "-e", " [aNUw] ", "-e", " \\$", "-e", " \\.L", "-e", " __crc_",
			"-e", " __kstrtab_", "-e", " __kstrtabns_", "-e", " L0$")
		grep.Stdin = bytes.NewReader(want)
		out, _ := grep.Output()
		if g := strings.Join(kept, ""); g != string(out) {
			t.Errorf("KeptByMksysmap61 differs from Linux 6.1's scripts/mksysmap grep:\n%s", golden.Diff(out, []byte(g)))
		}
	}
	if modules != "" {
		var plain, compressed []string
		filepath.WalkDir(modules, func(p string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case strings.HasSuffix(p, ".ko"):
				plain = append(plain, p)
			case strings.HasSuffix(p, ".ko.xz") || strings.HasSuffix(p, ".ko.zst") || strings.HasSuffix(p, ".ko.gz"):
				compressed = append(compressed, p)
			}
			return nil
		})
		sort.Strings(plain)
		if len(plain)+len(compressed) == 0 {
			t.Fatalf("no modules under %s", modules)
		}
		const batch = 200
		for i := 0; i < len(plain); i += batch {
			files := plain[i:min(i+batch, len(plain))]
			if want, got := gnuNM(t, files...), ourNM(t, files...); !bytes.Equal(got, want) {
				t.Errorf("modules %s..%s: listing differs from nm -n:\n%s", files[0], files[len(files)-1], golden.Diff(want, got))
			}
		}
		dir := t.TempDir()
		for _, p := range compressed {
			f, err := elfread.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(dir, "m.ko")
			if err := os.WriteFile(tmp, f.Image(), 0o644); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if want, got := gnuNM(t, tmp), listFile(t, p); !bytes.Equal(got, want) {
				t.Errorf("%s: listing differs from nm -n of its decompressed image:\n%s", p, golden.Diff(want, got))
			}
		}
		t.Logf("%d modules and %d compressed modules identical", len(plain), len(compressed))
	}
}

// BenchmarkVmlinux lists KAS_ALIAS_VMLINUX (default: the vmlinux that
// bench/fetch-debian.sh extracts) into memory.
func BenchmarkVmlinux(b *testing.B) {
	p := os.Getenv("KAS_ALIAS_VMLINUX")
	if p == "" {
		home, _ := os.UserHomeDir()
		cache := os.Getenv("KAS_ALIAS_CACHE")
		if cache == "" {
			cache = filepath.Join(home, ".cache", "kas_alias")
		}
		p = filepath.Join(cache, "debian-6.1", "vmlinux")
	}
	if _, err := os.Stat(p); err != nil {
		b.Skipf("no vmlinux (run bench/fetch-debian.sh or set KAS_ALIAS_VMLINUX): %v", err)
	}
	var buf []byte
	for i := 0; i < b.N; i++ {
		f, err := elfread.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		lines, err := listing.FromELF(f)
		if err != nil {
			b.Fatal(err)
		}
		buf = listing.Append(buf[:0], lines, listing.Width(f))
		f.Close()
	}
	b.SetBytes(int64(len(buf)))
}
