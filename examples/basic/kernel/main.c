/* The example "kernel": calls into each file so nothing is discarded. */
int kallsyms_show(int i);
int trace_show(int i);
int load_elf_binary(int x);
int compat_load_elf_binary(int x);

static __attribute__((noinline)) int type_show(int i)
{
	return i - 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	return kallsyms_show(argc) + trace_show(argc) + load_elf_binary(argc) +
	       compat_load_elf_binary(argc) + type_show(argc);
}
