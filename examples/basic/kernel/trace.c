/* Like kernel/trace/trace.c: another s_show, another entries, and a helper
 * that gcc clones (.constprop.0) and splits (.cold). */
#include "hash.h"

static int entries = 5;

static __attribute__((noinline)) int s_show(int i)
{
	return i * entries;
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
	return s_show(i) + scale(i, 3) + (int)jhash((unsigned int)i);
}
