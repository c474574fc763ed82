package alias

// sympos returns, for every alias, its symbol's position among the symbols
// of the same name in its object, as livepatch counts it for
// klp_func.old_sympos (kernel/livepatch/core.c, klp_find_object_symbol;
// kpatch writes the same field): 1 for the first. vmlinux counts in
// kallsyms order, by address (kallsyms_on_each_match_symbol), over the
// symbols kallsyms has; a module counts in its symbol-table order
// (module_kallsyms_on_each_symbol). A module's kallsyms is its whole symbol
// table while it is being loaded (when livepatch patches a module loaded
// after it) and only its core symbols after its init has run: where the
// two counts differ, the position depends on the order of loading and is 0
// (none).
func (r *Result) sympos() []int {
	out := make([]int, len(r.Aliases))
	for o, idx := range r.byObject {
		names := make(map[string]bool, len(idx))
		for _, i := range idx {
			names[r.Aliases[i].Symbol.Name] = true
		}
		// Position of each symbol of those names, by pointer.
		core, all := map[string]int{}, map[string]int{}
		pos := make(map[*Symbol]int, len(idx))
		for i := range o.Symbols {
			s := &o.Symbols[i]
			if !names[s.Name] {
				continue
			}
			if !o.Module {
				if o.countable[i] {
					core[s.Name]++
					pos[s] = core[s.Name]
				}
				continue
			}
			if s.defined() {
				all[s.Name]++
			}
			if o.moduleCore(s) {
				core[s.Name]++
				if core[s.Name] == all[s.Name] {
					pos[s] = core[s.Name]
				}
			}
		}
		for _, i := range idx {
			out[i] = pos[r.Aliases[i].Symbol]
		}
	}
	return out
}
