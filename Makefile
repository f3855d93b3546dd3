# SPDX-License-Identifier: GPL-2.0
#
# make            the module (against KDIR), vmctl and the test programs
# make check      every test: builds against Debian's 6.1 and 6.12 headers
#                 with W=1 and sparse, native unit tests, then the module
#                 in emulated PCs (QEMU without VT-x, Bochs with VT-x)
# make demo       boot the emulated VT-x PC and show vmmon working
# make check-host on a real VT-x host, as root: the same module tests
# make install    module, vmctl, udev rule and group (as root); AUTOLOAD=1
#                 also loads vmmon at boot (modules-load.d)
# make dkms-install  the module through DKMS instead, rebuilt for every
#                 new kernel (as root)
# make sign       sign vmmon.ko for Secure Boot with a MOK key
# make deb        Debian packages vmmon-dkms and vmctl in build/deb/

KDIR ?= /lib/modules/$(shell uname -r)/build
O ?= build/user
CC ?= gcc
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Iinclude -Itests/lib \
	-I$(KSFT_DIR) -Iuser/vmctl
ifeq ($(STATIC),1)
override LDFLAGS += -static
endif
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all
# vmctl's control channel (libnl-genl) and --json (json-c): flags from
# pkg-config, --static for STATIC=1 (their own dependencies, -lpthread).
VMCTL_PKGS := libnl-genl-3.0 json-c
VMCTL_CFLAGS := $(shell pkg-config --cflags $(VMCTL_PKGS))
VMCTL_LIBS := $(shell pkg-config $(if $(filter 1,$(STATIC)),--static) \
	      --libs $(VMCTL_PKGS))
# A static link warns that libnl-3.a's address helpers name glibc's
# getaddrinfo() and getprotobyname() (NSS); vmctl never calls them.
# Those lines are dropped, any other message of the link is shown.
VMCTL_LOG_FILTER := grep -v -e 'in statically linked applications requires at runtime' \
	-e 'libnl_3_la-[a-z]*\.o): in function'

# The kernel's kselftest harness, from Debian's linux-source package.
KSFT_DIR := build/kselftest
KSFT := $(KSFT_DIR)/kselftest_harness.h

VMCTL_SRCS := $(wildcard user/vmctl/*.c user/vmctl/*/*.c)
# Device models: plain C, unit-tested natively (tests/unit/dev_*_test.c).
# vmmon.c for vmctl_err(), which the models that refuse input call.
DEV_SRCS := $(wildcard $(addprefix user/vmctl/,machine/*.c hw/*.c pci/*.c \
	    virtio/*.c)) user/vmctl/vmmon.c
DEV_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/dev_*_test.c))
TEST_LIB := tests/lib/vmmon_util.c tests/lib/vmmon_guest.c \
	    tests/lib/vmmon_guest_code.c
MODULE_TESTS := vmmon_load_test vmmon_dev_test vmmon_mem_test vmmon_vcpu_test vmmon_run_test \
		vmmon_bench_test vmmon_modes_test vmmon_exits_test \
		vmmon_long_test vmmon_cpu_test vmmon_vmm32_test vmctl_console_test \
		vmmon_genl_test vmmon_balloon_test vmmon_memsched_test vmmon_ksm_test vmmon_task_test

.PHONY: all module userspace unit unit-suites check check-host demo sparse install \
	install-files dkms-install dkms-uninstall sign deb \
	clean FORCE

all: module userspace

module:
	@test -d "$(KDIR)" || { echo "make: no kernel build tree at $(KDIR): install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace: $(O)/vmctl $(addprefix $(O)/,$(MODULE_TESTS)) \
	   $(O)/multiboot_hello.elf $(O)/apic_guest.elf $(O)/vmctl_run_test \
	   $(O)/vmctl_boot_test $(O)/vmctl_ctl_test $(O)/vmctl_balloon_test \
	   $(O)/vmctl_memsched_test $(O)/vmctl_firmware_test

# Suites written in shell: installed beside the C ones.
$(O)/vmctl_%_test: tests/vmctl_%_test.sh
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(O)/vmctl: $(VMCTL_SRCS) user/vmctl/*.h user/vmctl/*/*.h include/uapi/vmmon.h \
		include/uapi/vmmon_genl.h include/uapi/vmmon_balloon.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(VMCTL_CFLAGS) -DVMCTL_VERSION='"$(VERSION)"' \
		$(LDFLAGS) -o $@ $(VMCTL_SRCS) $(VMCTL_LIBS) -lpthread 2>$@.log || \
		{ cat $@.log >&2; rm -f $@.log; exit 1; }
	@$(VMCTL_LOG_FILTER) $@.log >&2 || true; rm -f $@.log

# vmctl_ctl's, vmctl_balloon's and vmctl_firmware's helpers, beside them in the rig
# (scripts/stage-payload.sh copies *_helper): JSON checks with json-c,
# a command as another uid, a string in a disk image's bytes.
$(O)/vmctl_ctl_test: $(O)/json_check_helper $(O)/as_uid_helper
$(O)/vmctl_balloon_test: $(O)/json_check_helper
$(O)/vmctl_memsched_test: $(O)/json_check_helper
$(O)/vmctl_firmware_test: $(O)/json_check_helper $(O)/find_bytes_helper

$(O)/json_check_helper: tests/vmctl/json_check.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VMCTL_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(shell pkg-config $(if $(filter 1,$(STATIC)),--static) --libs json-c)

$(O)/as_uid_helper: tests/vmctl/as_uid.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(O)/find_bytes_helper: tests/vmctl/find_bytes.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# A multiboot test kernel for vmctl run (32-bit, linked at 1 MiB).
$(O)/multiboot_hello.elf: tests/vmctl/multiboot_hello.S
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $(@:.elf=.o) $<
	$(LD) -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none \
		--no-warn-rwx-segments -o $@ $(@:.elf=.o)

# The APIC conformance guest for vmctl run --test-irqs (C, freestanding).
$(O)/apic_guest.elf: tests/vmctl/apic_guest.c
	@mkdir -p $(@D)
	$(CC) -m32 -O2 -ffreestanding -fno-pic -fno-stack-protector \
		-fno-toplevel-reorder -fno-asynchronous-unwind-tables -mgeneral-regs-only -Wall -Wextra \
		-c -o $(@:.elf=.o) $<
	$(LD) -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none \
		--no-warn-rwx-segments -o $@ $(@:.elf=.o)

$(KSFT): scripts/kselftest-fetch.sh
	scripts/kselftest-fetch.sh $(KSFT_DIR)

# A 32-bit VMM: the compat ioctl path and a 32-bit process's segments.
$(O)/vmmon_vmm32_test: tests/vmmon_vmm32_test.c tests/lib/vmmon_util.c \
		tests/lib/*.h include/uapi/vmmon.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) -m32 $(CFLAGS) $(LDFLAGS) -o $@ $< tests/lib/vmmon_util.c -lpthread

# vmmon's netlink family, spoken raw (tests/lib/vmmon_genl_util.h).
$(O)/vmmon_genl_test: tests/vmmon_genl_test.c tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) tests/lib/*.h include/uapi/*.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) -lpthread

$(O)/%_test: tests/%_test.c $(TEST_LIB) tests/lib/*.h include/uapi/vmmon.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB) -lpthread

# The balloon channel, with GET_VM and SET_VM over raw netlink.
$(O)/vmmon_balloon_test: tests/vmmon_balloon_test.c tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) tests/lib/*.h include/uapi/*.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) -lpthread

# Page sharing, its figures over raw netlink.
$(O)/vmmon_ksm_test: tests/vmmon_ksm_test.c tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) tests/lib/*.h include/uapi/*.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) -lpthread

# The memory policy, with GET_VM, GET_MODULE and SET_* over raw netlink.
$(O)/vmmon_memsched_test: tests/vmmon_memsched_test.c tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) tests/lib/*.h include/uapi/*.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/lib/vmmon_genl_util.c \
		$(TEST_LIB) -lpthread

# Module logic compiled natively, with sanitizers, against tests/unit/shim.
build/unit/vmx_caps_test: tests/unit/vmx_caps_test.c kmod/vmx/vmx_caps.c \
		kmod/vmx/*.h tests/lib/vmmon_harness.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Itests/unit/shim -Ikmod/vmx -o $@ \
		$< kmod/vmx/vmx_caps.c

build/unit/x86_decode_test: tests/unit/x86_decode_test.c kmod/x86/x86_decode.c \
		kmod/x86/x86_alu.c kmod/x86/x86_decode.h kmod/x86/x86_alu.h \
		tests/lib/vmmon_harness.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Itests/unit/shim -Ikmod/x86 -o $@ \
		$< kmod/x86/x86_decode.c kmod/x86/x86_alu.c

build/unit/x86_walk_test: tests/unit/x86_walk_test.c kmod/x86/x86_walk.c \
		kmod/x86/x86_walk.h tests/unit/shim/asm/*.h tests/lib/vmmon_harness.h \
		$(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Itests/unit/shim -Ikmod/x86 -o $@ \
		$< kmod/x86/x86_walk.c

build/unit/memsched_policy_test: tests/unit/memsched_policy_test.c \
		kmod/memsched/memsched_policy.c kmod/memsched/memsched_policy.h \
		tests/lib/vmmon_harness.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Itests/unit/shim -Ikmod/memsched -o $@ \
		$< kmod/memsched/memsched_policy.c

build/unit/vmctl: $(VMCTL_SRCS) user/vmctl/*.h user/vmctl/*/*.h include/uapi/vmmon.h \
		include/uapi/vmmon_genl.h include/uapi/vmmon_balloon.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VMCTL_CFLAGS) -DVMCTL_VERSION='"$(VERSION)"' $(SANITIZE) \
		-o $@ $(VMCTL_SRCS) $(VMCTL_LIBS) -lpthread

# vm/*.c and boot/*.c too: dev_vcpu_test includes vm/board.c, vm/vcpu.c
# and vm/msr.c, dev_fwlog_test vm/fwlog.c, dev_acpi_loader_test boot/acpi.c.
build/unit/dev_%_test: tests/unit/dev_%_test.c $(DEV_SRCS) user/vmctl/*.h user/vmctl/*/*.h \
		user/vmctl/vm/*.c user/vmctl/boot/*.c tests/lib/vmmon_harness.h $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANITIZE) -Iuser/vmctl -o $@ $< $(DEV_SRCS)

# Native suites, each between the markers scripts/ktap-check.sh reads;
# `make unit-suites` names them for scripts/check.sh.
UNIT_SUITES := vmx_caps x86_decode x86_walk memsched_policy vmctl_cli \
	       $(patsubst build/unit/%_test,%,$(DEV_TESTS)) fuzz

unit: build/unit/vmx_caps_test build/unit/x86_decode_test \
		build/unit/x86_walk_test build/unit/memsched_policy_test \
		build/unit/vmctl $(O)/multiboot_hello.elf \
		$(DEV_TESTS)
	@tests/suite.sh vmx_caps build/unit/vmx_caps_test
	@tests/suite.sh x86_decode build/unit/x86_decode_test
	@tests/suite.sh x86_walk build/unit/x86_walk_test
	@tests/suite.sh memsched_policy build/unit/memsched_policy_test
	@MULTIBOOT_KERNEL=$(O)/multiboot_hello.elf \
		tests/suite.sh vmctl_cli tests/unit/vmctl_cli_test.sh build/unit/vmctl
	@for t in $(DEV_TESTS); do \
		tests/suite.sh $$(basename $$t _test) $$t; done
	@tests/suite.sh fuzz tests/fuzz/run.sh

unit-suites:
	@echo $(UNIT_SUITES)

check:
	scripts/check.sh

check-host:
	scripts/check-host.sh

demo:
	scripts/demo.sh

sparse:
	scripts/build-check.sh

# What a host install puts beside the module, under DESTDIR: vmctl, its
# man page, the udev rule that gives /dev/vmmon to group vmmon, the
# group's locked-memory limit (guest RAM counts against it), and, only
# with AUTOLOAD=1 (opt-in: loading vmmon takes nothing from KVM until a
# VM runs, but a workstation's owner decides what loads at boot), the
# modules-load.d entry.
install-files: $(O)/vmctl
	install -D -m 0755 $(O)/vmctl $(DESTDIR)/usr/local/bin/vmctl
	install -D -m 0644 doc/vmctl.1 $(DESTDIR)/usr/local/share/man/man1/vmctl.1
	install -D -m 0644 dist/60-vmmon.rules $(DESTDIR)/etc/udev/rules.d/60-vmmon.rules
	install -D -m 0644 dist/limits.conf $(DESTDIR)/etc/security/limits.d/vmmon.conf
ifeq ($(AUTOLOAD),1)
	install -D -m 0644 dist/modules-load.conf \
		$(DESTDIR)/etc/modules-load.d/vmmon.conf
endif

# The group, and udev told of the new rule (not under DESTDIR).
define install-host
	getent group vmmon >/dev/null || groupadd --system vmmon
	-udevadm control --reload-rules && udevadm trigger --name-match=vmmon
endef

install: module install-files
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(install-host)

# DKMS: the module's sources in /usr/src/vmmon-VERSION, built and
# installed for the running kernel now and for each kernel installed
# later.  Debian's dkms signs what it builds with /var/lib/dkms/mok.key.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := $(DESTDIR)/usr/src/vmmon-$(VERSION)

dkms-install: install-files
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -r Kbuild kmod include dkms.conf $(DKMS_SRC)/
	dkms add -m vmmon -v $(VERSION)
	dkms install -m vmmon -v $(VERSION)
	$(install-host)

dkms-uninstall:
	-dkms remove -m vmmon -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# Debian packages vmmon-dkms and vmctl (debian/), built from a copy of the
# files git knows into build/deb-src/; the .debs land in build/deb/.
deb:
	rm -rf build/deb-src build/deb
	mkdir -p build/deb-src/vmmon-$(VERSION) build/deb
	git ls-files -co --exclude-standard -z | \
		xargs -0 cp --parents -t build/deb-src/vmmon-$(VERSION)
	cd build/deb-src/vmmon-$(VERSION) && dpkg-buildpackage -b -us -uc
	mv build/deb-src/*.deb build/deb-src/*.changes build/deb-src/*.buildinfo build/deb/

# Secure Boot: sign vmmon.ko with the kernel's sign-file and a Machine
# Owner Key, by default the one Debian's dkms made, so one enrolled key
# serves both (README: enrolling it with mokutil).
MOK_KEY ?= /var/lib/dkms/mok.key
MOK_CERT ?= /var/lib/dkms/mok.pub
SIGN_FILE ?= $(KDIR)/scripts/sign-file
SIGN_HASH ?= $(or $(shell sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' \
		$(KDIR)/.config 2>/dev/null),sha256)

sign: module
	@test -r "$(MOK_KEY)" && test -r "$(MOK_CERT)" || { echo "make sign: no key $(MOK_KEY) or certificate $(MOK_CERT): set MOK_KEY= and MOK_CERT= (README: Secure Boot)" >&2; exit 1; }
	$(SIGN_FILE) $(SIGN_HASH) $(MOK_KEY) $(MOK_CERT) vmmon.ko
	@echo "vmmon.ko signed by: $$(modinfo -F signer vmmon.ko)"

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf build

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) over the device models they
# name; `make fuzz` builds and runs each for FUZZ_SECONDS (default 20).
FUZZ_CC ?= clang
# What every harness links; each adds the models it drives below, and
# only those, so that work under way in another model cannot stop it.
FUZZ_SRCS := user/vmctl/machine/bus.c user/vmctl/machine/clock.c
FUZZ_VIRTIO_SRCS := $(addprefix user/vmctl/,pci/pci.c virtio/ring.c \
		    virtio/pci.c virtio/blk.c)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) user/vmctl/*.h user/vmctl/*/*.h \
		include/uapi/vmmon.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude \
		-Iuser/vmctl -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^) -lpthread

build/fuzz/fuzz_virtq build/fuzz/fuzz_pci: $(FUZZ_VIRTIO_SRCS)
build/fuzz/fuzz_legacy: $(addprefix user/vmctl/,hw/pic.c hw/pit.c \
	hw/rtc.c hw/uart.c hw/acpi_pm.c hw/sysctl.c pci/pci.c)
build/fuzz/fuzz_apic: $(addprefix user/vmctl/,hw/lapic.c hw/ioapic.c \
	hw/apic_bus.c)
build/fuzz/fuzz_boot: $(addprefix user/vmctl/,boot/load.c boot/linux.c \
	boot/multiboot.c boot/acpi.c boot/firmware.c hw/acpi_loader.c hw/fw_cfg.c)
build/fuzz/fuzz_fw_cfg: user/vmctl/hw/fw_cfg.c

.PHONY: fuzz
fuzz:
	@tests/suite.sh fuzz tests/fuzz/run.sh
