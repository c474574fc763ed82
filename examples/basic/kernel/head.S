/* Like arch/x86/kernel/head_64.S: _text marks the start of the kernel's code.
 * The alias map's kprobe locations (_text+0xOFF) are offsets from it. */
	.text
	.globl	_text
_text:
	nop
