/* Like fs/binfmt_elf.c, which fs/compat_binfmt_elf.c #includes: the same
 * static functions, compiled twice under other global names. */
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
