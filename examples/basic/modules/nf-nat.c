/* A second module (with a dash in its name, as kernel modules have):
 * type_show and depth again. */
static int depth = 4;

static __attribute__((noinline)) int type_show(int i)
{
	return i + depth;
}

int nf_nat_setup(int i)
{
	return type_show(i);
}

int init_module(void)
{
	return nf_nat_setup(1);
}
