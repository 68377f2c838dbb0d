# newsmine - plain GNU make.
#
#   make            libnewsmine.a, libnewsmine.so and bin/newsmine
#   make test       unit + golden + regression tests
#   make check      the same under AddressSanitizer + UBSan (build-san/),
#                   plus fuzz-corpus replay and the header check
#   make eval       scores against corpus/ and ../shared/data, checks floors
#   make bench      throughput (MB/s) and peak memory on the news corpus
#   make models     regenerate the gazetteer lists and retrain the entity tagger
#   make install    PREFIX=/usr/local DESTDIR=
#   make demo       run newsmine on the bundled sample
#
# Missing Debian packages are installed by scripts/deps.sh (as root) or
# named (otherwise) before the first build.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SAN      ?=
WERROR   ?=

VERSION  := 0.1.0
SHARED_DIR ?= ../shared

WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
OPT      := -O3 -g
# libpq's header directory, asked of pkg-config when a file is compiled
# (after scripts/deps.sh has installed it)
PQ_CFLAGS = $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ipipeline -Ipipeline/core $(PQ_CFLAGS) \
            -DNM_MODELS_DIR='"$(PREFIX)/share/newsmine/models"'
CFLAGS   += -std=c11 $(WARN) $(OPT) -fPIC -fvisibility=hidden -pthread $(if $(WERROR),-Werror)
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
CFLAGS   += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=thread
endif
LIBS     := -lpcre2-8 -lstemmer -lutf8proc -lyajl -lz -lnettle -lsqlite3 -lpq -lpthread -lm

LIB_SRC  := $(sort $(wildcard pipeline/*.c pipeline/core/*.c pipeline/read/*.c \
                               pipeline/text/*.c pipeline/match/*.c pipeline/emit/*.c))
CLI_SRC  := $(sort $(wildcard pipeline/cli/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

STATIC   := $(BUILD)/libnewsmine.a
SHARED   := $(BUILD)/libnewsmine.so
ifeq ($(BUILD),build)
BIN      := bin/newsmine
else
BIN      := $(BUILD)/bin/newsmine
endif
DEPS_OK  := build/.deps-ok

.PHONY: all deps test unit golden regress install-check store-test cluster-test serve-test tsan check fuzz fuzz-replay headercheck eval \
        bench bench-peers install uninstall clean demo golden-update models models-check data-check

all: $(STATIC) $(SHARED) $(BIN)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libnewsmine.so.0 $(LDFLAGS) -o $@ $^ $(LIBS)

$(BIN): $(CLI_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LIBS) -lmicrohttpd

# ------------------------------------------------------------------ tests

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-conversion -o $@ $< $(STATIC) -lcmocka $(LIBS) $(LDFLAGS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/standalone.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-conversion -o $@ $< tests/fuzz/standalone.c $(STATIC) $(LIBS) $(LDFLAGS)

unit: $(UNIT_BIN)
	@sh scripts/unit.sh $(UNIT_BIN)

golden: $(BIN)
	@sh tests/golden/run.sh $(BIN) tests/golden

regress: $(BIN)
	@sh tests/golden/run.sh $(BIN) tests/regress

install-check: all
	@sh tests/install.sh

# --db into SQLite and a throwaway PostgreSQL: idempotence, kill and resume, faults
store-test: $(BIN)
	@sh tests/store.sh $(BIN) $(SHARED_DIR)

# newsmine serve over loopback: endpoints, bad input, limits, slow client, SIGTERM
serve-test: $(BIN)
	@sh tests/serve.sh $(BIN)

# a throwaway Slurm + PostgreSQL: a 4-task job array, GNU parallel, SQLite merges
cluster-test: $(BIN)
	@sh tests/cluster.sh $(BIN) $(SHARED_DIR)

test: all unit golden regress $(if $(SAN),,install-check models-check data-check store-test cluster-test serve-test)
	@echo "make test: all unit, golden and regression tests passed"

# the corpus gold (offsets, overlaps, value formats) and the gazetteer lists
# (format, ids, clashes between lists) are checked as data
data-check: $(BIN)
	@python3 scripts/check-gold.py > $(BUILD)/check-gold.log 2>&1 || { cat $(BUILD)/check-gold.log; exit 1; }
	@python3 scripts/check-entity-lists.py > $(BUILD)/check-lists.log 2>&1 || { cat $(BUILD)/check-lists.log; exit 1; }
	@python3 scripts/clause-errors.py corpus/gold/clauses-dev.gold.jsonl status --bin $(BIN) > $(BUILD)/clause-errors.log 2>&1 && \
	  ! python3 scripts/clause-errors.py corpus/gold/clauses-heldout.gold.jsonl --bin $(BIN) >> $(BUILD)/clause-errors.log 2>&1 || \
	  { echo "data-check: scripts/clause-errors.py failed, or read a held-back split"; cat $(BUILD)/clause-errors.log; exit 1; }
	@echo "data-check: corpus gold and entity lists are well-formed; the clause error lister runs"

golden-update: $(BIN)
	@sh tests/golden/run.sh $(BIN) --update tests/golden tests/regress

fuzz-replay: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  NEWSMINE_MODELS=models $$f tests/fuzz/corpus/$${n#fuzz_}; done

headercheck:
	@mkdir -p $(BUILD)
	printf '#include "newsmine.h"\nint main(void) { return nm_version() == 0; }\n' > $(BUILD)/headercheck.c
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -c -o $(BUILD)/headercheck.o $(BUILD)/headercheck.c

check: | $(DEPS_OK)
	$(MAKE) BUILD=build-san SAN=1 test fuzz-replay headercheck

# ThreadSanitizer (build-tsan/): the unit tests, among them several threads
# sharing one model (test_threads), the batch's workers and the store's writer
tsan: | $(DEPS_OK)
	$(MAKE) BUILD=build-tsan SAN=thread unit

# fuzzing with libFuzzer (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 60
fuzz:
	@sh tests/fuzz/run-libfuzzer.sh $(FUZZ_SECONDS)

# ------------------------------------------------------- eval and bench

eval: $(BIN)
	@sh scripts/eval.sh $(BIN) $(SHARED_DIR)

bench: $(BIN)
	@sh scripts/bench.sh $(BIN) $(SHARED_DIR)

models: $(BIN)
	@sh scripts/models.sh $(BIN) $(SHARED_DIR)

models-check: $(BIN)
	@sh scripts/models.sh --check $(BIN) $(SHARED_DIR)

bench-peers: $(BIN)
	@sh scripts/bench-peers.sh $(BIN) $(SHARED_DIR)

demo: $(BIN)
	$(BIN) run corpus/sample/articles.jsonl

# ---------------------------------------------------------------- install

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/newsmine
	install -m 644 include/newsmine.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/libnewsmine.so.$(VERSION)
	ln -sf libnewsmine.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnewsmine.so.0
	ln -sf libnewsmine.so.0 $(DESTDIR)$(PREFIX)/lib/libnewsmine.so
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/
	cp -R models $(DESTDIR)$(PREFIX)/share/newsmine/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' newsmine.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/newsmine.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/newsmine.h $(DESTDIR)$(PREFIX)/lib/libnewsmine.* \
	      $(DESTDIR)$(PREFIX)/bin/newsmine $(DESTDIR)$(PREFIX)/lib/pkgconfig/newsmine.pc
	rm -rf $(DESTDIR)$(PREFIX)/share/newsmine

clean:
	rm -rf build/obj build/tests build/fuzz build/lib* build/headercheck.* build-san bin

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
