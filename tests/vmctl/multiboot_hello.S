/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A multiboot (v1) test kernel for vmctl: checks the loader's magic,
 * prints "multiboot ok: CMDLINE" on COM1, then ends the way the command
 * line's first letter says: 'p' ACPI power-off (S5), 'r' reset through
 * port 0xcf9, 't' triple fault, 'h' halts with interrupts off forever,
 * 'b' enables the ACPI power button, waits for a press and powers off,
 * 'i' enables the power button and ignores it (halts), 'w' is 'b' with
 * the wait in the middle of a line (a prompt), 'e' prints
 * terminal escape sequences a console must not pass and halts, 'f'
 * floods the console forever, 'n' sends itself an NMI through the LAPIC
 * and halts with interrupts off (the NMI handler prints "nmi taken" and
 * writes 0x2a to the debug-exit port: status 0x55); anything else
 * writes 0x21 to the debug-exit port 0xf4 (vmctl exits with status
 * 0x43).
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */
#define MB_LOADER	0x2badb002
#define COM1		0x3f8
#define PM1A_STS	0x600
#define PM1A_EN		0x602
#define PM1A_CNT	0x604
#define PWRBTN		0x0100	/* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */
#define SLP_EN		0x2000
#define RESET_CTL	0xcf9
#define DEBUG_EXIT	0xf4
#define LAPIC_SVR	0xfee000f0
#define SVR_ENABLE	0x1ff		/* software enable, spurious vector 0xff */
#define LAPIC_ICR_LO	0xfee00300
#define ICR_SELF_NMI	0x00040400	/* shorthand self, delivery mode NMI */
#define GATE_INTR32	0x8e00		/* present, DPL 0, 32-bit interrupt gate */

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
	cmp	$'b', %al
	je	button
	cmp	$'i', %al
	je	ignore_button
	cmp	$'w', %al
	je	button_mid_line
	cmp	$'e', %al
	je	escapes
	cmp	$'f', %al
	je	flood
	cmp	$'n', %al
	je	self_nmi
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
/* Polled: no interrupt controller is set up, so no SCI is taken. */
button:
	mov	$wait_msg, %esi
	mov	$pressed_msg, %edi
	jmp	wait_button
button_mid_line:
	mov	$prompt_msg, %esi
	mov	$mid_line_msg, %edi
/* Print %esi, wait for the power button, print %edi, power off. */
wait_button:
	mov	$PM1A_EN, %dx
	mov	$PWRBTN, %ax
	out	%ax, %dx
	call	puts
	mov	$PM1A_STS, %dx
1:	pause
	in	%dx, %ax
	test	$PWRBTN, %ax
	jz	1b
	out	%ax, %dx		/* write 1 to clear */
	mov	%edi, %esi
	call	puts
	jmp	poweroff
ignore_button:
	mov	$PM1A_EN, %dx
	mov	$PWRBTN, %ax
	out	%ax, %dx
	mov	$ignore_msg, %esi
	call	puts
	jmp	halt
escapes:
	mov	$esc_msg, %esi
	call	puts
	jmp	halt
flood:
	mov	$flood_msg, %esi
	call	puts
	jmp	flood
/* An IDT whose vector 2 is nmi_handler, then the ICR's self-NMI. */
self_nmi:
	mov	$nmi_handler, %eax
	mov	%ax, nmi_gate
	shr	$16, %eax
	mov	%ax, nmi_gate + 6
	mov	%cs, %ax
	mov	%ax, nmi_gate + 2
	movw	$GATE_INTR32, nmi_gate + 4
	lidt	nmi_idtr
	movl	$SVR_ENABLE, LAPIC_SVR
	movl	$ICR_SELF_NMI, LAPIC_ICR_LO
	jmp	halt			/* IF stays clear: an NMI comes anyway */
nmi_handler:
	mov	$nmi_msg, %esi
	call	puts
	mov	$0x2a, %eax
	out	%eax, $DEBUG_EXIT
	jmp	halt
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
wait_msg: .asciz "waiting for the power button\n"
pressed_msg: .asciz "power button pressed\n"
prompt_msg: .asciz "press the button> "
mid_line_msg: .asciz "pressed mid-line\n"
ignore_msg: .asciz "power button enabled and ignored\n"
/* Title, cursor report, device attributes, clipboard, ENQ, DECID. */
esc_msg: .ascii "\033]0;vmmon-title\007\033[6n\033[c\033[1mbold\033[0m"
	.ascii "\033]52;c;Zm9v\033\\\005\033Z"
/*
 * Ways around a naive filter (a helper's review): a second ESC, ESC [
 * ESC, C1 OSC in UTF-8 and raw, an overlong DSR, XTVERSION, and a SOS
 * left open before text that must still show.
 */
	.ascii "\033\033]52;c;Zm9v\007\033[\033]0;t2\007\302\2350;t3\007"
	.ascii "\2350;t4\007\033[00000000000000000000000000000000006n"
	.ascii "\033[>0q\033Xopen\033[1mafter\033[0m"
	.asciz " escapes done\n"
flood_msg: .asciz "flooding the console, flooding the console, flooding it\n"
nmi_msg: .asciz "nmi taken\n"
	.align 8
null_idt:
	.word 0
	.long 0
	.align 8
nmi_idt:
	.quad 0, 0		/* vectors 0 and 1 */
nmi_gate:
	.quad 0			/* vector 2, filled in by self_nmi */
nmi_idtr:
	.word 3 * 8 - 1
	.long nmi_idt

	.bss
	.align 16
	.space 4096
stack_top:
