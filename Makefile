# dbfleet - plain Makefile; libraries through pkg-config.
#
#   make                 build ./dbfleet
#   make check           install what the tests need, then run every test layer
#   make demo            install what it needs, start the lab, open dbfleet on it
#   make install PREFIX=/usr/local
#   make SANITIZE=address,undefined   (build-asan/ is what make check uses)
#   make fuzz [FUZZ_TIME=600] [FUZZ_TARGETS="text xml"]   long libFuzzer runs (clang)
#   make fuzz-check      about ten seconds of each fuzzer, as make check runs them

PREFIX   ?= /usr/local
DATADIR  ?= $(PREFIX)/share/dbfleet
MANDIR   ?= $(PREFIX)/share/man
VERSION  := 0.1.0
CC       ?= cc
PKGS     := ncursesw libpq libmariadb odbc odbcinst libcrypto libssl libcjson libcurl expat hiredis
SETUP    := tests/setup.sh

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wwrite-strings -Wvla -fno-common -Werror
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DDBFLEET_VERSION='"$(VERSION)"' -DDBFLEET_DATADIR='"$(DATADIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) -pthread -MMD -MP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
endif

BUILD    ?= build
SRC_CORE := $(wildcard model/*.c collectors/*.c engines/*.c aws/*.c panes/*.c keymaps/*.c)
SRC_TUI  := $(wildcard tui/*.c)
OBJ_CORE := $(SRC_CORE:%.c=$(BUILD)/%.o)
OBJ_TUI  := $(SRC_TUI:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all clean check demo install deps asan tsan bench bench-rows bench-redis bench-scale bench-serve fuzz fuzz-build fuzz-check

all: dbfleet

dbfleet: $(BUILD)/dbfleet
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/dbfleet: $(OBJ_CORE) $(OBJ_TUI)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# unit tests link the core (no tui/ main) and the tui pieces without main()
$(BUILD)/tests/%: tests/unit/%.c $(OBJ_CORE) $(filter-out $(BUILD)/tui/main.o $(BUILD)/tui/ui.o $(BUILD)/tui/commands.o,$(OBJ_TUI))
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# test drivers: small programs the end-to-end tests run against the lab (they link the core)
DRIVER_SRC := $(wildcard tests/drivers/*.c)
DRIVER_BIN := $(DRIVER_SRC:tests/drivers/%.c=$(BUILD)/tests/drivers/%)

$(BUILD)/tests/drivers/%: tests/drivers/%.c $(OBJ_CORE)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@sh $(SETUP)

# ASan+UBSan build used by every test layer
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g" \
		build-asan/dbfleet $(UNIT_BIN:$(BUILD)/%=build-asan/%) $(DRIVER_BIN:$(BUILD)/%=build-asan/%)

# TSan build for the threaded parts (collectors, store, UI): run.sh drives it too
tsan:
	@$(MAKE) --no-print-directory BUILD=build-tsan SANITIZE=thread CFLAGS="-O1 -g" build-tsan/dbfleet

check: deps
	@$(MAKE) --no-print-directory dbfleet asan tsan fuzz-build
	@sh tests/run.sh

demo: deps dbfleet
	@sh tests/demo.sh

bench: deps dbfleet $(BUILD)/bench/aws_round
	@sh bench/bench.sh

# 1,000 targets on the lab's servers plus 50 hung ones, 10 minutes at a 2 s refresh
# (bench/bench_scale.sh); TLS=1: every connection verified TLS. BENCH_TARGETS, BENCH_SECONDS... shorten it
bench-scale: deps dbfleet
	@BENCH_TLS=$(if $(filter 1 yes,$(TLS)),1,0) sh bench/bench_scale.sh

# one AWS discovery + metrics round through aws/, for bench/aws_bench.py
$(BUILD)/bench/aws_round: bench/aws_round.c $(OBJ_CORE)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the shared collector's Redis client and lease on a loopback redis-server with TLS (bench/redis_bench.py)
bench-redis: deps $(BUILD)/tests/drivers/redis_lease
	@python3 bench/redis_bench.py $(BUILD)/tests/drivers/redis_lease

# --serve and 20 --attach viewers on the lab's fleet against one local dbfleet: statements per refresh,
# Redis bytes, CPU and RSS, change-to-screen latency, fail-over (bench/serve_bench.py; LAB_DIR=... uses that
# lab, else it starts one of its own)
bench-serve: deps dbfleet
	@python3 bench/serve_bench.py $(BUILD)/dbfleet

# the fleet pane on 5,000 synthetic targets: recalc, group, filter, sort, repaint (bench/RESULTS.md)
bench-rows: $(BUILD)/bench/fleet_rows
	@$(BUILD)/bench/fleet_rows

$(BUILD)/bench/fleet_rows: bench/fleet_rows.c $(OBJ_CORE)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), one per parser of outside input. The project's
# objects are built again with clang into build-fuzz/ (the main build stays $(CC)); warnings
# stay on but are not errors there, since clang and gcc disagree on some.
FUZZ_CC     ?= clang-14
FUZZ_BUILD  := build-fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 $(filter-out -Werror,$(WARN)) -Wno-missing-field-initializers -O1 -g $(FUZZ_SAN) -pthread \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/%)
FUZZ_OBJ    := $(SRC_CORE:%.c=$(FUZZ_BUILD)/%.o) \
               $(filter-out $(FUZZ_BUILD)/tui/main.o $(FUZZ_BUILD)/tui/ui.o $(FUZZ_BUILD)/tui/commands.o, \
                            $(SRC_TUI:%.c=$(FUZZ_BUILD)/%.o))
FUZZ_TIME    ?= 600
FUZZ_TARGETS ?= $(FUZZ_NAMES)
# the AWS readers get their responses from the harness in place of the network
FUZZ_WRAP_AWS := -Wl,--wrap=aws_post,--wrap=aws_post_ex
$(FUZZ_BUILD)/fuzz/rds $(FUZZ_BUILD)/fuzz/cloudwatch $(FUZZ_BUILD)/fuzz/ce $(FUZZ_BUILD)/fuzz/sts $(FUZZ_BUILD)/fuzz/pi \
	$(FUZZ_BUILD)/fuzz/accounts: \
	FUZZ_LDEXTRA = $(FUZZ_WRAP_AWS)
# instance metadata: libcurl's options kept, its transfers answered by the input
$(FUZZ_BUILD)/fuzz/imds: FUZZ_LDEXTRA = -Wl,--wrap=curl_easy_setopt,--wrap=curl_easy_perform,--wrap=curl_easy_getinfo

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

# an archive, so a harness that includes a file of the core to reach a static parser
# (tests/fuzz/fuzz_credproc.c) links in place of that file's object
$(FUZZ_BUILD)/libdbfleet.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_BUILD)/libdbfleet.a
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $(FUZZ_LDEXTRA) -o $@ \
		$< $(FUZZ_BUILD)/libdbfleet.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# ten seconds of each, from its corpus, plus every regression input (tests/run.sh runs this)
fuzz-check: fuzz-build
	@sh tests/fuzz/run.sh check $(FUZZ_NAMES)

# long runs that grow the corpora in build-fuzz/corpus/ (merge new inputs worth keeping by hand)
fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run.sh long $(FUZZ_TARGETS)

install: dbfleet
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/keymaps \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 dbfleet $(DESTDIR)$(PREFIX)/bin/dbfleet
	install -m 644 keymaps/*.keys $(DESTDIR)$(DATADIR)/keymaps/
	install -m 644 man/dbfleet.1 $(DESTDIR)$(MANDIR)/man1/dbfleet.1
	install -m 644 man/dbfleet.conf.5 $(DESTDIR)$(MANDIR)/man5/dbfleet.conf.5

clean:
	rm -rf build build-asan build-tsan build-fuzz dbfleet

-include $(OBJ_CORE:.o=.d) $(OBJ_TUI:.o=.d) $(FUZZ_OBJ:.o=.d)
