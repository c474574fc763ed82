package alias

import (
	"debug/elf"
	"math/rand"
	"reflect"
	"strconv"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// Names that share a hash are told apart exactly: with a hash that maps
// every name to one of three values, the aliases are those of the real one.
func TestIndexCollisions(t *testing.T) {
	names := []string{"s_show", "type_show", "jhash", "s_show__1", "x", "x__1", "entries", "a@b.c", "show"}
	for seed := int64(1); seed <= 50; seed++ {
		var objs [2][]*Object
		for k := range objs {
			for m := 0; m < 3; m++ {
				o := &Object{Name: "vmlinux", Width: 16, Module: m > 0}
				if o.Module {
					o.Name = string(rune('a'+m)) + ".ko"
				}
				rr := rand.New(rand.NewSource(seed*10 + int64(m)))
				for i := 0; i < 60; i++ {
					l := listing.Line{Value: uint64(rr.Intn(20)) * 16, Type: "tTd"[rr.Intn(3)], Name: names[rr.Intn(len(names))]}
					o.Symbols = append(o.Symbols, Symbol{Line: l, StValue: l.Value, Section: uint32(1 + rr.Intn(2)), Type: elf.STT_FUNC})
				}
				objs[k] = append(objs[k], o)
			}
		}
		got := func(objs []*Object) []string {
			res, err := Choose(objs, Options{Scheme: Counter})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range res.Aliases {
				out = append(out, a.Object.Name+" "+a.Symbol.Name+" "+a.Name+" "+a.Probe)
			}
			return append(out, strconv.Itoa(res.Duplicates))
		}
		want := got(objs[0])
		hashName = func(s string) uint64 { return uint64(len(s)%3) << 62 }
		collided := got(objs[1])
		hashName = fnv1a
		if !reflect.DeepEqual(want, collided) {
			t.Fatalf("seed %d: with colliding hashes\n%q\nwant\n%q", seed, collided, want)
		}
	}
}
