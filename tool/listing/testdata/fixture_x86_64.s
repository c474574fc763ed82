# x86-64 only: a large common symbol (SHN_X86_64_LCOMMON) and a symbol in a
# large data section.
	.largecomm lcommon_sym, 4096, 32
	.section .ldata,"awl",@progbits
	.globl ldata_sym
ldata_sym: .long 1
