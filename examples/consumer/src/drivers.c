/* Two drivers with the same static helper, as real trees have. */
static __attribute__((noinline)) int probe_one(int x) { return x + 1; }
int drv_a(int x) { return probe_one(x); }
