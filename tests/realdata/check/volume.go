package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// cmdVolumePlans writes, for every module, the scan's plan with its symbols
// replaced by a copy NAME@alias of every named local function (the volume
// the rewriter must handle; what TestRealModules checked by hand). Every
// other field of the plan (format, module, digests of the module) is kept
// as the scan wrote it. Functions in sections whose name is not unique are
// left out, since objcopy names sections.
func cmdVolumePlans(args []string) error {
	fs := flag.NewFlagSet("volume-plans", flag.ExitOnError)
	list := fs.String("modules", "", "NAME<TAB>ELF lines")
	planDir := fs.String("plan-dir", "", "the scan's plans")
	out := fs.String("out", "", "directory for the new plans")
	fs.Parse(args)
	rows, err := readTable(*list, 2)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	p := &problems{name: "volume-plans"}
	var total atomic.Int64
	parallel(len(rows), func(i int) {
		n, err := volumePlan(rows[i][0], rows[i][1], *planDir, *out)
		if err != nil {
			p.add("%s: %v", rows[i][0], err)
		}
		total.Add(int64(n))
	})
	fmt.Printf("volume plans: %d aliases (every named local function NAME as NAME@alias) in %d modules\n", total.Load(), len(rows))
	return p.err()
}

func volumePlan(name, path, planDir, out string) (int, error) {
	b, err := os.ReadFile(filepath.Join(planDir, name+".plan.json"))
	if err != nil {
		return 0, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, err
	}
	o, err := readObject(path)
	if err != nil {
		return 0, err
	}
	count := map[string]int{}
	for _, n := range o.secNames {
		count[n]++
	}
	syms := []planSymbol{}
	for _, s := range o.syms {
		if s.bind != elf.STB_LOCAL || s.typ != elf.STT_FUNC || s.name == "" ||
			s.section == 0 || s.section >= uint32(elf.SHN_LORESERVE) || count[o.secNames[s.section]] != 1 {
			continue
		}
		syms = append(syms, planSymbol{Name: s.name + "@alias", Section: s.section, Value: s.value, Size: s.size, Bind: "local", Type: "func"})
	}
	if doc["symbols"], err = json.Marshal(syms); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return 0, err
	}
	return len(syms), os.WriteFile(filepath.Join(out, name+".plan.json"), buf.Bytes(), 0o644)
}
