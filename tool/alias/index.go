package alias

import (
	"runtime"

	"github.com/kas-alias/rules_kas_alias/tool/internal/parallel"
	"github.com/kas-alias/rules_kas_alias/tool/listing"
)

// The name index holds every symbol name of every object (a million on a
// distribution kernel with its modules): whether it is countable somewhere,
// where it is first seen, whether it is seen at a second place. It is
// keyed by a 64-bit hash of the name, split into shards built on all cores;
// an entry refers to its first symbol instead of copying the name, and two
// names that share a hash are told apart exactly (the later goes to an
// overflow map), so the index is exact, and in input order per name.

// nameHash is FNV-1a: fixed, so that nothing depends on a random seed.
func nameHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// symRef names one symbol: object and symbol index.
type symRef struct{ obj, sym int32 }

// nameEntry is what the index knows of one name.
type nameEntry struct {
	any     symRef // its first symbol, countable or not (for the name)
	first   symRef // its first countable symbol, if counted
	counted bool   // some symbol of this name is countable
	dup     bool   // countable symbols of this name are at two places or more
}

const shardBits = 4

type nameIndex struct {
	objs     []*Object
	shards   [1 << shardBits]map[uint64]*nameEntry
	overflow [1 << shardBits]map[string]*nameEntry
}

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

func (x *nameIndex) name(r symRef) string { return x.objs[r.obj].Symbols[r.sym].Name }

// place is where a symbol is, for telling duplicates: its address in
// vmlinux, its section and offset in a module (all sections start at 0).
func (x *nameIndex) samePlace(a, b symRef) bool {
	sa, sb := &x.objs[a.obj].Symbols[a.sym], &x.objs[b.obj].Symbols[b.sym]
	if a.obj != b.obj || sa.Value != sb.Value {
		return false
	}
	return !x.objs[a.obj].Module || sa.Section == sb.Section
}

// buildIndex indexes every symbol of objs; prepare has run on them.
func buildIndex(objs []*Object) *nameIndex {
	x := &nameIndex{objs: objs}
	n := 0
	for _, o := range objs {
		n += len(o.Symbols)
	}
	parallel.ForEach(len(x.shards), runtime.GOMAXPROCS(0), false, func(sh int) error {
		m := make(map[uint64]*nameEntry, n>>shardBits+n>>(shardBits+2))
		entries := make([]nameEntry, 0, n>>shardBits)
		for oi, o := range objs {
			for si := range o.Symbols {
				h := o.hashes[si]
				if shardOf(h) != sh {
					continue
				}
				ref := symRef{int32(oi), int32(si)}
				e := m[h]
				if e == nil {
					entries = append(entries, nameEntry{any: ref})
					e = &entries[len(entries)-1]
					if cap(entries) == len(entries) {
						// Keep pointers valid: the next entries go to a new block.
						entries = make([]nameEntry, 0, 1024)
					}
					m[h] = e
				} else if x.name(e.any) != o.Symbols[si].Name {
					e = x.collision(sh, ref)
				}
				if o.countable[si] {
					switch {
					case !e.counted:
						e.counted, e.first = true, ref
					case !e.dup && !x.samePlace(e.first, ref):
						e.dup = true
					}
				}
			}
		}
		x.shards[sh] = m
		return nil
	})
	return x
}

// collision returns the overflow entry for a name whose hash another name
// has.
func (x *nameIndex) collision(sh int, ref symRef) *nameEntry {
	if x.overflow[sh] == nil {
		x.overflow[sh] = map[string]*nameEntry{}
	}
	name := x.name(ref)
	e := x.overflow[sh][name]
	if e == nil {
		e = &nameEntry{any: ref}
		x.overflow[sh][name] = e
	}
	return e
}

// lookup returns the entry of name, nil if no symbol has it.
func (x *nameIndex) lookup(name string, h uint64) *nameEntry {
	sh := shardOf(h)
	e := x.shards[sh][h]
	if e == nil || x.name(e.any) == name {
		return e
	}
	return x.overflow[sh][name]
}

// has reports whether some symbol is named name.
func (x *nameIndex) has(name string) bool { return x.lookup(name, nameHash(name)) != nil }

// duplicates counts the names at more than one place.
func (x *nameIndex) duplicates() int {
	n := 0
	for sh := range x.shards {
		for _, e := range x.shards[sh] {
			if e.dup {
				n++
			}
		}
		for _, e := range x.overflow[sh] {
			if e.dup {
				n++
			}
		}
	}
	return n
}

// prepare computes what the index and the selection need of each symbol,
// on all cores: its name's hash and whether it counts.
func prepare(objs []*Object, rules listing.Rules) {
	parallel.ForEach(len(objs), runtime.GOMAXPROCS(0), false, func(i int) error {
		o := objs[i]
		o.hashes = make([]uint64, len(o.Symbols))
		o.countable = make([]bool, len(o.Symbols))
		for si := range o.Symbols {
			s := &o.Symbols[si]
			o.hashes[si] = nameHash(s.Name)
			o.countable[si] = countable(rules, o, s)
		}
		o.findText()
		return nil
	})
}
