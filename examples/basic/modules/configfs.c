/* A module: its own s_show duplicates the kernel's, type_show duplicates
 * the kernel's and another module's; init_module is module boilerplate that
 * every module has and never counts as a duplicate. */
static int depth = 2;

static __attribute__((noinline)) int s_show(int i)
{
	return i << depth;
}

static __attribute__((noinline)) int type_show(int i)
{
	return i ^ depth;
}

int configfs_read(int i)
{
	return s_show(i) + type_show(i);
}

int init_module(void)
{
	return configfs_read(1);
}
