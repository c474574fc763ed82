/* net/ipv4/udp.c and net/ipv6/udp.c: one basename, so STT_FILE names collide. */
static __attribute__((noinline)) int udp_lib_hash(int x)
{
	return x + 6;
}

int udp6_rcv(int x)
{
	return udp_lib_hash(x);
}
