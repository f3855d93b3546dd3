#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl's command line and its error messages, natively (no module):
# each case runs vmctl and checks the exit status and one line of output.
# usage: vmctl_cli_test.sh PATH-TO-VMCTL
vmctl=$1
n=0 pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS PATTERN -- ARGS...: exit STATUS, output matches PATTERN
# (with $as before vmctl's path, when set: another user, other limits)
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	n=$((n + 1))
	$as "$vmctl" "$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$tmp/out"; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		sed 's/^/# /' "$tmp/out"
		echo "# exit status $got, expected $want; expected output matching: $pattern"
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

# expect_family_missing NAME STATUS PATTERN -- ARGS...: as expect, where
# vmmon's netlink family is absent; a skip where it is loaded.
expect_family_missing() {
	if [ -d /sys/module/vmmon ]; then
		n=$((n + 1))
		echo "ok $n $1 # SKIP vmmon is loaded here"
		pass=$((pass + 1))
		return
	fi
	expect "$@"
}

echo "TAP version 13"
# Files for vmctl run's checks, which come before the device is opened.
printf 'not a kernel' >"$tmp/junk"
head -c 4096 /dev/zero >"$tmp/disk.img"
# A bzImage header claiming boot protocol 2.02 (no 64-bit entry point).
head -c 8192 /dev/zero >"$tmp/old.bzImage"
printf '\001' | dd of="$tmp/old.bzImage" bs=1 seek=$((0x1f1)) conv=notrunc 2>/dev/null
printf '\125\252\353\146HdrS\002\002' | dd of="$tmp/old.bzImage" bs=1 seek=$((0x1fe)) conv=notrunc 2>/dev/null
mb=${MULTIBOOT_KERNEL:-}
echo "1..116"
# Firmware images: 64 KiB (good), 68 KiB, 16 MiB + 64 KiB.
head -c 65536 /dev/zero >"$tmp/bios.bin"
head -c 69632 /dev/zero >"$tmp/odd.bin"
truncate -s $((16 * 1048576 + 65536)) "$tmp/big.bin"
# put FILE OFFSET BYTES: BYTES (printf escapes) into FILE at OFFSET.
put() {
	printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc 2>/dev/null
}
# A boot protocol 2.15 header with a 64-bit entry point, 1 setup sector
# and 7 KiB of kernel after it; then two ways to be malformed.
head -c 8192 /dev/zero >"$tmp/new.bzImage"
put "$tmp/new.bzImage" 0x1f1 '\001'
put "$tmp/new.bzImage" 0x1fe '\125\252\353\146HdrS\017\002'
put "$tmp/new.bzImage" 0x236 '\001'
cp "$tmp/new.bzImage" "$tmp/cut.bzImage"
put "$tmp/cut.bzImage" 0x1f4 '\000\000\001\000'	# syssize: 1 MiB
cp "$tmp/new.bzImage" "$tmp/wrap.bzImage"
put "$tmp/wrap.bzImage" 0x234 '\001'			# relocatable
put "$tmp/wrap.bzImage" 0x258 '\000\000\377\377\377\377\377\377'
put "$tmp/wrap.bzImage" 0x260 '\000\000\020\000'	# init_size 1 MiB

expect help 0 "^  check " -- --help
expect version 0 "^vmctl [0-9]" -- --version
expect no_command 2 "^usage: vmctl" --
expect unknown_command 2 "unknown command 'frob'" -- frob
expect device_needs_path 2 "needs a path" -- --device
expect no_module 1 "is the vmmon module loaded" -- --device "$tmp/none" info
expect not_vmmon 1 "/dev/null is not a vmmon device" -- --device /dev/null info
expect check_not_vmmon 1 "is not a vmmon device" -- --device /dev/null check
expect info_extra_args 2 "info takes no arguments" -- info extra
expect run_help 0 "^usage: vmctl run" -- run --help
expect run_help_status 0 "128+N" -- run --help
# Without --kernel the disk boots through the firmware.
expect run_firmware_missing 1 "cannot open firmware $tmp/none" -- run --firmware "$tmp/none" "$tmp/disk.img"
expect run_firmware_bad_size 1 "firmware $tmp/junk is 12 bytes: a BIOS image is a whole number of 64 KiB from 64 KiB to 16 MiB" -- run --firmware "$tmp/junk" "$tmp/disk.img"
expect run_firmware_odd_size 1 "is 69632 bytes: a BIOS image is a whole number of 64 KiB" -- run --firmware "$tmp/odd.bin" "$tmp/disk.img"
expect run_firmware_too_big 1 "is 16842752 bytes: a BIOS image" -- run --firmware "$tmp/big.bin" "$tmp/disk.img"
expect run_firmware_and_kernel 2 "give --kernel, or --firmware and --firmware-log, not both" -- run --firmware "$tmp/bios.bin" --kernel "$tmp/junk"
expect run_firmware_log_and_kernel 2 "give --kernel, or --firmware and --firmware-log, not both" -- run --firmware-log "$tmp/log" --kernel "$tmp/junk"
expect run_initrd_needs_kernel 2 "--initrd and --append go with --kernel" -- run --firmware "$tmp/bios.bin" --append quiet "$tmp/disk.img"
expect run_firmware_verbose 1 "booting through firmware $tmp/bios.bin (64 KiB)" -- --device "$tmp/none" run -v --firmware "$tmp/bios.bin" "$tmp/disk.img"
expect run_firmware_no_module 1 "is the vmmon module loaded" -- --device "$tmp/none" run --firmware "$tmp/bios.bin" "$tmp/disk.img"
expect run_debug_exit_on_fwlog 2 "overlaps the firmware's debug port" -- run --debug-exit=0x400 --kernel "$tmp/junk"
expect run_bad_option 2 "unknown or incomplete option '--frob'" -- run --frob
expect run_bad_memory 2 "bad memory size '12X'" -- run -m 12X --kernel "$tmp/junk"
expect run_too_much_memory 2 "from 16M to 64G" -- run -m 65G --kernel "$tmp/junk"
expect run_too_little_memory 2 "from 16M to 64G" -- run -m 8M --kernel "$tmp/junk"
expect run_bad_cpus 2 "bad vCPU count '0'" -- run -c 0 --kernel "$tmp/junk"
expect run_missing_kernel 1 "cannot open kernel $tmp/none" -- run --kernel "$tmp/none"
expect run_not_a_kernel 1 "neither a bzImage nor a multiboot kernel" -- run --kernel "$tmp/junk"
expect run_old_bzimage 1 "boot protocol 2.02 without a 64-bit entry point" -- run --kernel "$tmp/old.bzImage"
expect run_truncated_bzimage 1 "truncated bzImage: its header says 1048576 bytes of kernel after the setup, the file holds 7168" -- run --kernel "$tmp/cut.bzImage"
expect run_wrapping_bzimage 1 "pref_address 0xffffffffffff0000 plus init_size 0x100000 wraps around" -- run --kernel "$tmp/wrap.bzImage"
expect run_qemu_hda 2 "unknown or incomplete option '-hda'" -- run --kernel "$tmp/junk" -hda "$tmp/disk.img"
expect run_smp_named 2 "unknown or incomplete option '-smp'" -- run --kernel "$tmp/junk" -smp 2
expect run_disk_first 1 "is the vmmon module loaded" -- --device "$tmp/none" run "$tmp/disk.img" --kernel "$mb"
expect run_missing_initrd 1 "cannot open initrd $tmp/none" -- run --kernel "$mb" --initrd "$tmp/none"
expect run_missing_disk 1 "cannot open disk $tmp/none" -- run --kernel "$mb" "$tmp/none"
expect run_no_module 1 "is the vmmon module loaded" -- --device "$tmp/none" run --kernel "$mb" "$tmp/disk.img"
# Guest RAM is locked memory: without CAP_IPC_LOCK (user nobody), 64 MiB
# does not fit an 8 MiB RLIMIT_MEMLOCK, said before /dev/vmmon is opened.
as="setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --memlock=8388608"
expect run_over_memlock 1 "RLIMIT_MEMLOCK allows 8 MiB" -- --device "$tmp/none" run -m 64M --kernel "$mb"
as=
# A disk that a QEMU writing it holds: OFD read locks on bytes 101 and
# 201, as QEMU takes them (perl, which every Debian has, makes the
# fcntl(F_OFD_SETLK = 37) calls); vmctl refuses it, read-only too.
perl -e '
	open(my $f, "+<", $ARGV[0]) or die "open: $!";
	for my $byte (101, 201) {
		fcntl($f, 37, pack("s s x4 q q l x4", 0, 0, $byte, 1, 0))
			or die "lock: $!";
	}
	open(my $r, ">", $ARGV[1]) and close($r);
	sleep 30;' "$tmp/disk.img" "$tmp/locked" &
holder=$!
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
expect run_disk_locked_by_qemu 1 "disk $tmp/disk.img is in use by another vmctl or QEMU: it writes the image" -- --device "$tmp/none" run --kernel "$mb" "$tmp/disk.img"
expect run_disk_ro_locked_by_qemu 1 "in use by another vmctl or QEMU: it writes the image" -- --device "$tmp/none" run --kernel "$mb" --disk "$tmp/disk.img,ro"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
expect run_disk_given_twice 1 "disk $tmp/disk.img is given twice" -- --device "$tmp/none" run --kernel "$mb" --disk "$tmp/disk.img" --disk "$tmp/disk.img"
expect run_disk_option_unknown 2 "disk $tmp/disk.img: unknown option 'werror=stop'" -- --device "$tmp/none" run --kernel "$mb" --disk "$tmp/disk.img,werror=stop"
expect run_disk_comma_doubled 1 "cannot open disk $tmp/a,b.img" -- --device "$tmp/none" run --kernel "$mb" --disk "$tmp/a,,b.img,ro"
expect run_disk_error_stop_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --kernel "$mb" --disk "$tmp/disk.img,error=stop,ro"
expect run_shutdown_timeout_bad 2 "bad shutdown timeout '-1'" -- --device "$tmp/none" run --kernel "$mb" --shutdown-timeout -1
expect run_no_reboot_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --kernel "$mb" --no-reboot --shutdown-timeout 5
expect run_debug_exit_on_pci_ports 2 "debug-exit port 0xcf8 (4 ports) overlaps the PCI configuration ports" -- --device "$tmp/none" run --kernel "$mb" --debug-exit=0xcf8
expect run_debug_exit_on_com1 2 "overlaps COM1" -- --device "$tmp/none" run --kernel "$mb" --debug-exit=0x3f6
expect run_debug_exit_on_test_irqs 2 "overlaps the test interrupt lines (--test-irqs)" -- --device "$tmp/none" run --kernel "$mb" --debug-exit=0x2010
expect run_test_irqs_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --kernel "$mb" --test-irqs
expect run_initrd_pipe 1 "initrd /dev/stdin is not a regular file (a pipe" -- --device "$tmp/none" run --kernel "$mb" --initrd /dev/stdin
expect run_kernel_dir 1 "kernel $tmp is not a regular file" -- --device "$tmp/none" run --kernel "$tmp"
# The control commands (issue 12): usage errors before any netlink, and
# without the module's netlink family (not loaded here) one clear line.
expect list_help 0 "^usage: vmctl list \[--json\]" -- list --help
expect list_extra_args 2 "list takes no arguments" -- list extra
expect list_bad_option 2 "list: unknown option '--frob'" -- list --frob
expect_family_missing list_no_family 1 "^vmctl: the vmmon module has no netlink family 'vmmon' (not loaded, or older than this vmctl)$" -- list
expect_family_missing list_json_no_family 1 "no netlink family 'vmmon'" -- list --json
expect stat_needs_vm 2 "stat needs one VM, by id or name" -- stat
expect stat_two_vms 2 "stat needs one VM" -- stat a b
expect stat_bad_ref 2 "'' is neither a VM id nor a VM name" -- stat ""
expect stat_id_too_big 2 "'4294967296' is neither a VM id" -- stat 4294967296
expect stat_name_too_long 2 "is neither a VM id nor a VM name (1 to 31 characters" -- stat abcdefghijabcdefghijabcdefghijab
expect stat_name_bad_char 2 "'a/b' is neither a VM id nor a VM name" -- stat a/b
expect_family_missing stat_no_family 1 "no netlink family 'vmmon'" -- stat t1
expect top_interval_zero 2 "bad interval '0' (seconds, more than 0, at most 3600)" -- top --interval 0
expect top_interval_junk 2 "bad interval '1s'" -- top --interval 1s
expect top_interval_negative 2 "bad interval '-1'" -- top --interval -1
expect top_iterations_zero 2 "bad iteration count '0'" -- top --iterations 0
expect top_extra_args 2 "top takes no arguments" -- top now
expect_family_missing top_no_family 1 "no netlink family 'vmmon'" -- top --iterations 1 --interval 0.1
expect events_count_zero 2 "bad event count '0'" -- events --count 0
expect events_bad_option 2 "events: unknown or incomplete option '--frob'" -- events --frob
expect_family_missing events_no_family 1 "no netlink family 'vmmon'" -- events --count 1
expect rename_needs_two 2 "rename needs a VM and its new name" -- rename t1
expect rename_bad_new_name 2 "bad VM name '123': a name is 1 to 31" -- rename t1 123
expect rename_no_json 2 "rename: unknown option '--json'" -- rename --json t1 t2
expect_family_missing rename_no_family 1 "no netlink family 'vmmon'" -- rename t1 t2
expect run_name_all_digits 2 "bad VM name '123': a name is 1 to 31 characters" -- run --name 123 --kernel "$tmp/junk"
expect run_name_bad_char 2 "bad VM name 'a/b'" -- run --name a/b --kernel "$tmp/junk"
expect run_name_too_long 2 "bad VM name" -- run --name abcdefghijabcdefghijabcdefghijab --kernel "$tmp/junk"
expect run_name_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --name t1 --kernel "$mb"
expect run_share_group_bad_char 2 "bad sharing group 'a/b': a name is 1 to 31" -- run --share-group a/b --kernel "$mb"
expect run_share_group_too_long 2 "bad sharing group" -- run --share-group abcdefghijabcdefghijabcdefghijab --kernel "$mb"
expect run_share_group_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --share-group g1 --kernel "$mb"
expect help_lists_control 0 "^  events " -- --help
# balloon (issue 13): SIZE as run -m takes it, whole pages, before any netlink.
expect balloon_help 0 "^usage: vmctl balloon VM SIZE" -- balloon --help
expect balloon_needs_two 2 "balloon needs a VM and a size" -- balloon t1
expect balloon_three_words 2 "balloon needs a VM and a size" -- balloon t1 1G 2G
expect balloon_bad_size 2 "bad balloon size '12X' (examples: 0, 128M, 1G)" -- balloon t1 12X
expect balloon_negative_size 2 "bad balloon size '-1'" -- balloon -- t1 -1
expect balloon_size_overflows 2 "bad balloon size '17179869184G'" -- balloon t1 17179869184G
expect balloon_not_whole_pages 2 "1025024 bytes is not a multiple of 4096" -- balloon t1 1001K
expect balloon_bad_ref 2 "'a/b' is neither a VM id nor a VM name" -- balloon a/b 1G
expect balloon_no_json 2 "balloon: unknown option '--json'" -- balloon --json t1 1G
expect_family_missing balloon_no_family 1 "no netlink family 'vmmon'" -- balloon t1 128M
expect run_no_balloon_accepted 1 "is the vmmon module loaded" -- --device "$tmp/none" run --kernel "$mb" --no-balloon
# mem (issue 16): shares and a reservation, checked before any netlink.
expect mem_help 0 "^usage: vmctl mem VM" -- mem --help
expect mem_needs_a_setting 2 "mem needs a VM and --shares or --reserve" -- mem t1
expect mem_needs_a_vm 2 "mem needs a VM and --shares or --reserve" -- mem --shares 5
expect mem_zero_shares 2 "bad shares '0' (1 to 1048576)" -- mem t1 --shares 0
expect mem_too_many_shares 2 "bad shares '1048577'" -- mem t1 --shares 1048577
expect mem_shares_not_a_number 2 "bad shares '5x'" -- mem t1 --shares 5x
expect mem_reserve_not_whole_pages 2 "bad reservation '1001K'" -- mem t1 --reserve 1001K
expect mem_bad_ref 2 "'a/b' is neither a VM id nor a VM name" -- mem a/b --shares 5
expect mem_unknown_option 2 "mem: unknown option '--json'" -- mem --json t1 --shares 5
expect_family_missing mem_no_family 1 "no netlink family 'vmmon'" -- mem t1 --shares 5 --reserve 64M
# ksm (issue 15): page sharing's scan rate, checked before any netlink.
expect ksm_help 0 "^usage: vmctl ksm \[--pages N\] \[--sleep MS\]" -- ksm --help
expect ksm_too_many_pages 2 "bad pages per pass '65537' (0 to 65536)" -- ksm --pages 65537
expect ksm_pages_not_a_number 2 "bad pages per pass '5x'" -- ksm --pages 5x
expect ksm_negative_pages 2 "bad pages per pass '-1'" -- ksm --pages -1
expect ksm_zero_sleep 2 "bad pause '0' (1 to 60000)" -- ksm --sleep 0
expect ksm_long_sleep 2 "bad pause '60001' (1 to 60000)" -- ksm --sleep 60001
expect ksm_argument 2 "ksm takes no argument 'vm1'" -- ksm vm1
expect_family_missing ksm_no_family 1 "no netlink family 'vmmon'" -- ksm --pages 0 --sleep 5
expect run_bad_shares 2 "bad shares '0'" -- run --kernel "$mb" --shares 0
expect run_bad_reserve 2 "bad reservation '12X'" -- run --kernel "$mb" --reserve 12X
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
