# backfill_fdw: the extension (PGXS), and the plain-C unit tests of src/.
#
# src/pg_*.c include postgres.h and go only into the extension; every other
# src/*.c is plain C (json-c, libyaml, libcurl, libcrypto) and is also built on its own
# into the unit tests, with PGXS's warning flags plus -Werror, and optionally
# under AddressSanitizer (make unit SANITIZE=1).

EXTENSION = backfill_fdw
MODULE_big = backfill_fdw
DATA = backfill_fdw--0.1.sql backfill_fdw--0.2.sql backfill_fdw--0.1--0.2.sql
PGFILEDESC = "backfill_fdw - Sling API specs as foreign tables"

PLAIN_SRCS = $(filter-out src/pg_%.c,$(wildcard src/*.c))
PG_SRCS = backfill_fdw.c $(wildcard src/pg_*.c)
OBJS = $(PG_SRCS:.c=.o) $(PLAIN_SRCS:.c=.o)

PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK = -lcurl -lcrypto -lyaml -ljson-c -lm

# setup first: it makes what the other tests share
REGRESS = setup $(filter-out setup,$(sort $(basename $(notdir $(wildcard $(srcdir)/sql/*.sql)))))
REGRESS_OPTS = --load-extension=backfill_fdw
EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: rebuild every object when one changes, or a
# changed struct would leave stale objects that crash the backend.
$(OBJS): $(wildcard src/*.h)

# ---- unit tests of the plain modules ----------------------------------------
# Each test/unit/<name>.mk adds its test:  UNIT_TESTS += <name>
# and the modules it links:               unit_objs_<name> = <module> ...
UNIT_TESTS :=
include $(wildcard test/unit/*.mk)

ifdef SANITIZE
UNIT_DIR = build/unit-asan
UNIT_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
else
UNIT_DIR = build/unit
UNIT_SAN =
endif
UNIT_CFLAGS = $(shell $(PG_CONFIG) --cppflags) $(shell $(PG_CONFIG) --cflags) -Werror -Isrc -Itest/unit $(UNIT_SAN)
UNIT_LIBS = -lcurl -lcrypto -lyaml -ljson-c -lm

.SECONDEXPANSION:
$(UNIT_DIR)/%.o: src/%.c $(wildcard src/*.h) | $(UNIT_DIR)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(UNIT_DIR)/test_%: test/unit/test_%.c test/unit/unit.h $$(addprefix $(UNIT_DIR)/,$$(addsuffix .o,$$(unit_objs_$$*))) | $(UNIT_DIR)
	$(CC) $(UNIT_CFLAGS) $(filter %.c %.o,$^) -o $@ $(UNIT_LIBS)

$(UNIT_DIR):
	mkdir -p $@

.PHONY: unit
unit: $(patsubst %,$(UNIT_DIR)/test_%,$(UNIT_TESTS))
