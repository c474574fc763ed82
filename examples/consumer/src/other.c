static __attribute__((noinline)) int probe_one(int x) { return x * 3; }
int drv_b(int x) { return probe_one(x); }
int main(void) { extern int drv_a(int); return drv_a(1) + drv_b(2); }
