#  Kejin: one Makefile for building, testing and running a city node.
#  `make help` lists the targets. `make V=1` shows full commands,
#  `make SAN=1` builds with AddressSanitizer and UBSan (in build-san/).

.DEFAULT_GOAL := all
SHELL := /bin/bash

SAN     ?=
FUZZ    ?=
V       ?= 0
CC      ?= cc
ifeq ($(FUZZ),1)
BUILD   ?= build-fuzz
BIN     ?= build-fuzz/bin
else ifeq ($(SAN),1)
BUILD   ?= build-san
BIN     ?= build-san/bin
else
BUILD   ?= build
BIN     ?= bin
endif

PKGS        := libzmq libczmq libprotobuf-c libpq jansson
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -luuid
TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

OPT     ?= -O2
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror \
           -Wno-unused-parameter -Wno-missing-field-initializers \
           -MMD -MP -I$(BUILD)/gen -Icommon $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
#  FUZZ=1 (used by `make fuzz` and `make tests`): clang, every object
#  instrumented for libFuzzer, ASan and UBSan, in build-fuzz/
ifeq ($(FUZZ),1)
CC      := clang
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

#  -------------------------------------------------------------------------
#  proto/ -> build/gen/*.pb-c.{c,h}, never committed

PROTOS    := $(wildcard proto/*.proto)
GEN_C     := $(PROTOS:proto/%.proto=$(BUILD)/gen/%.pb-c.c)
GEN_H     := $(GEN_C:.c=.h)
GEN_OBJ   := $(GEN_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o) $(BUILD)/obj/gen/kj_types.o \
             $(BUILD)/obj/gen/kj_schemas.o

#  A file holding a list of files, rewritten only when the list changes: a
#  prerequisite that makes a target again when a file of its list is added
#  or deleted, which timestamps alone never notice (a deleted migration
#  stayed compiled in, a deleted proto's types broke the link).
listed = $(shell mkdir -p $(BUILD)/gen/lists; f=$(BUILD)/gen/lists/$(1); \
           echo '$(2)' | cmp -s - $$f 2>/dev/null || echo '$(2)' > $$f; \
           echo $$f)
PROTO_LIST := $(call listed,protos,$(PROTOS))

#  A deleted proto's generated files go with it
$(foreach f,$(wildcard $(BUILD)/gen/*.pb-c.c),$(if $(wildcard proto/$(notdir $(f:.pb-c.c=.proto))),,$(shell rm -f $(f) $(f:.c=.h))))

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	$(call say,PROTO,$<)
	$(Q)protoc-c --c_out=$(BUILD)/gen -Iproto $<

#  Every object waits for every generated header: simple, and only slow
#  the first time.
$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

#  A table of every message type, so that JSON output can decode an event's
#  payload by its type name (kj_json_type).
$(BUILD)/gen/kj_types.c: $(GEN_H) $(PROTO_LIST)
	$(call say,GEN,$@)
	$(Q)( echo '#include <protobuf-c/protobuf-c.h>'; \
	  sed -n 's/^extern const ProtobufCMessageDescriptor \(.*\);/extern const ProtobufCMessageDescriptor \1;/p' $(GEN_H); \
	  echo 'const ProtobufCMessageDescriptor *const kj_all_types [] = {'; \
	  sed -n 's/^extern const ProtobufCMessageDescriptor \(.*\);/    \&\1,/p' $(GEN_H); \
	  echo '    0 };' ) > $@

#  Every proto file compiled into one descriptor set, so that a subscriber
#  decodes any payload without the repository: compiled into libkejin
#  (kj_schemas, served by kejin-events as Events.Schemas) and shipped as
#  $(BIN)/kejin.desc.
$(BUILD)/gen/kejin.desc: $(PROTOS) $(PROTO_LIST)
	@mkdir -p $(@D)
	$(call say,PROTO,$@)
	$(Q)protoc --include_imports --descriptor_set_out=$@ -Iproto $(PROTOS:proto/%=%)

$(BUILD)/gen/kj_schemas.c: $(BUILD)/gen/kejin.desc
	$(call say,GEN,$@)
	$(Q)( echo '#include <stddef.h>'; \
	  echo 'const unsigned char kj_schemas [] = {'; \
	  od -An -v -tx1 $< | sed -E 's/ ([0-9a-f]{2})/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t kj_schemas_size = sizeof kj_schemas;'; \
	  echo 'const char *const kj_schema_files [] = {'; \
	  for f in $(PROTOS:proto/%=%); do echo "    \"$$f\","; done; \
	  echo '    0 };' ) > $@

$(BIN)/kejin.desc: $(BUILD)/gen/kejin.desc
	@mkdir -p $(@D)
	$(Q)install -m 644 $< $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

#  -------------------------------------------------------------------------
#  common/ -> libkejin.a (with the generated protobuf code)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
LIBKEJIN   := $(BUILD)/lib/libkejin.a

$(LIBKEJIN): $(COMMON_OBJ) $(GEN_OBJ) $(call listed,kejin_obj,$(COMMON_OBJ) $(GEN_OBJ))
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

#  -------------------------------------------------------------------------
#  common/po/<lang>.po -> build/locale/<lang>/LC_MESSAGES/kejin.mo, found by
#  the binaries beside bin/ (kj_i18n). `make po` gathers the messages marked
#  in the sources into build/kejin.pot and merges them into each .po.

PO_FILES := $(wildcard common/po/*.po)
MO_FILES := $(PO_FILES:common/po/%.po=$(BUILD)/locale/%/LC_MESSAGES/kejin.mo)
XGETTEXT := xgettext --language=C --from-code=UTF-8 --add-comments=TRANSLATORS \
            --keyword=_ --keyword=N_ --keyword=kj_call_fail:4 \
            --keyword=kj_status_set:4 --flag=kj_call_fail:4:c-format \
            --flag=kj_status_set:4:c-format --package-name=kejin \
            --keyword=s_error:4 --flag=s_error:4:c-format \
            --keyword=registry_csv_error:4 \
            --flag=registry_csv_error:4:c-format \
            --keyword=s_problem:4 --flag=s_problem:4:c-format \
            --keyword=PROBLEM:1 --flag=PROBLEM:1:c-format \
            --keyword=s_refuse:2 --flag=s_refuse:2:c-format \
            --keyword=cli_args_verb:7 --keyword=cli_page_print:3 \
            --keyword=s_print_page:3 \
            --msgid-bugs-address=kejin --sort-by-file

$(BUILD)/locale/%/LC_MESSAGES/kejin.mo: common/po/%.po
	@mkdir -p $(@D)
	$(call say,MSGFMT,$<)
	$(Q)msgfmt --check -o $@ $<

$(BUILD)/kejin.pot: $(shell git ls-files 'common/*.c' 'services/*.c' 2>/dev/null)
	@mkdir -p $(@D)
	$(call say,XGETTEXT,$@)
	$(Q)$(XGETTEXT) -o $@ $(sort $^)

#  -------------------------------------------------------------------------
#  services/<name>/ -> lib<name>.a (the classes) + one binary from
#  <name>_main.c. The binary is bin/kejin-<name>; the CLI is bin/kejin.
#  SQL migrations in services/<name>/sql/NNN_*.sql are compiled in, and
#  so are data files in services/<name>/data/ (<name>_files[]).

SERVICES := $(notdir $(wildcard services/*))
binname   = $(if $(filter cli,$(1)),kejin,kejin-$(1))

#  <name>_USES: the folders whose rules classes <name> links as well, so
#  that the CLI's offline checks run the very code of the service.
cli_USES := guarantee scoring ipo registry
mirror_USES := events

define service_rules
$(1)_SRC  := $$(filter-out services/$(1)/$(1)_main.c,$$(wildcard services/$(1)/*.c))
$(1)_SQL  := $$(sort $$(wildcard services/$(1)/sql/*.sql))
$(1)_DATA := $$(sort $$(wildcard services/$(1)/data/*))
$(1)_OBJ  := $$($(1)_SRC:%.c=$(BUILD)/obj/%.o) \
             $$(if $$($(1)_SQL),$(BUILD)/obj/gen/$(1)_sql.o) \
             $$(if $$($(1)_DATA),$(BUILD)/obj/gen/$(1)_data.o)
$(1)_LIB  := $(BUILD)/lib/lib$(1).a
$(1)_DEPS := $$(foreach u,$$($(1)_USES),$(BUILD)/lib/lib$$(u).a)

$(BUILD)/obj/services/$(1)/%.o: CFLAGS += $$(foreach u,$$($(1)_USES),-Iservices/$$(u))

$(BUILD)/gen/$(1)_sql.c: $$($(1)_SQL) $$(call listed,$(1)_sql,$$($(1)_SQL)) common/sql2c.sh
	@mkdir -p $$(@D)
	$$(call say,SQL,services/$(1)/sql)
	$$(Q)common/sql2c.sh $(1) $$($(1)_SQL) > $$@

$(BUILD)/gen/$(1)_data.c: $$($(1)_DATA) $$(call listed,$(1)_data,$$($(1)_DATA)) common/data2c.sh
	@mkdir -p $$(@D)
	$$(call say,DATA,services/$(1)/data)
	$$(Q)common/data2c.sh $(1) $$($(1)_DATA) > $$@

$$($(1)_LIB): $$($(1)_OBJ) $$(call listed,$(1)_obj,$$($(1)_OBJ))
	@mkdir -p $$(@D)
	$$(call say,AR,$$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$(filter %.o,$$^)

$(BIN)/$(call binname,$(1)): $(BUILD)/obj/services/$(1)/$(1)_main.o $$($(1)_LIB) $$($(1)_DEPS) $(LIBKEJIN)
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)
	$$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_rules,$(s))))

SERVICE_LIBS := $(foreach s,$(SERVICES),$($(s)_LIB))
BINARIES     := $(foreach s,$(SERVICES),$(if $(wildcard services/$(s)/$(s)_main.c),$(BIN)/$(call binname,$(s))))

#  `kejin config check` checks a node's whole file against every daemon's
#  option table: services/<name>/<name>_options.c defines <name>_options,
#  a generated list names them all, and the CLI links the service
#  libraries, after its own.
OPTIONS_SRC := $(sort $(wildcard services/*/*_options.c))

$(BUILD)/gen/kj_daemon_options.c: $(OPTIONS_SRC) Makefile
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)( echo '#include "kj_config.h"'; \
	  for f in $(OPTIONS_SRC); do \
	      echo "extern const kj_option_t $$(basename $$f .c) [];"; done; \
	  echo 'const kj_option_t *const kj_daemon_options [] = {'; \
	  for f in $(OPTIONS_SRC); do echo "    $$(basename $$f .c),"; done; \
	  echo '    0 };' ) > $@

$(cli_LIB): $(BUILD)/obj/gen/kj_daemon_options.o
$(BIN)/kejin: $(filter-out $(cli_LIB),$(SERVICE_LIBS))

#  -------------------------------------------------------------------------
#  tests/
#  tests/unit/<area>/test_*.c  -> one cmocka binary each, linked with the
#                                 area's library (common or a service)
#  tests/system/test_*.c       -> one binary each, with tests/support/
#  tests/bench/bench_*.c       -> benchmarks, run by `make bench`
#  tests/tools/*.c             -> helper programs the tests start

SUPPORT_SRC := $(wildcard tests/support/*.c)
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC    := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
SYSTEM_SRC  := $(wildcard tests/system/test_*.c)
SYSTEM_BIN  := $(SYSTEM_SRC:tests/%.c=$(BUILD)/tests/%)
SYSTEM_SH   := $(wildcard tests/system/test_*.sh)
SYSTEM_BIN  += $(SYSTEM_SH:tests/%=$(BUILD)/tests/%)
BENCH_SRC   := $(wildcard tests/bench/bench_*.c)
BENCH_BIN   := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)
TOOL_SRC    := $(wildcard tests/tools/*.c)
TOOL_BIN    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
TEST_CFLAGS := -Itests/support $(foreach s,$(SERVICES),-Iservices/$(s))

$(BUILD)/obj/tests/%.o: tests/%.c | $(GEN_H)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

#  A unit test of area <a> links lib<a>.a when there is one.
.SECONDEXPANSION:
.SECONDARY:
$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $$(filter $(BUILD)/lib/lib$$(firstword $$(subst /, ,$$*)).a,$(SERVICE_LIBS)) $(SUPPORT_OBJ) $(LIBKEJIN)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

#  Shell system tests are copied beside the others, so the runner finds them
$(BUILD)/tests/system/%.sh: tests/system/%.sh
	@mkdir -p $(@D)
	$(Q)install -m 755 $< $@

define linked_rule
$(BUILD)/tests/$(1)/%: $(BUILD)/obj/tests/$(1)/%.o $(SUPPORT_OBJ) $(SERVICE_LIBS) $(LIBKEJIN)
	@mkdir -p $$(@D)
	$$(call say,LINK,$$@)
	$$(Q)$(CC) $(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(SERVICE_LIBS) $(LIBKEJIN) $(LIBS) $(TEST_LIBS)
endef
$(foreach d,system bench tools,$(eval $(call linked_rule,$(d))))

#  tests/fuzz/fuzz_*.c -> libFuzzer harnesses, built with FUZZ=1 only.
#  They link the broker's, the registry's and ipo's classes and libkejin.

FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIBS    := $(BUILD)/lib/libbroker.a $(BUILD)/lib/libregistry.a \
                $(BUILD)/lib/libscoring.a $(BUILD)/lib/libipo.a
FUZZ_SECONDS ?= 600

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIBS) $(LIBKEJIN)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: fuzzers fuzz-build fuzz
fuzzers: $(FUZZ_BIN)

#  The harnesses, from any build: tests/system/test_fuzz.sh runs them
fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 SAN= CC=clang \
	    BUILD=build-fuzz BIN=build-fuzz/bin fuzzers

#  -------------------------------------------------------------------------
#  The broker alone with ASan + UBSan, for the randomised worker-death test
#  (tests/system/test_broker_deaths.c): its own objects instrumented, linked
#  with the ordinary libkejin.a, so `make test` adds a few seconds, not a
#  second build of everything.

SAN_FLAGS      := -fsanitize=address,undefined -fno-omit-frame-pointer
BROKER_SAN     := $(BUILD)/san/kejin-broker
BROKER_SAN_OBJ := $(patsubst %.c,$(BUILD)/san/obj/%.o,$(wildcard services/broker/*.c))

$(BUILD)/san/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(call say,CC-SAN,$<)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BROKER_SAN): $(BROKER_SAN_OBJ) $(LIBKEJIN)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LIBS)

#  -------------------------------------------------------------------------
#  Targets for people

.PHONY: all deps test unit system memcheck bench up down status clean help \
        format tests po po-check

all: $(BINARIES) $(BIN)/kejin.desc $(MO_FILES) ## build every daemon and the kejin CLI into bin/

tests: $(UNIT_BIN) $(SYSTEM_BIN) $(BENCH_BIN) $(TOOL_BIN) $(BROKER_SAN) fuzz-build

deps: ## check for the Debian packages Kejin needs; install them as root
	@deploy/deps.sh

test: deps ## install what is missing, build, run every unit and system test
	@$(MAKE) --no-print-directory all tests
	@tests/run.sh --build $(BUILD) --bin $(BIN) all

unit: all tests ## run the unit tests only
	@tests/run.sh --build $(BUILD) --bin $(BIN) unit

system: all tests ## run the system tests only (T=name runs one)
	@tests/run.sh --build $(BUILD) --bin $(BIN) system $(T)

fuzz: deps ## run each fuzzer FUZZ_SECONDS (600) long; corpus in build-fuzz/
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP=1 tests/system/test_fuzz.sh $(F)

memcheck: all tests ## run the unit tests under valgrind
	@tests/run.sh --build $(BUILD) --bin $(BIN) --valgrind unit

bench: deps ## run the benchmarks and print each figure beside its baseline
	@$(MAKE) --no-print-directory all tests
	@tests/run.sh --build $(BUILD) --bin $(BIN) bench $(B)

up: deps ## build, start PostgreSQL and a whole city node with demo data
	@$(MAKE) --no-print-directory all
	@$(if $(CITIES),deploy/kejin-cities up $(CITIES),deploy/kejin-node up $(if $(SCALE),--scale $(SCALE)))

down: ## stop the node started by `make up`; leaves nothing running
	@deploy/kejin-node down
	@[ ! -f run/cities/cities ] || deploy/kejin-cities down

status: ## show each daemon, its workers per service and its endpoints
	@if [ -f run/cities/cities ]; then deploy/kejin-cities status; else deploy/kejin-node status; fi

format: ## format every C file (.clang-format, .clang-format-headers for .h)
	@clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c')
	@clang-format --style=file:.clang-format-headers -i \
	    $$(git ls-files --cached --others --exclude-standard '*.h')

po: $(BUILD)/kejin.pot ## gather marked messages into common/po/*.po to translate
	$(Q)for po in $(PO_FILES); do \
	    msgmerge --quiet --update --backup=none --no-fuzzy-matching \
	        --sort-by-file $$po $(BUILD)/kejin.pot || exit 1; \
	done
	@echo "po: translate the empty msgstr entries in $(PO_FILES)"

po-check: $(BUILD)/kejin.pot ## fail if a marked message has no translation
	$(Q)for po in $(PO_FILES); do \
	    msgcmp $$po $(BUILD)/kejin.pot 2>&1 \
	        | grep -v 'this message is not used' >&2; \
	    [ $${PIPESTATUS[0]} -eq 0 ] || { \
	        echo "po-check: $$po lacks the translations above: run" >&2 \
	             "\`make po\` and translate the empty msgstr entries"; \
	        exit 1; }; \
	done

clean: ## remove build/ and bin/ (not run/: `make down` first)
	rm -rf build build-san build-fuzz bin

help: ## list the targets
	@echo "Kejin: make <target> [V=1] [SAN=1]"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | \
	    sed -E 's/^([a-z]+):.*## (.*)/  \1\t\2/' | expand -t 12
	@echo
	@echo "  make up SCALE=registry=4     start 4 copies of kejin-registry"
	@echo "  make up CITIES=shenyang,anshan,dalian   a node per city, the first the hub"
	@echo "  make system T=broker         run one system test"
	@echo "  make bench B=broker          run one benchmark"
	@echo "  make fuzz F=proto FUZZ_SECONDS=60   run one fuzzer a minute"

-include $(shell find $(BUILD)/obj $(BUILD)/san/obj -name '*.d' 2>/dev/null)
