static __attribute__((noinline)) unsigned int jhash(unsigned int x)
{
	return x * 2654435761u + 7;
}
