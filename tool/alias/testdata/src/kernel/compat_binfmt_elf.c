#define LOAD_BINARY compat_load_elf_binary
#include "binfmt_elf.c"
