/* Like kernel/kallsyms.c: one of the s_show functions. __func__ makes a
 * compiler static (__func__.0) that tu and srcline never alias. */
#include "hash.h"

static volatile int entries = 3;
const char *kallsyms_name;

static __attribute__((noinline)) int s_show(int i)
{
	kallsyms_name = __func__;
	return i + entries;
}

/* A function named like a padding symbol: never aliased by tu/srcline. */
static __attribute__((noinline, used)) int pfx(int i) __asm__("__pfx_s_show");
static int pfx(int i)
{
	return i;
}

int kallsyms_show(int i)
{
	return s_show(i) + (int)jhash((unsigned int)i) + pfx(i);
}
