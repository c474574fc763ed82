static __attribute__((noinline)) int probe_one(int x) { return x - 7; }
int mod_entry(int x) { return probe_one(x); }
