/* A second module, with a dash in its file name as kernel modules have. */
static volatile int depth = 4;

static __attribute__((noinline)) int type_show(int i)
{
	return i + depth;
}

static __attribute__((noinline, section(".init.text"))) int setup(int i)
{
	return i - depth;
}

static const char __UNIQUE_ID_license[] __attribute__((used, section(".modinfo"))) = "license=GPL";

int nf_nat_setup(int i)
{
	return type_show(i) + setup(i);
}

int init_module(void)
{
	return nf_nat_setup(1);
}

void cleanup_module(void)
{
}
