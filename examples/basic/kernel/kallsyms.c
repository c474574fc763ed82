/* Like kernel/kallsyms.c: one of three s_show functions. */
#include "hash.h"

static int entries = 3;

static __attribute__((noinline)) int s_show(int i)
{
	return i + entries;
}

int kallsyms_show(int i)
{
	return s_show(i) + (int)jhash((unsigned int)i);
}
