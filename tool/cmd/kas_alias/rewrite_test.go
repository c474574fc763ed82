package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/ccfixture"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

const rewriteC = `
__attribute__((noinline)) static int s_show(int x) { return x * 3; }
int shown(int x) { return s_show(x) + 1; }
`

// rewriteModule compiles a small module object; signed appends a signature
// trailer (struct module_signature with a 5-byte signature).
func rewriteModule(t *testing.T, dir, name string, sign bool) (path string, image []byte) {
	t.Helper()
	ccfixture.WriteFiles(t, dir, map[string]string{"m.c": rewriteC})
	ccfixture.Host.Compile(t, dir, "-O2", "-c", "m.c", "-o", name)
	path = filepath.Join(dir, name)
	image, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sign {
		info := make([]byte, 12)
		info[2] = 2
		binary.BigEndian.PutUint32(info[8:], 5)
		image = slices.Concat(image, []byte("sig!!"), info, []byte(signatureMagic))
		if err := os.WriteFile(path, image, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path, image
}

// signatureMagic ends a signed module (scripts/sign-file).
const signatureMagic = "~Module signature appended~\n"

var rewriteSyms = []plan.Symbol{
	{Name: "s_show@m.c", Section: 1, Value: 0, Size: 4, Bind: "local", Type: "func"},
	{Name: "shown@m.c", Section: 1, Value: 0x10, Size: 8, Bind: "global", Type: "func"},
}

// writePlan writes the plan for the module file at path (.xz or plain; a
// file that is no ELF object gets a made-up identity).
func writePlan(t *testing.T, dir, path string, syms []plan.Symbol) string {
	t.Helper()
	object := path
	if strings.HasSuffix(path, ".xz") {
		object = filepath.Join(t.TempDir(), "plain.ko")
		if err := os.WriteFile(object, ccfixture.Run(t, dir, "xz", "-dc", path), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := strings.Repeat("0", 64)
	if b, err := os.ReadFile(object); err == nil && bytes.HasPrefix(b, []byte("\x7fELF")) {
		id = ccfixture.SymbolsSHA256(t, object)
	}
	name := plan.ModuleName(path)
	p := &plan.Plan{Format: plan.Format, Module: name, Identity: id, Symbols: syms}
	pp := filepath.Join(dir, plan.FileName(name))
	if err := p.Write(pp); err != nil {
		t.Fatal(err)
	}
	return pp
}

func rewriteMain(args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stderr.String()
}

// checkAdded checks that the module file got is elfImage with syms added,
// against GNU objcopy --add-symbol with the same symbols: the same nm -n
// listing and the same relocations (by symbol name).
func checkAdded(t *testing.T, name string, got, elfImage []byte, syms []plan.Symbol) {
	t.Helper()
	dir := t.TempDir()
	in, ours, theirs := filepath.Join(dir, "in.o"), filepath.Join(dir, "ours.o"), filepath.Join(dir, "objcopy.o")
	if err := os.WriteFile(in, elfImage, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ours, got, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{}
	for _, s := range syms {
		args = append(args, "--add-symbol", fmt.Sprintf("%s=.text:%#x,%s,function", s.Name, s.Value, s.Bind))
	}
	ccfixture.Run(t, dir, "objcopy", append(args, in, theirs)...)
	for _, tool := range [][]string{{"nm", "-n"}, {"readelf", "-rW"}} {
		a := strings.ReplaceAll(string(ccfixture.Run(t, dir, tool[0], append(tool[1:], ours)...)), "ours.o", "X")
		b := strings.ReplaceAll(string(ccfixture.Run(t, dir, tool[0], append(tool[1:], theirs)...)), "objcopy.o", "X")
		if a != b {
			t.Errorf("%s: %s differs from objcopy's:\n%s\nobjcopy:\n%s", name, tool[0], a, b)
		}
	}
}

func TestRewriteOne(t *testing.T) {
	dir := t.TempDir()
	mod, image := rewriteModule(t, dir, "m.ko", false)
	pp := writePlan(t, dir, mod, rewriteSyms)
	out := filepath.Join(dir, "out.ko")
	if code, stderr := rewriteMain("rewrite", "--plan", pp, "-o", out, mod); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(out)
	checkAdded(t, "out.ko", got, image, rewriteSyms)
	if in, _ := os.ReadFile(mod); !bytes.Equal(in, image) {
		t.Fatal("input modified")
	}
	nm := string(ccfixture.Run(t, dir, "nm", out))
	for _, want := range []string{"0000000000000000 t s_show@m.c\n", "0000000000000010 T shown@m.c\n"} {
		if !strings.Contains(nm, want) {
			t.Fatalf("nm lacks %q:\n%s", want, nm)
		}
	}
}

// Many modules in one process, from a param file, one of them compressed:
// outputs are named by module name and uncompressed.
func TestRewriteMany(t *testing.T) {
	dir := t.TempDir()
	plans, outDir := filepath.Join(dir, "plans"), filepath.Join(dir, "out")
	for _, d := range []string{plans, outDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a, aImage := rewriteModule(t, dir, "a.ko", true)
	b, bImage := rewriteModule(t, dir, "b.ko", false)
	if out, err := exec.Command("xz", "-k", b).CombinedOutput(); err != nil {
		t.Fatalf("xz: %v %s", err, out)
	}
	bxz := b + ".xz"
	c, cImage := rewriteModule(t, dir, "c.ko", true)
	writePlan(t, plans, a, rewriteSyms)
	writePlan(t, plans, bxz, rewriteSyms[:1])
	writePlan(t, plans, c, nil)
	params := filepath.Join(dir, "params")
	if err := os.WriteFile(params, []byte(strings.Join([]string{a, bxz, c}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stderr := rewriteMain("rewrite", "--drop-signature", "--plan-dir", plans, "--out-dir", outDir, "@"+params); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	unsigned := aImage[:len(aImage)-len("sig!!")-12-len(signatureMagic)]
	checkAdded(t, "a.ko", mustRead(filepath.Join(outDir, "a.ko")), unsigned, rewriteSyms)
	checkAdded(t, "b.ko", mustRead(filepath.Join(outDir, "b.ko")), bImage, rewriteSyms[:1])
	// Empty plan: unchanged, signature kept.
	if got := mustRead(filepath.Join(outDir, "c.ko")); !bytes.Equal(got, cImage) {
		t.Errorf("c.ko: %d bytes, want the input's %d", len(got), len(cImage))
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 3 {
		t.Errorf("%d files in the output directory, want 3", len(ents))
	}
}

// Every refusal is one line naming the file, and writes nothing.
func TestRewriteErrors(t *testing.T) {
	dir := t.TempDir()
	signedMod, _ := rewriteModule(t, dir, "s.ko", true)
	signedPlan := writePlan(t, dir, signedMod, rewriteSyms)
	mod, _ := rewriteModule(t, dir, "m.ko", false)
	otherDir := filepath.Join(dir, "other")
	os.Mkdir(otherDir, 0o755)
	other, _ := rewriteModule(t, otherDir, "m.ko", false)
	// Another version of m.ko: one more function.
	ccfixture.WriteFiles(t, otherDir, map[string]string{"m.c": rewriteC + "int more(int x) { return shown(x); }\n"})
	ccfixture.Host.Compile(t, otherDir, "-O2", "-c", "m.c", "-o", "m.ko")
	stalePlan := writePlan(t, otherDir, other, rewriteSyms)
	badSection := writePlan(t, dir, mod, []plan.Symbol{{Name: "x", Section: 999, Bind: "local", Type: "func"}})
	notELF := filepath.Join(dir, "n.ko")
	os.WriteFile(notELF, []byte("not an object at all"), 0o644)
	notELFPlan := writePlan(t, dir, notELF, rewriteSyms)
	out := filepath.Join(dir, "out.ko")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"signed", []string{"--plan", signedPlan, "-o", out, signedMod},
			signedMod + ": module has an appended signature, which adding aliases would invalidate; sign it again (--sign-key, --sign-cert) or drop it (--drop-signature)"},
		{"stale plan", []string{"--plan", stalePlan, "-o", out, mod},
			mod + ": plan was made for another version of m.ko (symbols sha256 "},
		{"section out of range", []string{"--plan", badSection, "-o", out, mod},
			mod + `: new symbol "x": section index 999 out of range (`},
		{"not ELF", []string{"--plan", notELFPlan, "-o", out, notELF}, notELF + ": not an ELF file"},
		{"missing plan", []string{"--plan", filepath.Join(dir, "none.plan.json"), "-o", out, mod}, mod + ": open "},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stderr := rewriteMain(append([]string{"rewrite"}, c.args...)...)
			if code != 1 || !strings.HasPrefix(stderr, "kas_alias rewrite: "+c.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("output written")
			}
			if ents, _ := filepath.Glob(filepath.Join(dir, ".out.ko.tmp*")); len(ents) > 0 {
				t.Fatalf("temporary files left: %v", ents)
			}
		})
	}
	for _, args := range [][]string{
		{mod},
		{"--plan", signedPlan, mod},
		{"--plan", signedPlan, "-o", out, mod, mod},
		{"--plan-dir", dir, mod},
		{"--plan-dir", dir, "--out-dir", dir},
		{"--plan", signedPlan, "-o", out, "--plan-dir", dir, "--out-dir", dir, mod},
	} {
		if code, _ := rewriteMain(append([]string{"rewrite"}, args...)...); code != 2 {
			t.Errorf("rewrite %q: exit %d, want 2", args, code)
		}
	}
}

func mustRead(path string) []byte {
	v, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return v
}
