# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# pyprof build: out-of-tree into $(OUTPUT); `make V=1` shows full commands.
OUTPUT ?= build
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= cc
PKG_CONFIG ?= pkg-config
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
prefix ?= /usr/local
sbindir ?= $(prefix)/sbin
bindir ?= $(prefix)/bin
mandir ?= $(prefix)/share/man
unitdir ?= $(prefix)/lib/systemd/system
DESTDIR ?=

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)

WARN := -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers -Werror=undef
CFLAGS ?= -g -O2
override CFLAGS += $(WARN) -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuserspace/lib \
	-I$(OUTPUT) $(LIBBPF_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
LDLIBS := $(LIBBPF_LIBS) -lelf -lz
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(OUTPUT)

# clang's own system include dirs, so -target bpf finds Debian's multiarch asm/ headers.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s%s\n' "$(1)" "$(notdir $(2))" "$(if $(3), $(3))";
endif

LIB_SRCS := $(sort $(wildcard userspace/lib/*.c))
LIB_OBJS := $(patsubst userspace/lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
DAEMON_SRCS := $(sort $(wildcard daemon/*.c))
DAEMON_OBJS := $(patsubst daemon/%.c,$(OUTPUT)/daemon/%.o,$(DAEMON_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
TEST_HELPERS := $(OUTPUT)/tests/embed $(OUTPUT)/tests/fmt_render

.PHONY: all clean check unit deps test-deps install bench
all: $(OUTPUT)/pyprofd $(OUTPUT)/pyprofctl

$(OUTPUT) $(OUTPUT)/lib $(OUTPUT)/daemon $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)if [ ! -e "$(VMLINUX_BTF)" ]; then \
		echo "no kernel BTF at $(VMLINUX_BTF): set VMLINUX_BTF=" >&2; exit 1; fi
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c include/pyprof_abi.h $(wildcard bpf/*.bpf.h) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/lib/%.o: userspace/lib/%.c | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(OUTPUT)/libpyprof.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/daemon/%.o: daemon/%.c $(OUTPUT)/pyprof.skel.h | $(OUTPUT)/daemon
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Idaemon -c $< -o $@

$(OUTPUT)/pyprofd: $(DAEMON_OBJS) $(OUTPUT)/libpyprof.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/pyprofctl: userspace/pyprofctl.c $(OUTPUT)/libpyprof.a | $(OUTPUT)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

$(OUTPUT)/tests/test-%: tests/unit/test-%.c tests/unit/testhelp.h $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/helpers/%.c $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

unit: $(UNIT_BINS)

# The one entry point CI calls: builds everything, then runs unit and
# integration tests; ends with "N passed, N failed, N skipped".
check: all unit $(TEST_HELPERS) test-deps
	$(Q)OUTPUT=$(OUTPUT) tests/run

# What building and running need.
deps:
	scripts/install-deps.sh

# What the tests need beyond that: systemd-analyze and the real consumers of
# the output formats (go tool pprof, Chromium, speedscope; npm packages go to
# $(OUTPUT)/npm).  Quick when everything is there.
test-deps:
	OUTPUT=$(OUTPUT) scripts/install-test-consumers.sh

bench: all
	$(Q)OUTPUT=$(OUTPUT) tests/bench/run

install: all
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) $(DESTDIR)$(unitdir)
	install -m 0755 $(OUTPUT)/pyprofd $(DESTDIR)$(sbindir)/pyprofd
	install -m 0755 $(OUTPUT)/pyprofctl $(DESTDIR)$(bindir)/pyprofctl
	install -d $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man8
	install -m 0644 man/pyprofctl.1 $(DESTDIR)$(mandir)/man1/pyprofctl.1
	install -m 0644 man/pyprofd.8 $(DESTDIR)$(mandir)/man8/pyprofd.8
	sed 's|@SBINDIR@|$(sbindir)|g' systemd/pyprofd.service.in > $(DESTDIR)$(unitdir)/pyprofd.service
	chmod 0644 $(DESTDIR)$(unitdir)/pyprofd.service
	install -m 0644 systemd/pyprofd.socket $(DESTDIR)$(unitdir)/pyprofd.socket

clean:
	rm -rf $(OUTPUT)

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(UNIT_BINS:=.d)

.DELETE_ON_ERROR:
.SECONDARY:
