package elfwrite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/internal/modfile"
	"github.com/kas-alias/rules_kas_alias/tool/plan"
)

// TestBenchInputs is bench/rewrite.sh's driver, not a test: for every module
// listed in $KAS_ALIAS_BENCH_MODLIST it writes, into $KAS_ALIAS_BENCH_PLANS,
// the objcopy response file (MODULE.objcopy.rsp) that adds the module's
// planned aliases. With KAS_ALIAS_BENCH_GENERATE=1 it first writes the plans
// themselves (every local function NAME aliased as NAME@alias), for when
// kas_alias scan cannot make them.
func TestBenchInputs(t *testing.T) {
	list, dir := os.Getenv("KAS_ALIAS_BENCH_MODLIST"), os.Getenv("KAS_ALIAS_BENCH_PLANS")
	if list == "" || dir == "" {
		t.Skip("bench/rewrite.sh's driver: KAS_ALIAS_BENCH_MODLIST and KAS_ALIAS_BENCH_PLANS are not set")
	}
	data, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	generate := os.Getenv("KAS_ALIAS_BENCH_GENERATE") == "1"
	n := 0
	for _, m := range strings.Fields(string(data)) {
		raw, image, err := modfile.Read(m)
		if err != nil {
			t.Fatal(err)
		}
		elfImage, _, err := SplitSignature(image)
		if err != nil {
			t.Fatal(err)
		}
		name := plan.ModuleName(m)
		planPath := filepath.Join(dir, plan.FileName(name))
		if generate {
			p := &plan.Plan{Format: plan.Format, Module: name, SHA256: plan.Digest(raw), Symbols: append([]plan.Symbol{}, aliasPlan(t, elfImage, localFuncs)...)}
			if err := p.Write(planPath); err != nil {
				t.Fatal(err)
			}
		}
		p, err := plan.Read(planPath)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, a := range objcopyArgs(t, elfImage, p.Symbols) {
			fmt.Fprintf(&b, "'%s'\n", a)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".objcopy.rsp"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		n += len(p.Symbols)
	}
	t.Logf("%d aliases", n)
}
