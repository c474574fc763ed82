package elfwrite

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// moduleFiles lists the module files (.ko, compressed or not) under dir.
func moduleFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var mods []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(plan.ModuleName(p), ".ko") {
			mods = append(mods, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(mods) == 0 {
		tb.Fatalf("no modules under %s", dir)
	}
	slices.Sort(mods)
	return mods
}

// TestRealModules rewrites every module under $KAS_ALIAS_MODULES (Debian's
// 6.1 modules: bench/fetch-debian.sh puts them in
// ~/.cache/kas_alias/debian-6.1/modules) with every local function NAME
// aliased as NAME@alias, signature dropped, and checks each against objcopy
// given the same plan, readelf's silence and the untouched sections.
func TestRealModules(t *testing.T) {
	dir := os.Getenv("KAS_ALIAS_MODULES")
	if dir == "" {
		t.Skip("KAS_ALIAS_MODULES is not set (a directory of .ko files)")
	}
	scratch := t.TempDir()
	var total, signed, aliases atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d modules (%d signed), %d aliases added", total.Load(), signed.Load(), aliases.Load())
	})
	for _, m := range moduleFiles(t, dir) {
		rel, _ := filepath.Rel(dir, m)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			total.Add(1)
			_, image, err := modfile.Read(m)
			if err != nil {
				t.Fatal(err)
			}
			if HasSignature(image) {
				signed.Add(1)
			}
			elfImage, _, err := SplitSignature(image)
			if err != nil {
				t.Fatal(err)
			}
			if HasSignature(image) {
				if _, err := AddSymbols(m, image, []plan.Symbol{{Name: "x", Section: 1, Bind: "local", Type: "func"}}); err == nil || !strings.Contains(err.Error(), "before signing") {
					t.Fatalf("signed module accepted: %v", err)
				}
			}
			in := filepath.Join(scratch, strings.ReplaceAll(rel, "/", "_")+".in")
			if err := os.WriteFile(in, elfImage, 0o644); err != nil {
				t.Fatal(err)
			}
			syms := aliasPlan(t, elfImage, localFuncs)
			if len(syms) == 0 {
				return
			}
			aliases.Add(int64(len(syms)))
			ours, _, out := rewriteFile(t, in, syms)
			sectionsUnchanged(t, elfImage, out)
			theirs := runObjcopy(t, "objcopy", scratch, in, elfImage, syms)
			run(t, "readelf", "-aW", ours)
			compareWithObjcopy(t, "readelf", ours, theirs, syms)
			for _, p := range []string{in, ours, theirs, filepath.Join(scratch, filepath.Base(in)+".objcopy.rsp")} {
				os.Remove(p)
			}
		})
	}
}
