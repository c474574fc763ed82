#ifndef LOAD_BINARY
#define LOAD_BINARY load_elf_binary
#endif

static __attribute__((noinline)) int elf_read(int x)
{
	return x + 11;
}

int LOAD_BINARY(int x)
{
	return elf_read(x);
}
