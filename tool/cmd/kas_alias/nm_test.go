package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
)

const nmFixture = "../../listing/testdata/fixture_x86_64.o"

func runMain(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestNMCommand(t *testing.T) {
	golden, err := os.ReadFile(nmFixture + ".nm")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := runMain("nm", nmFixture)
	if code != 0 || out != string(golden) {
		t.Fatalf("nm FILE: status %d, output differs from golden", code)
	}
	// Several files print as GNU nm prints them.
	out, _, code = runMain("nm", nmFixture, nmFixture)
	want := "\n" + nmFixture + ":\n" + string(golden) + "\n" + nmFixture + ":\n" + string(golden)
	if code != 0 || out != want {
		t.Errorf("nm FILE FILE: status %d\n%s", code, out)
	}
	if gnu := ccfixture.Run(t, ".", "nm", "-n", nmFixture, nmFixture); string(gnu) != want {
		t.Errorf("GNU nm of two files differs:\n%s", gnu)
	}
	// -o writes the same bytes.
	dst := filepath.Join(t.TempDir(), "out.syms")
	if _, _, code := runMain("nm", "-o", dst, nmFixture); code != 0 {
		t.Fatalf("nm -o: status %d", code)
	}
	if b, _ := os.ReadFile(dst); string(b) != string(golden) {
		t.Errorf("nm -o wrote different bytes")
	}
	// --mksysmap drops a, N, U, w and the rest.
	out, _, code = runMain("nm", "--mksysmap", nmFixture)
	if code != 0 || strings.Contains(out, " U ") || strings.Contains(out, " a abs_local") || !strings.Contains(out, " T global_func\n") {
		t.Errorf("nm --mksysmap: status %d\n%s", code, out)
	}
	if _, _, code := runMain("nm", "--mksysmap=6.3", nmFixture); code != 2 {
		t.Errorf("--mksysmap=6.3: status %d, want 2", code)
	}
}

func TestNMErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "vmlinux")
	os.WriteFile(text, []byte("not elf"), 0o644)
	good, _ := os.ReadFile(nmFixture)
	trunc := filepath.Join(dir, "trunc.o")
	os.WriteFile(trunc, good[:len(good)/2], 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nm", text}, "kas_alias nm: " + text + ": not an ELF file\n"},
		{[]string{"nm", filepath.Join(dir, "missing")}, "kas_alias nm: " + filepath.Join(dir, "missing") + ": no such file or directory\n"},
		{[]string{"nm", trunc}, "kas_alias nm: " + trunc + ": section header table at offset"},
	} {
		_, stderr, code := runMain(tc.args...)
		if code != 1 || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: status %d, stderr %q, want status 1 and one line starting %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, _, code := runMain("nm"); code != 2 {
		t.Errorf("nm without files: status %d, want 2", code)
	}
	if _, _, code := runMain("nm", "--help"); code != 0 {
		t.Errorf("nm --help: status %d, want 0", code)
	}
}
