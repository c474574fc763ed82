package alias_test

import (
	"debug/elf"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kas-alias/rules_kas_alias/tool/alias"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// randomListing makes an nm listing where names repeat at different
// addresses, some alias-like names already exist, and some names are long.
func randomListing(r *rand.Rand) []listing.Line {
	names := []string{"s_show", "type_show", "jhash", "s_show__1", "s_show__2", "x", "x__1",
		strings.Repeat("n", 505), strings.Repeat("m", 511), "__pfx_s_show", "entries"}
	types := []byte{'t', 't', 'T', 'd', 'b', 'r'}
	var lines []listing.Line
	for i := 0; i < 300; i++ {
		lines = append(lines, listing.Line{
			Value: 0xffffffff81000000 + uint64(r.Intn(200))*16,
			Type:  types[r.Intn(len(types))],
			Name:  names[r.Intn(len(names))],
		})
	}
	listing.Sort(lines)
	return lines
}

// choose aliases a vmlinux listing with no ELF file behind it.
func choose(t *testing.T, lines []listing.Line, scheme alias.Scheme) (*alias.Result, *alias.Object) {
	t.Helper()
	obj := &alias.Object{Name: "vmlinux", Width: 16}
	for _, l := range lines {
		s := alias.Symbol{Line: l, StValue: l.Value, Type: elf.STT_OBJECT}
		if l.Type == 't' || l.Type == 'T' {
			s.Type = elf.STT_FUNC
		}
		if l.Type >= 'A' && l.Type <= 'Z' {
			s.Bind = elf.STB_GLOBAL
		}
		obj.Symbols = append(obj.Symbols, s)
	}
	res, err := alias.Choose([]*alias.Object{obj}, alias.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return res, obj
}

// Whatever the input, alias names are unique, never equal an existing name,
// fit in kallsyms, and follow their original at the same address and type.
func TestAliasesUnique(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewSource(seed))
		lines := randomListing(r)
		res, obj := choose(t, lines, alias.Counter)
		existing := make(map[string]bool)
		for _, l := range lines {
			existing[l.Name] = true
		}
		seen := make(map[string]bool)
		for _, a := range res.Aliases {
			if existing[a.Name] || seen[a.Name] {
				t.Fatalf("seed %d: alias %q repeats a name", seed, a.Name)
			}
			if len(a.Name) > alias.MaxName {
				t.Fatalf("seed %d: alias of %d bytes", seed, len(a.Name))
			}
			seen[a.Name] = true
		}
		out := res.Listing(obj, nil)
		for i, l := range out {
			if existing[l.Name] {
				continue
			}
			prev := out[i-1]
			if prev.Value != l.Value || prev.Type != l.Type || !existing[prev.Name] {
				t.Fatalf("seed %d: alias line %v does not follow its original (%v)", seed, l, prev)
			}
		}
	}
}

// The 511-byte name cannot take a suffix and gets no alias; the 505-byte
// one gets a short counter suffix that still fits.
func TestLongNames(t *testing.T) {
	long, longest := strings.Repeat("n", 505), strings.Repeat("m", 511)
	lines := []listing.Line{
		{Value: 0x10, Type: 't', Name: long}, {Value: 0x20, Type: 't', Name: long},
		{Value: 0x30, Type: 't', Name: longest}, {Value: 0x40, Type: 't', Name: longest},
	}
	res, _ := choose(t, lines, alias.Counter)
	var got []string
	for _, a := range res.Aliases {
		got = append(got, fmt.Sprintf("%s(%d)", a.Name[len(a.Name)-3:], len(a.Name)))
	}
	if want := "__1(508) __2(508)"; strings.Join(got, " ") != want || res.Unlocated != 2 {
		t.Fatalf("aliases %v, %d without alias; want %s and 2", got, res.Unlocated, want)
	}
}
