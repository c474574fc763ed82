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
// an entry is 12 bytes that refer to a symbol instead of copying the name,
// and two names that share a hash are told apart exactly (the later goes to
// an overflow map), so the index is exact, and in input order per name.

// hashName is the index's hash (a variable so that a test can make every
// name collide).
var hashName = fnv1a

// fnv1a is FNV-1a: fixed, so that nothing depends on a random seed.
func fnv1a(s string) uint64 {
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
	// ref is its first countable symbol if counted, else its first symbol.
	ref     symRef
	counted bool // some symbol of this name is countable
	dup     bool // countable symbols of this name are at two places or more
}

const shardBits = 4

type shard struct {
	byHash  map[uint64]uint32 // index into entries
	entries []nameEntry
	// overflow holds the names whose hash a different, earlier name has.
	overflow map[string]*nameEntry
}

type nameIndex struct {
	objs   []*Object
	shards [1 << shardBits]shard
}

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

// name is the C name of the symbol r refers to: what the index counts.
func (x *nameIndex) name(r symRef) string { return cName(x.objs[r.obj].Symbols[r.sym].Name) }

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
		// About 3 of 4 symbols have a name of their own.
		est := n >> shardBits * 3 / 4
		t := shard{byHash: make(map[uint64]uint32, est), entries: make([]nameEntry, 0, est)}
		for oi, o := range objs {
			for si := range o.Symbols {
				h := o.hashes[si]
				if shardOf(h) != sh {
					continue
				}
				ref := symRef{int32(oi), int32(si)}
				var e *nameEntry
				if i, ok := t.byHash[h]; !ok {
					t.byHash[h] = uint32(len(t.entries))
					t.entries = append(t.entries, nameEntry{ref: ref})
					e = &t.entries[len(t.entries)-1]
				} else if e = &t.entries[i]; x.name(e.ref) != cName(o.Symbols[si].Name) {
					e = t.collision(x.name(ref), ref)
				}
				if o.countable[si] {
					switch {
					case !e.counted:
						e.counted, e.ref = true, ref
					case !e.dup && !x.samePlace(e.ref, ref):
						e.dup = true
					}
				}
			}
		}
		x.shards[sh] = t
		return nil
	})
	return x
}

// collision returns the overflow entry for a name whose hash another name
// has.
func (t *shard) collision(name string, ref symRef) *nameEntry {
	if t.overflow == nil {
		t.overflow = map[string]*nameEntry{}
	}
	e := t.overflow[name]
	if e == nil {
		e = &nameEntry{ref: ref}
		t.overflow[name] = e
	}
	return e
}

// lookup returns the entry of name, nil if no symbol has it.
func (x *nameIndex) lookup(name string, h uint64) *nameEntry {
	t := &x.shards[shardOf(h)]
	i, ok := t.byHash[h]
	if !ok {
		return nil
	}
	if e := &t.entries[i]; x.name(e.ref) == name {
		return e
	}
	return t.overflow[name]
}

// has reports whether some symbol is named name.
func (x *nameIndex) has(name string) bool { return x.lookup(name, hashName(name)) != nil }

// duplicates counts the names at more than one place.
func (x *nameIndex) duplicates() int {
	n := 0
	for sh := range x.shards {
		for i := range x.shards[sh].entries {
			if x.shards[sh].entries[i].dup {
				n++
			}
		}
		for _, e := range x.shards[sh].overflow {
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
			o.hashes[si] = hashName(cName(s.Name))
			o.countable[si] = countable(rules, o, s)
		}
		o.findText()
		return nil
	})
}
