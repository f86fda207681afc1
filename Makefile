# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# pyprof build: out-of-tree into $(OUTPUT); `make V=1` shows full commands.
# `make SANITIZE=1` (or `make asan`) builds pyprofd, pyprofctl, the unit tests and the test
# helpers with ASan and UBSan into build-asan.
ifeq ($(SANITIZE),1)
OUTPUT ?= build-asan
# float-cast-overflow: part of clang's "undefined", not of gcc's.
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
override EXTRA_CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
endif
OUTPUT ?= build
ASAN_OUTPUT ?= build-asan
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
# Examples to copy, not in effect where installed: the unit's drop-in for --http.
exampledir ?= $(prefix)/share/pyprof
DESTDIR ?=

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)

WARN := -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers -Werror=undef
CFLAGS ?= -g -O2
override CFLAGS += $(WARN) -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuserspace/lib \
	-I$(OUTPUT) $(LIBBPF_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
# -lstdc++: __cxa_demangle, for C++ native frames (target/cxxname.c).
LDLIBS := $(LIBBPF_LIBS) -ldw -lelf -lz -lstdc++
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

LIB_SRCS := $(sort $(wildcard userspace/lib/*/*.c))
LIB_OBJS := $(patsubst userspace/lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
DAEMON_SRCS := $(sort $(wildcard daemon/*.c))
DAEMON_OBJS := $(patsubst daemon/%.c,$(OUTPUT)/daemon/%.o,$(DAEMON_SRCS))
# pyprofctl's objects go to ctl/: $(OUTPUT)/pyprofctl is the binary.
CTL_SRCS := $(sort $(wildcard userspace/pyprofctl/*.c))
CTL_OBJS := $(patsubst userspace/pyprofctl/%.c,$(OUTPUT)/ctl/%.o,$(CTL_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
TEST_HELPERS := $(OUTPUT)/tests/embed $(OUTPUT)/tests/fmt_render $(OUTPUT)/tests/inroot \
	$(OUTPUT)/tests/profile_mem \
	$(OUTPUT)/tests/fakeft $(OUTPUT)/tests/pyinterp_dump \
	$(OUTPUT)/tests/libspin_a.so $(OUTPUT)/tests/libspin_b.so $(OUTPUT)/tests/libcxxspin.so \
	$(OUTPUT)/tests/libcthread.so

.PHONY: all clean check unit helpers asan fuzz fuzz-build deps test-deps install bench pythons
all: $(OUTPUT)/pyprofd $(OUTPUT)/pyprofctl
ifeq ($(SANITIZE),1)
all: $(UNIT_BINS) $(TEST_HELPERS)
endif

$(OUTPUT) $(OUTPUT)/daemon $(OUTPUT)/tests:
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

$(OUTPUT)/lib/%.o: userspace/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(OUTPUT)/libpyprof.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/daemon/%.o: daemon/%.c | $(OUTPUT)/daemon
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Idaemon -c $< -o $@

# The one daemon file that sees the BPF skeleton.
$(OUTPUT)/daemon/sampler.o: $(OUTPUT)/pyprof.skel.h

$(OUTPUT)/pyprofd: $(DAEMON_OBJS) $(OUTPUT)/libpyprof.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/ctl/%.o: userspace/pyprofctl/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/pyprofctl: $(CTL_OBJS) $(OUTPUT)/libpyprof.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/test-%: tests/unit/test-%.c tests/unit/testhelp.h $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

$(OUTPUT)/tests/test-config: tests/unit/test-config.c tests/unit/testhelp.h \
		$(OUTPUT)/daemon/config.o $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(OUTPUT)/daemon/config.o \
		$(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

# The fakes tests of daemon modules share: a sampler (fakesampler.c), a /proc tree (fakeproc.h).
$(OUTPUT)/tests/fakesampler.o: tests/unit/fakesampler.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon -c $< -o $@

# Discovery against a fake /proc tree: the daemon modules it links, and the fake sampler.
TEST_PROCS_OBJS := $(addprefix $(OUTPUT)/daemon/,procs.o analyzer.o log.o symbolize.o native.o target.o \
	threads.o mapfile.o pynames.o) $(OUTPUT)/tests/fakesampler.o
$(OUTPUT)/tests/test-procs: tests/unit/test-procs.c tests/unit/testhelp.h tests/unit/fakeproc.h \
		$(TEST_PROCS_OBJS) $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(TEST_PROCS_OBJS) $(OUTPUT)/libpyprof.a \
		$(LDLIBS) -lpthread -o $@

# Symbolization against a fake memory reader: the test is the target.c it links.
TEST_SYMBOLIZE_OBJS := $(addprefix $(OUTPUT)/daemon/,symbolize.o native.o mapfile.o pynames.o)
$(OUTPUT)/tests/test-symbolize: tests/unit/test-symbolize.c tests/unit/testhelp.h \
		$(TEST_SYMBOLIZE_OBJS) $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(TEST_SYMBOLIZE_OBJS) $(OUTPUT)/libpyprof.a \
		$(LDLIBS) -o $@

# Opening mapped files against a fake /proc tree.
$(OUTPUT)/tests/test-mapfile: tests/unit/test-mapfile.c tests/unit/testhelp.h \
		$(OUTPUT)/daemon/mapfile.o $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(OUTPUT)/daemon/mapfile.o \
		$(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

# Status replies as Prometheus metrics.
$(OUTPUT)/tests/test-metrics: tests/unit/test-metrics.c tests/unit/testhelp.h \
		$(OUTPUT)/daemon/metrics.o $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(OUTPUT)/daemon/metrics.o \
		$(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

# The socket verbs against a fake profile: the real server and process table over a fake
# /proc tree, the fake sampler, and a fake dump of its own.
TEST_SERVER_OBJS := $(addprefix $(OUTPUT)/daemon/,server.o procs.o analyzer.o log.o symbolize.o native.o \
	threads.o state.o target.o mapfile.o pynames.o select.o) $(OUTPUT)/tests/fakesampler.o
$(OUTPUT)/tests/test-server: tests/unit/test-server.c tests/unit/testhelp.h tests/unit/fakeproc.h \
		$(TEST_SERVER_OBJS) $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(TEST_SERVER_OBJS) $(OUTPUT)/libpyprof.a \
		$(LDLIBS) -lpthread -o $@

# Selectors (daemon/select.c) against records made here: a pure module.
$(OUTPUT)/tests/test-select: tests/unit/test-select.c tests/unit/testhelp.h \
		$(OUTPUT)/daemon/select.o $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Idaemon $< $(OUTPUT)/daemon/select.o \
		$(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/helpers/%.c $(OUTPUT)/libpyprof.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(OUTPUT)/libpyprof.a $(LDLIBS) -o $@

# Loaded by a plain interpreter: no sanitizers, whatever the build's.
$(OUTPUT)/tests/libspin_%.so: tests/helpers/spinlib.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 -O1 -g -fPIC -shared -DSPIN_NAME=spin_$* $< -o $@

# A function GCC splits into FUNC and FUNC.cold, and the same stripped (.dynsym alone):
# what test-coldparts names.  No sanitizers: it is read, never run.
$(OUTPUT)/tests/libcold.so: tests/helpers/coldlib.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)gcc -std=gnu11 -O2 -freorder-blocks-and-partition -fPIC -shared $< -o $@

$(OUTPUT)/tests/libcold_stripped.so: $(OUTPUT)/tests/libcold.so
	$(call msg,STRIP,$@)
	$(Q)strip -o $@ $<

# Stripped, with MiniDebugInfo as Fedora makes it: .gnu_debugdata, an xz'd ELF whose
# .symtab holds the functions .dynsym does not.
$(OUTPUT)/tests/libcold_mini.so: $(OUTPUT)/tests/libcold.so
	$(call msg,MINIDEBUG,$@)
	$(Q)nm -D $< --format=posix --defined-only | awk '{ print $$1 }' | sort > $@.dynsyms
	$(Q)nm $< --format=posix --defined-only | awk '$$2 == "T" || $$2 == "t" { print $$1 }' | \
		sort | comm -13 $@.dynsyms - > $@.keep
	$(Q)objcopy --only-keep-debug $< $@.debug
	$(Q)objcopy -S --remove-section .gdb_index --remove-section .comment \
		--keep-symbols=$@.keep $@.debug $@.mini
	$(Q)xz -f $@.mini
	$(Q)strip -o $@ $<
	$(Q)objcopy --add-section .gnu_debugdata=$@.mini.xz $@
	$(Q)rm -f $@.dynsyms $@.keep $@.debug $@.mini.xz

$(OUTPUT)/tests/test-coldparts: $(OUTPUT)/tests/libcold.so $(OUTPUT)/tests/libcold_stripped.so \
	$(OUTPUT)/tests/libcold_mini.so

# libcold.so's separate debug file, as Debian's -dbg packages ship one: for test-debugfile.
$(OUTPUT)/tests/libcold.debug: $(OUTPUT)/tests/libcold.so
	$(call msg,DEBUG,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(OUTPUT)/tests/test-debugfile: $(OUTPUT)/tests/libcold_stripped.so $(OUTPUT)/tests/libcold.debug \
	$(OUTPUT)/tests/libspin_a.so

# C++ methods for the demangling tests (test-cxxname, test_native); no sanitizers.
$(OUTPUT)/tests/libcxxspin.so: tests/helpers/cxxspin.cpp | $(OUTPUT)/tests
	$(call msg,CXX,$@)
	$(Q)g++ -O1 -fPIC -shared $< -o $@

$(OUTPUT)/tests/test-cxxname: $(OUTPUT)/tests/libcxxspin.so

# Loaded by a plain interpreter; its thread function is static, named by .symtab only.
$(OUTPUT)/tests/libcthread.so: tests/helpers/cthread.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 -O1 -g -fPIC -shared -pthread $< -o $@

unit: $(UNIT_BINS)

helpers: $(TEST_HELPERS)

# The daemon, pyprofctl, unit tests and helpers built with ASan and UBSan
# (any report aborts) into $(ASAN_OUTPUT); `OUTPUT=build-asan tests/run` then
# runs the integration tests against those binaries.
asan:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 OUTPUT=$(ASAN_OUTPUT) all

# libFuzzer targets: every tests/fuzz/fuzz-*.c against the library built with
# the same sanitizers into $(FUZZ_OUTPUT).  `make fuzz` runs each for
# FUZZ_SECONDS from its seed corpus tests/fuzz/corpus/<target>/; a crash fails
# and leaves its input in $(FUZZ_OUTPUT)/crashes/.
FUZZ_OUTPUT ?= build/fuzz
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# No -Werror for the library here: the normal build holds it to that with $(CC),
# and a warning only clang gives must not break make check.
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(WARN) -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Iuserspace/lib -MMD -MP
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUTPUT)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst userspace/lib/%.c,$(FUZZ_OUTPUT)/lib/%.o,$(LIB_SRCS))

$(FUZZ_OUTPUT)/lib/%.o: userspace/lib/%.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUTPUT)/libpyprof.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(FUZZ_OUTPUT)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzzhelp.h $(FUZZ_OUTPUT)/libpyprof.a
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer -Itests/fuzz $< \
		$(FUZZ_OUTPUT)/libpyprof.a $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)FUZZ_OUTPUT=$(FUZZ_OUTPUT) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

# The one entry point CI calls: builds everything, then runs unit and
# integration tests, the unit tests again as built by `make asan`, and every
# fuzz target for CHECK_FUZZ_SECONDS with a fixed seed; ends with "N passed,
# N failed, N skipped".
CHECK_FUZZ_SECONDS ?= 5
# What the tests need is made CHECK_JOBS at a time (the CPU count): the downloads of
# test-deps and pythons (a fresh machine's debootstrap) then overlap the compiles.
CHECK_JOBS ?= $(shell nproc)
check:
	$(Q)$(MAKE) -j$(CHECK_JOBS) all unit $(TEST_HELPERS) test-deps pythons asan fuzz-build
	$(Q)OUTPUT=$(OUTPUT) ASAN_OUTPUT=$(ASAN_OUTPUT) FUZZ_OUTPUT=$(FUZZ_OUTPUT) \
		FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) FUZZ_SEED=1 tests/run

# What building and running need.
deps:
	scripts/install-deps.sh

# What the tests need beyond that: systemd-analyze and the real consumers of
# the output formats (go tool pprof, Chromium, speedscope; npm packages go to
# $(OUTPUT)/npm).  Quick when everything is there.
test-deps:
	OUTPUT=$(OUTPUT) scripts/install-test-consumers.sh

# The interpreters newer than Debian 12's (tests/pythons/provision): a Debian sid tree outside
# the repository with python3.14 and python3.15, and a free-threaded python3.13t built in it.
# A fresh run needs the network and some minutes; then it is quick.
PYPROF_SID_TREE ?= /var/cache/pyprof/pythons/sid
export PYPROF_SID_TREE
pythons:
	tests/pythons/provision

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
	install -d $(DESTDIR)$(exampledir)
	sed 's|@SBINDIR@|$(sbindir)|g' systemd/pyprofd-http.conf.in > \
		$(DESTDIR)$(exampledir)/pyprofd-http.conf
	chmod 0644 $(DESTDIR)$(exampledir)/pyprofd-http.conf
	sed 's|@SBINDIR@|$(sbindir)|g' systemd/pyprofd-push.conf.in > \
		$(DESTDIR)$(exampledir)/pyprofd-push.conf
	chmod 0644 $(DESTDIR)$(exampledir)/pyprofd-push.conf

clean:
	rm -rf $(OUTPUT) $(ASAN_OUTPUT) $(FUZZ_OUTPUT)

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(CTL_OBJS:.o=.d) $(UNIT_BINS:=.d) \
	$(OUTPUT)/tests/fakesampler.d
-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

.DELETE_ON_ERROR:
.SECONDARY:
