/* The example "kernel": calls into each file so nothing is discarded.
 * setup() duplicates a module's .init.text function, which is not aliased
 * (freed after init) while this one is. */
int kallsyms_show(int i);
int trace_show(int i);
int load_elf_binary(int x);
int compat_load_elf_binary(int x);
int udp4_rcv(int x);
int udp6_rcv(int x);

static __attribute__((noinline)) int setup(int i)
{
	return i - 1;
}

int start_kernel(int i)
{
	return kallsyms_show(i) + trace_show(i) + load_elf_binary(i) +
	       compat_load_elf_binary(i) + udp4_rcv(i) + udp6_rcv(i) + setup(i);
}

/* For a cc_binary; the tests link with -nostdlib and enter at _text. */
int main(int argc, char **argv)
{
	(void)argv;
	return start_kernel(argc);
}
