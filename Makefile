# Folio -- top-level build. GNU make; every library through pkg-config.
#   make                 build server/foliod and tui/folio
#   make SANITIZE=1      the same with AddressSanitizer + UBSan
#   make check           install what is missing, start PostgreSQL and SMTP, run every test
#   make demo            the same set-up, a seeded demo firm, the server and the TUI
#   make bench           benchmarks (docs/BENCHMARKS.md)
#   make fuzz            each libFuzzer target (or FUZZ_TARGETS=NAME) FUZZ_SECONDS (default 60) on its
#                        corpus (README, "Fuzzing")
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/folio
DOCDIR ?= $(PREFIX)/share/doc/folio
UNITDIR ?= $(PREFIX)/lib/systemd/system
LOCALEDIR ?= $(PREFIX)/share/locale

CC ?= cc
PKG_CONFIG ?= pkg-config
V := $(if $(SANITIZE),asan,release)
OUT := build/$(V)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ifdef SANITIZE
CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
CPPFLAGS += -D_GNU_SOURCE -Icommon -DFOLIO_SQL_DIR='"$(DATADIR)/sql"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(CPPFLAGS)

SERVER_PKGS := libwebsockets json-c libpq libcurl libsodium libcmark libsystemd pwquality liboath \
    libmagic openssl
TUI_PKGS := ncursesw json-c libcurl libwebsockets openssl
SERVER_LIBS = $(shell $(PKG_CONFIG) --libs $(SERVER_PKGS)) -lpthread -lm
TUI_LIBS = $(shell $(PKG_CONFIG) --libs $(TUI_PKGS)) -lpthread
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(SERVER_PKGS) $(TUI_PKGS))

COMMON_SRC := $(sort $(wildcard common/*.c))
SERVER_SRC := $(sort $(wildcard server/*.c))
TUI_SRC := $(sort $(wildcard tui/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(OUT)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(OUT)/%.o)
TUI_OBJ := $(TUI_SRC:%.c=$(OUT)/%.o)
# Unit tests link the program's objects except the file holding main().
SERVER_LIB_OBJ := $(filter-out $(OUT)/server/foliod.o,$(SERVER_OBJ))
TUI_LIB_OBJ := $(filter-out $(OUT)/tui/folio.o,$(TUI_OBJ))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/%)

.PHONY: all clean check demo bench install lint unit fuzz fuzz-replay FORCE
all: server/foliod tui/folio

# The client's translations (tui/po/LANG.po, see tui/i18n.c): build/locale/LANG/LC_MESSAGES/folio.mo,
# which tui/folio finds from the source tree; `make pot` extracts tui/po/folio.pot again.
TUI_MO := $(patsubst tui/po/%.po,build/locale/%/LC_MESSAGES/folio.mo,$(wildcard tui/po/*.po))
all: $(TUI_MO)
build/locale/%/LC_MESSAGES/folio.mo: tui/po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@.tmp $< && mv -f $@.tmp $@
$(OUT)/tui/i18n.o: CPPFLAGS += -DFOLIO_LOCALEDIR='"$(LOCALEDIR)"'
# The server's mail in the firm's language (server/po/LANG.po, see server/mail-lang.c): the
# text domain "foliod", beside the client's; `make pot` extracts server/po/foliod.pot too.
SERVER_MO := $(patsubst server/po/%.po,build/locale/%/LC_MESSAGES/foliod.mo,$(wildcard server/po/*.po))
all: $(SERVER_MO)
build/locale/%/LC_MESSAGES/foliod.mo: server/po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@.tmp $< && mv -f $@.tmp $@
$(OUT)/server/mail-lang.o: CPPFLAGS += -DFOLIO_LOCALEDIR='"$(LOCALEDIR)"'
.PHONY: pot install-locale
pot:
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --add-comments=TRANSLATORS \
	    --package-name=folio --sort-by-file -o tui/po/folio.pot $(TUI_SRC)
	xgettext --from-code=UTF-8 --language=C --keyword=T --keyword=NP_:1c,2 \
	    --keyword=mail_lang_text:2 --add-comments=TRANSLATORS --package-name=foliod --sort-by-file \
	    -o server/po/foliod.pot server/mail-compose.c server/mail-lang.c
install: install-locale
install-locale: $(TUI_MO) $(SERVER_MO)
	for mo in $(TUI_MO) $(SERVER_MO); do l=$${mo#build/locale/}; l=$${l%%/*}; \
	    install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
	    install -m 644 $$mo $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/$${mo##*/} || exit 1; done

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/foliod: $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

$(OUT)/folio: $(TUI_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TUI_LIBS)

# The installed names always point at the variant last built.
server/foliod: $(OUT)/foliod FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }
tui/folio: $(OUT)/folio FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

# Unit tests: test-server-* link the server's objects, test-tui-* the client's, the rest only common/.
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)
$(OUT)/tests/test-server-%: tests/unit/test-server-%.c $(SERVER_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Iserver -Itests/unit $(LDFLAGS) -o $@ $^ $(SERVER_LIBS) $(CHECK_LIBS)

$(OUT)/tests/test-tui-%: tests/unit/test-tui-%.c $(TUI_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Itui -Itests/unit $(LDFLAGS) -o $@ $^ $(TUI_LIBS) $(CHECK_LIBS)

$(OUT)/tests/test-%: tests/unit/test-%.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $^ $(SERVER_LIBS) $(CHECK_LIBS)

unit: $(UNIT_BIN)

# Fuzz targets (tests/fuzz/fuzz_NAME.c; README, "Fuzzing"). fuzz_tui_* link the client's objects,
# the rest the server's. `make check` replays each kept corpus (tests/fuzz/corpus/NAME/) through
# $(OUT)/tests/replay-NAME, the target with tests/fuzz/replay.c's main(), in the variant it builds.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TUI_NAMES := $(filter tui_%,$(FUZZ_NAMES))
FUZZ_SERVER_NAMES := $(filter-out tui_%,$(FUZZ_NAMES))
fuzz-replay: $(FUZZ_NAMES:%=$(OUT)/tests/replay-%)

$(FUZZ_TUI_NAMES:%=$(OUT)/tests/replay-%): $(OUT)/tests/replay-%: tests/fuzz/fuzz_%.c \
    tests/fuzz/replay.c $(TUI_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Itui $(LDFLAGS) -o $@ $^ $(TUI_LIBS)

$(FUZZ_SERVER_NAMES:%=$(OUT)/tests/replay-%): $(OUT)/tests/replay-%: tests/fuzz/fuzz_%.c \
    tests/fuzz/replay.c $(SERVER_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Iserver $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

# `make fuzz`: every object again with clang, libFuzzer's coverage, ASan and UBSan into
# build/fuzz/; each target runs FUZZ_SECONDS, growing its working corpus build/fuzz/corpus/NAME/
# (kept between runs) from the seeds in tests/fuzz/corpus/NAME/ and the tokens in
# tests/fuzz/NAME.dict (FUZZ_TARGETS="json documents": only those). A crash stops the run and
# leaves its input in build/fuzz/NAME-crash-*: fix the bug, then add the input to the kept corpus.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_OUT := build/fuzz
FUZZ_CFLAGS := -std=c11 $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=undefined
FUZZ_COMMON_OBJ := $(COMMON_SRC:%.c=$(FUZZ_OUT)/%.o)
FUZZ_SERVER_OBJ := $(filter-out $(FUZZ_OUT)/server/foliod.o,$(SERVER_SRC:%.c=$(FUZZ_OUT)/%.o))
FUZZ_TUI_OBJ := $(filter-out $(FUZZ_OUT)/tui/folio.o,$(TUI_SRC:%.c=$(FUZZ_OUT)/%.o))

$(FUZZ_COMMON_OBJ) $(FUZZ_SERVER_OBJ) $(FUZZ_TUI_OBJ): $(FUZZ_OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_TUI_NAMES:%=$(FUZZ_OUT)/fuzz_%): $(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_TUI_OBJ) \
    $(FUZZ_COMMON_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(CPPFLAGS) $(PKG_CFLAGS) -Itui -o $@ $^ $(TUI_LIBS)

$(FUZZ_SERVER_NAMES:%=$(FUZZ_OUT)/fuzz_%): $(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SERVER_OBJ) \
    $(FUZZ_COMMON_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(CPPFLAGS) $(PKG_CFLAGS) -Iserver -o $@ $^ $(SERVER_LIBS)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_OUT)/corpus/$$t; \
	    dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	    $(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $$dict \
	        -artifact_prefix=$(FUZZ_OUT)/$$t- $(FUZZ_OUT)/corpus/$$t tests/fuzz/corpus/$$t \
	        >$(FUZZ_OUT)/$$t.log 2>&1 || { tail -50 $(FUZZ_OUT)/$$t.log; echo "fuzz_$$t: failed"; exit 1; }; \
	    awk -v t=fuzz_$$t '/^stat::number_of_executed_units/ { n = $$2 } \
	        /^stat::average_exec_per_sec/ { r = $$2 } \
	        END { printf "%-20s %10d execs %8d exec/s\n", t, n, r }' $(FUZZ_OUT)/$$t.log; \
	done

check:
	@tests/run $(if $(SANITIZE),--sanitize,)

demo:
	@tests/demo.sh

bench:
	@tests/bench/run

lint:
	mandoc -Tlint -W warning man/*.[0-9]

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/sql \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 755 tui/folio $(DESTDIR)$(BINDIR)/folio
	install -m 755 server/foliod $(DESTDIR)$(SBINDIR)/foliod
	install -m 644 sql/*.sql $(DESTDIR)$(DATADIR)/sql/
	for m in man/*.[1578]; do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	# systemd units (their paths follow SBINDIR and DOCDIR), the example environment
	# file, the operations guide and the nginx configuration (docs/OPERATIONS.md).
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/nginx
	for u in server/systemd/*.service; do \
	    sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/share/doc/folio/|$(DOCDIR)/|g' $$u \
	        >$(DESTDIR)$(UNITDIR)/$${u##*/} && chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	install -m 644 server/systemd/foliod.env $(DESTDIR)$(DATADIR)/foliod.env
	install -m 644 docs/OPERATIONS.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/nginx/folio.conf $(DESTDIR)$(DOCDIR)/nginx/

clean:
	rm -rf build server/foliod tui/folio

-include $(shell find build -name '*.d' 2>/dev/null)
