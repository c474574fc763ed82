/* A module: s_show duplicates the kernel's, type_show another module's;
 * init_module and __UNIQUE_ID_* are module boilerplate that never counts. */
static volatile int depth = 2;

static __attribute__((noinline)) int s_show(int i)
{
	return i << depth;
}

static __attribute__((noinline)) int type_show(int i)
{
	return i ^ depth;
}

/* Freed after init: never aliased, though kallsyms.c has one too. */
static __attribute__((noinline, section(".init.text"))) int setup(int i)
{
	return i + depth;
}

static const char __UNIQUE_ID_license[] __attribute__((used, section(".modinfo"))) = "license=GPL";

int configfs_read(int i)
{
	return s_show(i) + type_show(i);
}

int init_module(void)
{
	return configfs_read(1) + setup(1);
}
