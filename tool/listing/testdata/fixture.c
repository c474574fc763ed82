/* Test fixture: symbols of every nm type letter that a target can make.
 * Compiled by listing_test.go for every ccfixture target (with -fcommon and
 * the target's small-data flags) and listed with the target's GNU nm. */

int common_var;                          /* C (SHN_COMMON) */
int common_big[100];                     /* C, value = size */
int data_var = 1;                        /* D */
static int data_local = 2;               /* d */
const int rodata_var = 3;                /* R */
static const int rodata_local[4] = {4};  /* r */
int bss_var;                             /* B (with -fno-common: see below) */
static int bss_local;                    /* b */
__attribute__((section(".bss.big"))) int bss_section[64]; /* B */
__thread int tls_data = 5;               /* D (.tdata) */
__thread int tls_bss;                    /* B (.tbss) */
static __thread int tls_local;           /* b */
/* Small data (.sdata, .sbss on mips and powerpc): GNU nm 2.40 prints D, d,
 * B, b for them, never G, g, S, s (BFD sets SEC_SMALL_DATA only on sections
 * the linker creates). */
char small_init = 1;
static char small_init_local = 2;
char small_bss;
static short small_bss_local;

extern void undef_func(void);                            /* U */
extern int undef_var;                                    /* U */
extern void weak_undef_func(void) __attribute__((weak)); /* w */
extern int weak_undef_obj __attribute__((weak));         /* w (no type); v below */

__attribute__((weak)) int weak_func(void) { return 1; }  /* W */
__attribute__((weak)) int weak_obj = 7;                  /* V */
__attribute__((weak)) int weak_bss_obj;                  /* V */

static int local_func(int x) { return x + data_local + rodata_local[x & 3]; } /* t */

#ifndef __mips__ /* gcc: "ifunc is not supported on this target" */
static int impl(void) { return 42; }
static void *resolver(void) { return (void *)impl; }
int ifunc_func(void) __attribute__((ifunc("resolver")));  /* i */
#endif

/* Names at one address, to check bytewise ordering of ties. */
__attribute__((used)) static int tie_B(void) { return 0; }

int global_func(int x)                   /* T */
{
	static int counter;                  /* b: counter.0 */
	static int counter2 = 9;             /* d: counter2.1 */
	if (weak_undef_func)
		weak_undef_func();
	undef_func();
	counter += x + counter2 + small_init_local + small_bss_local + tls_local;
	return local_func(x) + undef_var + bss_local + (weak_undef_obj ? 1 : 0) +
	       (&weak_undef_obj != 0) + counter;
}

/* Absolute symbols, GNU unique objects, and sections that only assembler
 * directives reach: a local and a global absolute, aliases at one address
 * (ties sorted bytewise: "Z" < "_" < "a" < "\xc3"), a non-allocated
 * read-only section (n), a debugging section (N), a non-allocated writable
 * section (?), and the PE-style names BFD gives fixed letters to. */
__asm__(
	".globl abs_global\n"
	".set abs_global, 0x1234\n"
	".set abs_local, 0x42\n"
	".globl abs_big\n"
	".set abs_big, 0x7ffffff0\n"
	".pushsection .data.unique,\"aw\",%progbits\n"
	".globl unique_obj\n"
	".type unique_obj, %gnu_unique_object\n"
	"unique_obj: .long 1\n"
	".size unique_obj, 4\n"
	"tie_a: tie_Z: tie__: \"tie_é\": tie_b: .long 2\n"
	".globl tie_a\n"
	".popsection\n"
	".pushsection .note.fixture,\"\",%progbits\n"
	"nonalloc_sym: .long 3\n"
	".popsection\n"
	".pushsection .debug_fixture,\"\",%progbits\n"
	"debug_sym: .long 4\n"
	".popsection\n"
	".pushsection .nawrite,\"w\",%progbits\n"
	"nawrite_sym: .long 5\n"
	".popsection\n"
	".pushsection .idata$2,\"a\",%progbits\n"
	"idata_sym: .long 6\n"
	".popsection\n"
	".pushsection .pdata,\"a\",%progbits\n"
	"pdata_sym: .long 7\n"
	".popsection\n"
	".pushsection .rodata.str,\"aMS\",%progbits,1\n"
	"merge_sym: .asciz \"x\"\n"
	".popsection\n"
	".pushsection .text.exec,\"ax\",%progbits\n"
	".globl exec_global\n"
	"exec_global: .long 8\n"
	".popsection\n"
);

#ifndef __PIC__
/* An undefined weak object (v). */
__asm__(
	".weak weak_undef_typed\n"
	".type weak_undef_typed, %object\n"
	".pushsection .data.refs,\"aw\",%progbits\n"
	"refs: .long weak_undef_typed\n"
	".popsection\n"
);
#endif
