// SPDX-License-Identifier: GPL-2.0
/* vmctl run: boot a kernel in a new VM, its console on this terminal. */
#define _GNU_SOURCE		/* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "boot/boot.h"
#include "ctl/exit_names.h"
#include "ctl/name.h"
#include "vm/vm.h"
#include "vmctl.h"

#define RUN_DEFAULT_MEM		(512ULL << 20)
#define RUN_MIN_MEM		(16ULL << 20)
#define RUN_DEBUG_EXIT_PORT	0xf4
#define RUN_DEBUG_EXIT_MAX	0x7f	/* larger values lose their top bit */
#define RUN_SHUTDOWN_TIMEOUT	30	/* seconds, as systemd's default stop */
#define RUN_SHUTDOWN_TIMEOUT_MAX 3600
#define RUN_DEFAULT_FIRMWARE	"SeaBIOS's\n                     /usr/share/seabios/bios-256k.bin, else bios.bin"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: vmctl run [OPTIONS] [DISK.IMG]\n"
		"\n"
		"Boot a kernel, or without --kernel the disk through the firmware\n"
		"(SeaBIOS), in a new VM.  The guest's serial console (COM1) is this\n"
		"terminal, raw while the guest runs: Ctrl-A x quits, Ctrl-A h helps.\n"
		"SIGTERM shuts the guest down through its power button, a guest reboot\n"
		"boots it again.\n"
		"DISK.IMG, if given, is the first virtio-blk disk (/dev/vda in Linux).\n"
		"\n"
		"Options:\n"
		"  --kernel FILE      a bzImage (Linux boot protocol 2.12+, 64-bit) or a\n"
		"                     multiboot (v1) ELF32 kernel, booted directly\n"
		"  --firmware FILE    the BIOS image that boots the disks when there is\n"
		"                     no --kernel; default %s\n"
		"  --firmware-log FILE  the firmware's log (its debug port, 0x402) to FILE\n"
		"  --initrd FILE      initial ramdisk (multiboot: module 0)\n"
		"  --append CMDLINE   kernel command line\n"
		"  -m, --memory SIZE  guest RAM, with suffix K, M or G (a bare number is\n"
		"                     MiB); default 512M, at least 16M, at most 64G\n"
		"  -c, --cpus N       vCPUs, 1 to %d; default 1\n"
		"  --disk FILE[,ro][,error=report|stop]\n"
		"                     one more virtio-blk disk (up to %d in all); ,ro makes\n"
		"                     it read-only; error=stop pauses the VM on a host I/O\n"
		"                     error (ENOSPC, EIO) until SIGCONT, error=report (the\n"
		"                     default) fails the request to the guest.  Either says\n"
		"                     it.  A disk in use by another vmctl or QEMU is refused.\n"
		"  --shutdown-timeout SECONDS  after SIGTERM or Ctrl-A s press the guest's\n"
		"                     ACPI power button and wait this long (default %d; 0:\n"
		"                     no button) before stopping it\n"
		"  --no-reboot        exit (status 3) when the guest resets, instead of\n"
		"                     booting it again\n"
		"  --debug-exit[=PORT] a port (default 0xf4) where a guest write of V ends\n"
		"                     vmctl with status (V << 1) | 1, as QEMU's isa-debug-exit\n"
		"  --test-irqs        ports 0x2000-0x2017, as QEMU's pc-testdev: a guest\n"
		"                     write of V to 0x2000 + N sets interrupt line N to V\n"
		"                     (for conformance tests of the PIC and I/O APIC)\n"
		"  --name NAME        the VM's name, for vmctl list, stat and top: 1 to 31\n"
		"                     of A-Z a-z 0-9 . _ -, not all digits, unique among\n"
		"                     your VMs\n"
		"  --share-group NAME share equal pages with your other VMs of this\n"
		"                     group (a name as above); without it a VM shares\n"
		"                     pages only within itself\n"
		"  --shares N         the VM's memory shares, 1 to 1048576 (default one\n"
		"                     per MiB of RAM), and\n"
		"  --reserve SIZE     the memory it always keeps, when the host has a\n"
		"                     memory budget (see vmctl mem --help); shares past\n"
		"                     the default and a reservation need CAP_SYS_ADMIN\n"
		"  --no-balloon       hide vmmon's CPUID leaves (0x40000000, 0x40000001)\n"
		"                     from the guest: its balloon driver finds no vmmon\n"
		"                     and vmctl balloon has no effect on it\n"
		"  --stats            print the VM's exits by reason to stderr at the end,\n"
		"                     with the local APICs' share of MMIO exits and the\n"
		"                     interrupts injected\n"
		"  -v, --verbose      say what was chosen (firmware, memory, vCPUs, disks)\n"
		"  -h, --help         this help\n"
		"\n"
		"Exit status:\n"
		"  0    the guest powered off (also after the power button)\n"
		"  1    setup failed, or vmmon stopped the guest (the reason is printed)\n"
		"  2    bad command line\n"
		"  3    the guest reset itself (reboot, triple fault) with --no-reboot\n"
		"  4    quit from the console (Ctrl-A x; Ctrl-A s the guest ignored)\n"
		"  6    the firmware found nothing to boot (SeaBIOS: No bootable device)\n"
		"  128+N  ended by signal N (130 for SIGINT, 143 for SIGTERM the guest\n"
		"       did not answer)\n"
		"  (V << 1) | 1  the guest wrote V to the --debug-exit port\n",
		RUN_DEFAULT_FIRMWARE, VM_MAX_VCPUS, VM_MAX_DISKS,
		RUN_SHUTDOWN_TIMEOUT);
}

/*
 * FILE[,ro][,error=report|stop], as QEMU writes -drive: a comma in FILE
 * is doubled.  The option's own string is cut to FILE in place.
 */
static int add_disk(struct vm_options *o, char *arg)
{
	char *in = arg, *out = arg, *opt, *next;
	unsigned int i = o->nr_disks;

	if (i == VM_MAX_DISKS) {
		vmctl_err("at most %d disks", VM_MAX_DISKS);
		return -1;
	}
	o->disks[i].read_only = false;
	o->disks[i].on_error = VM_DISK_ERROR_REPORT;
	for (; *in && !(in[0] == ',' && in[1] != ','); in++) {
		*out++ = *in;
		if (*in == ',')
			in++;
	}
	opt = *in ? in + 1 : NULL;
	*out = 0;
	for (; opt; opt = next) {
		next = strchr(opt, ',');
		if (next)
			*next++ = 0;
		if (!strcmp(opt, "ro")) {
			o->disks[i].read_only = true;
		} else if (!strcmp(opt, "error=report")) {
			o->disks[i].on_error = VM_DISK_ERROR_REPORT;
		} else if (!strcmp(opt, "error=stop")) {
			o->disks[i].on_error = VM_DISK_ERROR_STOP;
		} else {
			vmctl_err("disk %s: unknown option '%s' (FILE[,ro][,error=report|stop]; a comma in FILE is written ,,)",
				  arg, opt);
			return -1;
		}
	}
	if (!*arg) {
		vmctl_err("a disk needs a file name");
		return -1;
	}
	o->disks[o->nr_disks++].path = arg;
	return 0;
}

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_DISK, OPT_DEBUG_EXIT,
       OPT_STATS, OPT_SHUTDOWN_TIMEOUT, OPT_NO_REBOOT, OPT_TEST_IRQS,
       OPT_NAME, OPT_NO_BALLOON, OPT_FIRMWARE, OPT_FIRMWARE_LOG,
       OPT_SHARE_GROUP, OPT_SHARES, OPT_RESERVE };

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "firmware-log", required_argument, NULL, OPT_FIRMWARE_LOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "debug-exit", optional_argument, NULL, OPT_DEBUG_EXIT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "test-irqs", no_argument, NULL, OPT_TEST_IRQS },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "share-group", required_argument, NULL, OPT_SHARE_GROUP },
	{ "no-balloon", no_argument, NULL, OPT_NO_BALLOON },
	{ "shares", required_argument, NULL, OPT_SHARES },
	{ "reserve", required_argument, NULL, OPT_RESERVE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * The word of the option getopt_long() refused: a short option that is
 * not the last letter of its word (-smp) leaves optind on that word.
 */
static const char *bad_option_word(int argc, char **argv)
{
	if (optopt && optind < argc && argv[optind][0] == '-' &&
	    argv[optind][1] != '-' && strchr(argv[optind] + 1, optopt))
		return argv[optind];
	return argv[optind - 1];
}

/*
 * A kernel booted directly, or the firmware booting the disks: which
 * options go with which, and the default firmware.
 */
static int run_check_boot(struct vm_options *o)
{
	if (o->kernel && (o->firmware || o->firmware_log)) {
		vmctl_err("run: --kernel boots the kernel directly, without firmware: give --kernel, or --firmware and --firmware-log, not both");
		return -1;
	}
	if (o->kernel)
		return 0;
	if (o->initrd || o->append) {
		vmctl_err("run: --initrd and --append go with --kernel");
		return -1;
	}
	if (!o->firmware)
		o->firmware = boot_firmware_default();
	if (!o->firmware) {
		vmctl_err("run: no --kernel, and no firmware to boot the disk with: install Debian's seabios package, or give --firmware FILE or --kernel FILE");
		return -1;
	}
	if (!o->nr_disks)
		vmctl_err("run: no disk: the firmware will find nothing to boot");
	return 0;
}

/* 0, 1 for --help, or -1 after a message. */
static int parse_run_options(struct vm_options *o, int argc, char **argv)
{
	const char *owner;
	unsigned long n;
	char *end;
	int c;

	*o = (struct vm_options){ .mem_size = RUN_DEFAULT_MEM, .nr_vcpus = 1,
				  .debug_exit_port = -1,
				  .shutdown_timeout = RUN_SHUTDOWN_TIMEOUT };
	optind = 1;
	opterr = 0;
	/* Options and DISK.IMG in any order. */
	while ((c = getopt_long(argc, argv, "m:c:hv", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: o->kernel = optarg; break;
		case OPT_FIRMWARE: o->firmware = optarg; break;
		case OPT_FIRMWARE_LOG: o->firmware_log = optarg; break;
		case 'v': o->verbose = true; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case OPT_APPEND: o->append = optarg; break;
		case OPT_STATS: o->stats = true; break;
		case OPT_NO_REBOOT: o->no_reboot = true; break;
		case OPT_TEST_IRQS: o->test_irqs = true; break;
		case OPT_NO_BALLOON: o->no_balloon = true; break;
		case OPT_SHARES:
			if (vmctl_mem_parse_shares(optarg, &o->mem_shares))
				return -1;
			break;
		case OPT_RESERVE:
			if (vmctl_mem_parse_reserve(optarg, &o->mem_reserve))
				return -1;
			break;
		case OPT_NAME:
			if (!vmctl_name_valid(optarg)) {
				vmctl_err("bad VM name '%s': a name is " VMCTL_NAME_RULE,
					  optarg);
				return -1;
			}
			o->name = optarg;
			break;
		case OPT_SHARE_GROUP:
			if (!vmctl_name_valid(optarg)) {
				vmctl_err("bad sharing group '%s': a name is " VMCTL_NAME_RULE,
					  optarg);
				return -1;
			}
			o->share_group = optarg;
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    n > RUN_SHUTDOWN_TIMEOUT_MAX) {
				vmctl_err("bad shutdown timeout '%s' (0 to %d seconds)",
					  optarg, RUN_SHUTDOWN_TIMEOUT_MAX);
				return -1;
			}
			o->shutdown_timeout = n;
			break;
		case OPT_DISK:
			if (add_disk(o, optarg))
				return -1;
			break;
		case 'm':
			if (vmctl_parse_size(optarg, &o->mem_size)) {
				vmctl_err("bad memory size '%s' (examples: 512M, 2G)", optarg);
				return -1;
			}
			break;
		case 'c':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !n || n > VM_MAX_VCPUS) {
				vmctl_err("bad vCPU count '%s' (1 to %d)", optarg, VM_MAX_VCPUS);
				return -1;
			}
			o->nr_vcpus = n;
			break;
		case OPT_DEBUG_EXIT:
			o->debug_exit_port = RUN_DEBUG_EXIT_PORT;
			if (optarg) {
				errno = 0;
				n = strtoul(optarg, &end, 0);
				if (errno || *end || end == optarg || n > 0xfffc) {
					vmctl_err("bad debug-exit port '%s'", optarg);
					return -1;
				}
				o->debug_exit_port = n;
			}
			owner = vm_port_owner(o->debug_exit_port,
					      SYSCTL_DEBUG_EXIT_LEN);
			if (owner) {
				vmctl_err("debug-exit port %#x (%d ports) overlaps %s: pick a free port",
					  o->debug_exit_port,
					  SYSCTL_DEBUG_EXIT_LEN, owner);
				return -1;
			}
			break;
		case 'h':
			/*
			 * -h only as a word of its own: QEMU's -hda must not
			 * read as a request for help (and success).  getopt
			 * leaves optind on a word it has not finished.
			 */
			if (!strcmp(argv[optind - 1], "-h") ||
			    !strcmp(argv[optind - 1], "--help")) {
				run_usage(stdout);
				return 1;
			}
			vmctl_err("run: unknown or incomplete option '%s' (see vmctl run --help)",
				  argv[optind]);
			return -1;
		default:
			vmctl_err("run: unknown or incomplete option '%s' (see vmctl run --help)",
				  bad_option_word(argc, argv));
			return -1;
		}
	}
	if (optind < argc && add_disk(o, argv[optind++]))
		return -1;
	if (optind < argc) {
		vmctl_err("run: one DISK.IMG at most; more disks with --disk");
		return -1;
	}
	if (run_check_boot(o))
		return -1;
	if (o->mem_size < RUN_MIN_MEM || o->mem_size > VMMON_MAX_GUEST_MEMORY ||
	    o->mem_size & 0xfff) {
		vmctl_err("guest memory must be a whole number of 4 KiB pages from 16M to 64G, not %" PRIu64 " bytes",
			  o->mem_size);
		return -1;
	}
	return 0;
}

/*
 * Disk locks as QEMU takes them (block/file-posix.c), so that vmctl and
 * QEMU (or two vmctls) never write one image at once: OFD byte-range
 * locks, a shared lock on byte 101 by whoever writes the image and on
 * byte 201 by whoever does not let others write it (QEMU's default, and
 * vmctl's).  A conflict is tested first, as QEMU tests it.
 */
#define DISK_LOCK_WRITES	101	/* QEMU: RAW_LOCK_PERM_BASE + WRITE */
#define DISK_LOCK_NO_WRITERS	201	/* QEMU: RAW_LOCK_SHARED_BASE + WRITE */

static bool disk_byte_locked(int fd, off_t byte)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = byte, .l_len = 1 };

	return !fcntl(fd, F_OFD_GETLK, &lk) && lk.l_type != F_UNLCK;
}

static int disk_lock_byte(int fd, off_t byte)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = byte, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &lk);
}

static int disk_lock(const struct vm_disk *d)
{
	const char *why = NULL;

	if (disk_byte_locked(d->fd, DISK_LOCK_WRITES))
		why = "it writes the image";
	else if (!d->read_only &&
		 disk_byte_locked(d->fd, DISK_LOCK_NO_WRITERS))
		why = "it does not let others write the image";
	else if (disk_lock_byte(d->fd, DISK_LOCK_NO_WRITERS) ||
		 (!d->read_only && disk_lock_byte(d->fd, DISK_LOCK_WRITES)))
		why = strerror(errno);
	if (!why)
		return 0;
	vmctl_err("disk %s is in use by another vmctl or QEMU: %s",
		  d->path, why);
	return -1;
}

/* A disk given twice would be locked against itself: said as such. */
static int disk_given_before(struct vm *vm, const struct stat *st)
{
	struct stat other;
	unsigned int i;

	for (i = 0; i < vm->nr_disks; i++)
		if (!fstat(vm->disks[i].fd, &other) &&
		    other.st_dev == st->st_dev && other.st_ino == st->st_ino)
			return i;
	return -1;
}

/* Open and lock the disks before anything else. */
static int open_disks(struct vm *vm, const struct vm_options *o)
{
	struct stat st;
	unsigned int i;
	int fd, before;

	for (i = 0; i < o->nr_disks; i++) {
		struct vm_disk *d = &vm->disks[i];

		d->path = o->disks[i].path;
		d->read_only = o->disks[i].read_only;
		d->on_error = o->disks[i].on_error;
		fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0) {
			vmctl_err("cannot open disk %s: %s", d->path, strerror(errno));
			goto err;
		}
		before = fstat(fd, &st) ? -1 : disk_given_before(vm, &st);
		if (before >= 0) {
			vmctl_err("disk %s is given twice (as %s before)",
				  d->path, vm->disks[before].path);
			close(fd);
			goto err;
		}
		d->fd = fd;
		if (disk_lock(d)) {
			close(fd);
			goto err;
		}
		vm->nr_disks++;
	}
	return 0;
err:
	while (vm->nr_disks)
		close(vm->disks[--vm->nr_disks].fd);
	return -1;
}

/* --verbose: what vmctl chose, before the guest's console starts. */
static void run_say_choices(const struct vm_options *o)
{
	unsigned int i;

	if (o->kernel)
		vmctl_err("booting kernel %s directly", o->kernel);
	else
		vmctl_err("booting through firmware %s (%llu KiB)", o->firmware,
			  (unsigned long long)(o->firmware_size >> 10));
	vmctl_err("memory %llu MiB, %u vCPU%s", (unsigned long long)(o->mem_size >> 20),
		  o->nr_vcpus, o->nr_vcpus > 1 ? "s" : "");
	for (i = 0; i < o->nr_disks; i++)
		vmctl_err("disk %u: %s%s", i, o->disks[i].path,
			  o->disks[i].read_only ? " (read-only)" : "");
}

static void print_stats(struct vm *vm)
{
	struct vmmon_vm_stats st;
	uint64_t total = 0;
	unsigned int i;
	size_t len;
	char *text;
	FILE *f;

	if (ioctl(vm->vm_fd, VMMON_GET_VM_STATS, &st)) {
		vmctl_err("cannot read the VM's statistics: %s", strerror(errno));
		return;
	}
	/* One piece for stderr, which the console may hold (vm/console.c). */
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "vmctl: exits");
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++) {
		total += st.exits.count[i];
		if (vmctl_exit_names[i])
			fprintf(f, " %s=%llu", vmctl_exit_names[i],
				(unsigned long long)st.exits.count[i]);
	}
	fprintf(f, " total=%" PRIu64 " pages=%llu unclaimed_io=%" PRIu64
		" lapic_mmio=%" PRIu64 " lapic_msr=%" PRIu64
		" lapic_eoi=%" PRIu64 " lapic_icr=%" PRIu64
		" lapic_timer=%" PRIu64 " eoi_irr=%" PRIu64
		" timer_fired=%" PRIu64
		" injected=%" PRIu64
		" reboots=%u\n",
		total, (unsigned long long)st.pages_resident, vm->unclaimed_io,
		vm->lapic_exits, vm->lapic_msr_exits, vm->lapic_eoi,
		vm->lapic_icr, vm->lapic_timer, vm->eoi_exits,
		vm->timer_exits,
		vm->injected,
		vm->reboots);
	for (i = 0; i < vm->nr_disks; i++)
		fprintf(f, "vmctl: disk %s requests=%" PRIu64
			" host_errors=%" PRIu64 " max_batch=%u\n",
			vm->disks[i].path, vm->disks[i].blk.requests,
			vm->disks[i].blk.host_errors,
			vm->disks[i].blk.max_batch);
	if (!fclose(f))
		vmctl_err_write(text, len);
	free(text);
}

static int end_status(const struct vm *vm)
{
	switch (vm->end) {
	case VM_END_SIGNAL:
		return VM_END_SIGNAL + vm->end_detail;
	case VM_END_DEBUG_EXIT:
		return ((vm->end_detail << 1) | 1) & 0xff;
	case VM_END_NONE:
		return VM_END_ERROR;
	default:
		return vm->end;
	}
}

/*
 * The signals the event loop reads from a signalfd, blocked in every
 * thread (they are blocked before any is made).  SIGCONT still resumes a
 * stopped process; it is only read here as "resume the paused VM".
 */
static int run_signals(void)
{
	sigset_t set;
	int fd;

	/*
	 * A closed stdout (vmctl run ... | head) and a disk write past
	 * RLIMIT_FSIZE are errors of one write (EPIPE, EFBIG: output dropped,
	 * the guest told of a failed write), not the end of vmctl with the
	 * terminal left raw.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCONT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		vmctl_err("cannot read signals: %s", strerror(errno));
	return fd;
}

/*
 * One power-on of the machine, until it ends.  Returns false when it
 * must not be torn down (a disk stuck in its image file).
 */
static bool run_machine(struct vm *vm, const struct vm_options *o,
			const struct boot_image *img, const char *device,
			int signal_fd)
{
	bool clean;

	vm->end = VM_END_NONE;		/* a setup failure is an error */
	if (vm_create(vm, o, device))
		return true;
	if (vm_devices_init(vm))
		goto out_devices;
	vm_console_attach(vm);
	if (boot_load(vm, img) || vm_devices_start(vm)) {
		vm_devices_stop(vm);
		goto out_devices;
	}
	if (!vm_vcpus_start(vm))
		vm_loop_run(vm, signal_fd);
	/* Devices first: a vCPU may wait for a disk's request in a reset. */
	clean = vm_devices_stop(vm);
	vm_vcpus_join(vm);
	/* The last machine: no reboot follows, or a stop won over the reset. */
	if (o->stats && (vm->end != VM_END_RESET || o->no_reboot ||
			 vm->shutdown_pending))
		print_stats(vm);
	if (!clean)
		return false;
out_devices:
	vm_devices_exit(vm);
	vm_destroy(vm);
	return true;
}

/*
 * What a reboot keeps: the open, locked disks and the figures; the rest
 * of the machine is new, as at power-on.
 */
static void run_prepare_reboot(struct vm *vm)
{
	struct vm_disk disks[VM_MAX_DISKS];
	unsigned int nr_disks = vm->nr_disks, reboots = vm->reboots, i;

	for (i = 0; i < nr_disks; i++)
		disks[i] = (struct vm_disk){
			.path = vm->disks[i].path,
			.read_only = vm->disks[i].read_only,
			.on_error = vm->disks[i].on_error,
			.fd = vm->disks[i].fd,
			.errnos_said = vm->disks[i].errnos_said,
		};
	memset(vm, 0, sizeof(*vm));
	for (i = 0; i < nr_disks; i++)
		vm->disks[i] = disks[i];
	vm->nr_disks = nr_disks;
	vm->reboots = reboots + 1;
}

static int run_run(const char *device, int argc, char **argv)
{
	static struct vm vm;
	struct boot_image img;
	struct vm_options o;
	int status = VM_END_ERROR, r, signal_fd;
	bool clean;

	r = parse_run_options(&o, argc, argv);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (o.kernel ? boot_probe(&img, o.kernel) :
		       boot_firmware_probe(&img, o.firmware))
		return VMCTL_EXIT_ERROR;
	if (!o.kernel)
		o.firmware_size = img.size;
	if (o.verbose)
		run_say_choices(&o);
	if (o.initrd && boot_check_file(o.initrd, "initrd"))
		goto out_img;
	if (open_disks(&vm, &o))
		goto out_img;
	signal_fd = run_signals();
	if (signal_fd < 0 || vm_console_start())
		goto out_disks;
	for (;;) {
		clean = run_machine(&vm, &o, &img, device, signal_fd);
		/* A reset while the power button waits: the shutdown wins. */
		if (vm.end == VM_END_RESET && vm.shutdown_pending) {
			vm.end = vm.shutdown_end;
			vm.end_detail = vm.shutdown_detail;
		}
		status = end_status(&vm);
		if (!clean || vm.end != VM_END_RESET || o.no_reboot)
			break;
		run_prepare_reboot(&vm);
	}
	/* isa-debug-exit's statuses can read as vmctl's own, or wrap. */
	if (vm.end == VM_END_DEBUG_EXIT &&
	    (vm.end_detail <= 1 || vm.end_detail > RUN_DEBUG_EXIT_MAX))
		vmctl_err("the guest wrote %#x to the debug-exit port: exit status %d is (V << 1) | 1 in 8 bits",
			  (unsigned int)vm.end_detail, status);
	vm_console_stop();
out_disks:
	while (vm.nr_disks)
		close(vm.disks[--vm.nr_disks].fd);
out_img:
	boot_image_free(&img);
	return status;
}

const struct vmctl_cmd vmctl_cmd_run = {
	.name = "run",
	.summary = "boot a kernel in a new VM (vmctl run --help)",
	.run = run_run,
};
