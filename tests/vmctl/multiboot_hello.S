/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A multiboot (v1) test kernel for vmctl: checks the loader's magic,
 * prints "multiboot ok: CMDLINE" on COM1, then ends the way the command
 * line's first letter says: 'p' ACPI power-off (S5), 'r' reset through
 * port 0xcf9, 't' triple fault, 'h' halts with interrupts off forever,
 * anything else writes 0x21 to the debug-exit port 0xf4 (vmctl exits
 * with status 0x43).
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */
#define MB_LOADER	0x2badb002
#define COM1		0x3f8
#define PM1A_CNT	0x604
#define SLP_EN		0x2000
#define RESET_CTL	0xcf9
#define DEBUG_EXIT	0xf4

	.code32
	.text
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.globl _start
_start:
	mov	$stack_top, %esp
	cmp	$MB_LOADER, %eax
	jne	bad_magic
	mov	%ebx, %ebp		/* multiboot information */
	mov	$ok_msg, %esi
	call	puts
	mov	16(%ebp), %esi		/* cmdline */
	call	puts
	mov	$nl, %esi
	call	puts
	mov	16(%ebp), %esi
	movb	(%esi), %al
	cmp	$'p', %al
	je	poweroff
	cmp	$'r', %al
	je	reset
	cmp	$'t', %al
	je	triple
	cmp	$'h', %al
	je	halt
	mov	$0x21, %eax
	out	%eax, $DEBUG_EXIT
	jmp	halt

poweroff:
	mov	$PM1A_CNT, %dx
	mov	$SLP_EN, %ax
	out	%ax, %dx
	jmp	halt
reset:
	mov	$RESET_CTL, %dx
	mov	$0x06, %al
	out	%al, %dx
	jmp	halt
triple:
	lidt	null_idt
	int3
bad_magic:
	mov	$bad_msg, %esi
	call	puts
halt:
	cli
	hlt
	jmp	halt

/* Print the NUL-terminated string at %esi. */
puts:
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	ret

	.data
ok_msg:	.asciz "multiboot ok: "
bad_msg: .asciz "multiboot: bad loader magic\n"
nl:	.asciz "\n"
	.align 8
null_idt:
	.word 0
	.long 0

	.bss
	.align 16
	.space 4096
stack_top:
