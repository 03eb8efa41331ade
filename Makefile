# backfill_fdw: the extension (PGXS), its plain-C unit tests (plainly and
# under ASan+UBSan), its libFuzzer targets and its C benchmarks, all built
# from one description of the modules: src/<module>/module.mk lists the
# module's .c files (<module>_SRCS) and the modules it includes
# (<module>_USES).  src/pg/ and backfill_fdw.c include postgres.h and go
# only into the extension; every other module is plain C (json-c, libyaml,
# libcurl, libcrypto, libjq), built on its own into the test programs with PGXS's
# warning flags plus -Werror.  tools/check-layout (run by test/run) keeps
# the folders, the lists and the includes in step.

EXTENSION = backfill_fdw
MODULE_big = backfill_fdw
DATA = backfill_fdw--0.1.sql backfill_fdw--0.2.sql backfill_fdw--0.3.sql backfill_fdw--0.1--0.2.sql backfill_fdw--0.2--0.3.sql
PGFILEDESC = "backfill_fdw - Sling API specs as foreign tables"

# Bottom-up: a module may use only modules before it (tools/check-layout).
BF_MODULES = util json jmespath expr infer spec http runner pg
PLAIN_MODULES = $(filter-out pg,$(BF_MODULES))
include $(foreach m,$(BF_MODULES),src/$(m)/module.mk)

# mod_objs <modules>: their objects, as <module>/<file>.o
mod_objs = $(foreach m,$(1),$(addprefix $(m)/,$($(m)_SRCS:.c=.o)))
# closure <modules>: them and every module they use, directly or not (grown
# until it stops growing, so that a cycle cannot recurse forever)
closure = $(call closure_,$(sort $(1)))
closure_ = $(if $(filter-out $(1),$(call grow,$(1))),$(call closure_,$(call grow,$(1))),$(1))
grow = $(sort $(1) $(foreach m,$(1),$($(m)_USES)))
# included_modules <file>: the plain modules a test program's file includes
included_modules = $(filter $(PLAIN_MODULES),$(shell sed -n 's|^[[:space:]]*\#[[:space:]]*include[[:space:]]*"\([a-z_]*\)/.*|\1|p' $(1)))

OBJS = backfill_fdw.o $(addprefix src/,$(call mod_objs,$(BF_MODULES)))
SRC_HDRS = $(wildcard src/*/*.h)

PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK = -lcurl -lcrypto -lyaml -ljson-c -ljq -lm

# setup first: it makes what the other tests share
REGRESS = setup $(filter-out setup,$(sort $(basename $(notdir $(wildcard $(srcdir)/sql/*.sql)))))
REGRESS_OPTS = --load-extension=backfill_fdw
EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: rebuild every object when one changes, or a
# changed struct would leave stale objects that crash the backend.
$(OBJS): $(SRC_HDRS)

# ---- test programs: unit tests, fuzz targets, benchmarks --------------------
# A test program is one .c file linked with the objects of the modules it
# tests and of all they use.  test/unit/<module>/test_<name>.c tests
# <module>: build/unit/<module>/test_<name> (build/unit-asan/... under
# SANITIZE=1).  test/fuzz/fuzz_<name>.c and test/bench/bench_<name>.c link
# the modules they include: build/fuzz/fuzz_<name>, build/bench/bench_<name>.
TEST_LIBS = -lcurl -lcrypto -lyaml -ljson-c -ljq -lm
TEST_HDRS = $(SRC_HDRS) $(wildcard test/unit/*.h test/unit/*/*.h)
UNIT_CFLAGS = $(shell $(PG_CONFIG) --cppflags) $(shell $(PG_CONFIG) --cflags) -Werror -Isrc -Itest/unit
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CC = clang
FUZZ_CFLAGS = -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=all -Isrc

UNIT_SRCS = $(wildcard test/unit/*/test_*.c)
FUZZ_SRCS = $(wildcard test/fuzz/fuzz_*.c)
BENCH_SRCS = $(wildcard test/bench/bench_*.c)

# object_rule <dir> <compiler and flags>: src/<m>/<f>.c to <dir>/<m>/<f>.o
define object_rule
$(1)/%.o: src/%.c $$(SRC_HDRS)
	@mkdir -p $$(@D)
	$(2) -c $$< -o $$@
endef
$(eval $(call object_rule,build/unit/obj,$(CC) $(UNIT_CFLAGS)))
$(eval $(call object_rule,build/unit-asan/obj,$(CC) $(UNIT_CFLAGS) $(ASAN_FLAGS)))
$(eval $(call object_rule,build/fuzz/obj,$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined))

# program <binary> <main .c> <object dir> <modules>: its prerequisites
define program
$(1): $(2) $(addprefix $(3)/,$(call mod_objs,$(call closure,$(4)))) $$(TEST_HDRS)
endef
unit_bin = $(patsubst test/unit/%.c,$(1)/%,$(2))
unit_module = $(word 3,$(subst /, ,$(1)))
$(foreach t,$(UNIT_SRCS),\
	$(eval $(call program,$(call unit_bin,build/unit,$(t)),$(t),build/unit/obj,$(call unit_module,$(t))))\
	$(eval $(call program,$(call unit_bin,build/unit-asan,$(t)),$(t),build/unit-asan/obj,$(call unit_module,$(t)))))
FUZZ_BINS = $(patsubst test/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
BENCH_BINS = $(patsubst test/bench/%.c,build/bench/%,$(BENCH_SRCS))
$(foreach t,$(FUZZ_SRCS),$(eval $(call program,$(patsubst test/fuzz/%.c,build/fuzz/%,$(t)),$(t),build/fuzz/obj,$(call included_modules,$(t)))))
$(foreach t,$(BENCH_SRCS),$(eval $(call program,$(patsubst test/bench/%.c,build/bench/%,$(t)),$(t),build/unit/obj,$(call included_modules,$(t)))))

UNIT_BINS = $(call unit_bin,build/unit,$(UNIT_SRCS))
ASAN_BINS = $(call unit_bin,build/unit-asan,$(UNIT_SRCS))
$(UNIT_BINS) $(BENCH_BINS):
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(filter %.c %.o,$^) -o $@ $(TEST_LIBS)
$(ASAN_BINS):
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(ASAN_FLAGS) $(filter %.c %.o,$^) -o $@ $(TEST_LIBS)
$(FUZZ_BINS):
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(filter %.c %.o,$^) -o $@ $(TEST_LIBS)

.PHONY: unit fuzz bench-build bench check-layout
ifdef SANITIZE
unit: $(ASAN_BINS)
else
unit: $(UNIT_BINS)
endif
fuzz: $(FUZZ_BINS)
bench-build: $(BENCH_BINS)
# issue 16's ratios (test/bench/bench_bulk.sh; BENCH_ARGS=--full for 1M/10M);
# not part of test/run: a benchmark, not a test
bench:
	test/bench/bench_bulk.sh $(BENCH_ARGS)
check-layout:
	tools/check-layout
