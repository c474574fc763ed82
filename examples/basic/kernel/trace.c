/* Like kernel/trace/trace.c: another s_show and entries, and a helper gcc
 * clones (scale.constprop.0), as kallsyms.c's. */
#include "hash.h"

static volatile int entries = 5;
const char *trace_name;

static __attribute__((noinline)) int s_show(int i)
{
	trace_name = __func__;
	return i * entries;
}

static __attribute__((noinline, used)) int pfx(int i) __asm__("__pfx_s_show");
static int pfx(int i)
{
	return i + 1;
}

static __attribute__((noinline)) int scale(int x, int k)
{
	if (__builtin_expect(x < 0, 0)) {
		volatile int slow = x;
		return slow * k - 1;
	}
	return x * k;
}

int trace_show(int i)
{
	return s_show(i) + scale(i, 3) + (int)jhash((unsigned int)i) + pfx(i);
}
