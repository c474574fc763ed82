/* A static inline in a header, used by two files: gcc emits one copy per
 * translation unit, with the same file:line (the case that defeats srcline). */
static __attribute__((noinline)) unsigned int jhash(unsigned int x)
{
	return x * 2654435761u + 7;
}
