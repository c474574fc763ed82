	.text
	.globl	_text
_text:
	nop
