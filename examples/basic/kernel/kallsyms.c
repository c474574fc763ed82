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

/* trace.c has a scale() too: gcc clones both (scale.constprop.0), so the
 * clone's name is duplicated and aliased with its dots kept. */
static __attribute__((noinline)) int scale(int x, int k)
{
	if (__builtin_expect(x > 1000, 0)) {
		volatile int slow = x;
		return slow / k;
	}
	return x + k;
}

int kallsyms_show(int i)
{
	return s_show(i) + scale(i, 7) + (int)jhash((unsigned int)i) + pfx(i);
}
