int kallsyms_show(int i);
int trace_show(int i);
int load_elf_binary(int x);
int compat_load_elf_binary(int x);
int udp4_rcv(int x);
int udp6_rcv(int x);

/* setup() duplicates a module's .init.text function. */
static __attribute__((noinline)) int setup(int i)
{
	return i - 1;
}

int start_kernel(int i)
{
	return kallsyms_show(i) + trace_show(i) + load_elf_binary(i) +
	       compat_load_elf_binary(i) + udp4_rcv(i) + udp6_rcv(i) + setup(i);
}
