package kprobe

import (
	"debug/elf"

	"github.com/kas-alias/rules_kas_alias/tool/elfread"
)

// x86Refused reports whether x86-64 kprobes refuse the instruction code
// starts with, as arch_prepare_kprobe() of arch/x86/kernel/kprobes/core.c
// (Linux 6.1 to 6.12) does whatever the function: __copy_instruction()
// takes no int3 and no move to SS; prepare_emulation() no far jump or call,
// no iret, no VMX instruction (0f 01 with mod 3, reg 0), and an indirect
// near jump or call only through a 64-bit register (jmp *0x18(%rdi) is
// refused: "TODO: support memory addressing"). Only the bytes up to the
// ModR/M byte are read: relocations never touch them.
func x86Refused(code []byte) bool {
	addr32 := false
	i := 0
prefixes:
	for ; i < len(code); i++ {
		switch code[i] {
		case 0x67:
			addr32 = true
		case 0x66, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65:
		default:
			break prefixes
		}
	}
	if i < len(code) && code[i]&0xf0 == 0x40 { // REX
		i++
	}
	if i >= len(code) {
		return false
	}
	op := code[i]
	var modrm byte
	hasModrm := i+1 < len(code)
	if hasModrm {
		modrm = code[i+1]
	}
	mod, reg := modrm>>6, (modrm>>3)&7
	switch op {
	case 0xcc, 0xcf, 0x9a, 0xea, 0x17: // int3, iret, far call/jmp absolute, pop %ss
		return true
	case 0x8e: // mov to a segment register: SS masks the next exception
		return hasModrm && reg == 2
	case 0x0f:
		if i+2 < len(code) && code[i+1] == 0x01 {
			m := code[i+2]
			return m>>6 == 3 && (m>>3)&7 == 0
		}
	case 0xff:
		if !hasModrm {
			return false
		}
		switch reg {
		case 3, 5: // far call, far jmp
			return true
		case 2, 4: // near call, near jmp, absolute indirect
			return addr32 || mod != 3
		}
	}
	return false
}

// endbr64 is the instruction -fcf-protection=branch puts at a function's
// start; with IBT, a kprobe on the function is placed after it.
var endbr64 = []byte{0xf3, 0x0f, 0x1e, 0xfa}

// InsnRefused reports whether the kernel refuses a kprobe on the function
// that starts at value in section sec of f (an address in a linked image,
// an offset in a module) for the instruction the probe lands on: the first
// one, or the one after an ENDBR64. It matters where no ftrace call is
// there (a kernel without ftrace, notrace code). Followed for x86-64 only;
// elsewhere, and where the bytes cannot be read, false.
func InsnRefused(f *elfread.File, sec uint32, value uint64) bool {
	if f.Machine != elf.EM_X86_64 || int(sec) >= len(f.Sections) {
		return false
	}
	s := &f.Sections[sec]
	if s.Type != elf.SHT_PROGBITS || value < s.Addr || value-s.Addr >= s.Size {
		return false
	}
	off := value - s.Addr
	var buf [4 + 16]byte
	n := min(uint64(len(buf)), s.Size-off)
	if _, err := f.ReadAt(buf[:n], int64(s.Offset+off)); err != nil {
		return false
	}
	code := buf[:n]
	if len(code) >= len(endbr64) && string(code[:len(endbr64)]) == string(endbr64) {
		code = code[len(endbr64):]
	}
	return x86Refused(code)
}
