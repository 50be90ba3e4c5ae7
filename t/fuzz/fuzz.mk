# Hardening targets, included by Makefile.apxs (which gives PURE, SRC, APXS,
# CC, TOP, MPM, the DEBS_* lists and the need macro).
#
#   make -f Makefile.apxs fuzz              every libFuzzer target for
#                                           FUZZ_SECONDS (60) each
#   make -f Makefile.apxs unit-asan         the Check suite under ASan+UBSan
#   make -f Makefile.apxs unit-valgrind     the Check suite under memcheck
#   make -f Makefile.apxs integration-asan  the Apache::Test suite against a
#                                           module built with ASan+UBSan
#
# Each fails on any sanitizer report, leak, memcheck error, crash or
# timeout.  FUZZ_TARGETS=scan runs one fuzz target.  An input that fails is
# kept (the path is printed): `t/fuzz/fuzz_scan FILE` runs it again, and it
# becomes a unit test in t/unit/.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS := field scan
FUZZ_BINS    := $(FUZZ_TARGETS:%=t/fuzz/fuzz_%)

# DEBS_FUZZ (clang and the runtimes of its libFuzzer) and DEBS_SAN (gcc's
# sanitizer runtimes) are in pkg/debs.mk.

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
# What any sanitizer says, in a log.  Every report has one of these.
SAN_REPORT := ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|ERROR: libFuzzer

.PHONY: fuzz fuzz-build unit-asan unit-valgrind integration-asan

fuzz-build: $(FUZZ_BINS)

# pool_shim.h goes into every file so that ASan sees each pool allocation
# on its own (see there).
t/fuzz/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/pool_shim.c t/fuzz/pool_shim.h \
               $(PURE) $(PURE:.c=.h)
	@$(call need,$(DEBS_FUZZ))
	$(FUZZ_CC) -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer $(SAN_FLAGS) \
	    -I. -It/fuzz -include t/fuzz/pool_shim.h \
	    $$(pkg-config --cflags apr-1) -o $@ \
	    $< t/fuzz/pool_shim.c $(PURE) $$(pkg-config --libs apr-1)

# Each target runs on a scratch copy of its seed corpus, so what it learns
# stays out of the tree.  libFuzzer exits non-zero on a crash, a sanitizer
# report, a leak, a timeout (-timeout) or running out of memory; its log is
# searched as well, in case a report did not stop it.  The scratch
# directory of a failed run is kept: it holds the input that failed.
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    work=$$(mktemp -d /tmp/mod_expect-fuzz-$$t.XXXXXX); \
	    mkdir "$$work/corpus"; \
	    cp t/fuzz/corpus/$$t/* "$$work/corpus/"; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS)s from $$(ls t/fuzz/corpus/$$t | wc -l) seeds"; \
	    start=$$(date +%s); \
	    t/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -error_exitcode=77 -timeout_exitcode=78 -rss_limit_mb=2048 \
	        -dict=t/fuzz/expect.dict -artifact_prefix="$$work/" \
	        -print_final_stats=1 "$$work/corpus" >"$$work/log" 2>&1; \
	    status=$$?; \
	    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
	        "$$work/log" | sed "s/^/    /"; \
	    echo "    $$(($$(date +%s) - start))s, exit $$status"; \
	    if [ $$status -ne 0 ] || grep -Eq '$(SAN_REPORT)' "$$work/log"; then \
	        grep -E -A30 '$(SAN_REPORT)|check failed|deadly signal|Test unit written' \
	            "$$work/log" | head -80 >&2; \
	        echo "fuzz_$$t FAILED: log and input kept in $$work" >&2; \
	        exit 1; \
	    fi; \
	    rm -rf "$$work"; \
	done

# The unit suite's sources, with the sanitizers.  CK_FORK=no runs every
# test in this one process, so LeakSanitizer sees the whole run at exit
# (the suite destroys its pools and calls apr_terminate: what is left is a
# real leak).  When a test fails, run_unit exits without a leak check (see
# t/unit/main.c): the failure shows alone.
t/unit/run_unit_asan: $(wildcard t/unit/*.c t/unit/*.h) $(PURE) $(PURE:.c=.h)
	@$(call need,$(DEBS_UNIT) $(DEBS_SAN) valgrind)
	$(CC) -std=gnu99 -Wall -Wextra -Werror -g -O1 $(SAN_FLAGS) -I. \
	    $$(pkg-config --cflags apr-1 check) -o $@ \
	    $(wildcard t/unit/*.c) $(PURE) $$(pkg-config --libs apr-1 check)

unit-asan: t/unit/run_unit_asan
	@log=$$(mktemp); \
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    t/unit/run_unit_asan >"$$log" 2>&1; \
	status=$$?; \
	cat "$$log"; \
	if grep -Eq '$(SAN_REPORT)' "$$log"; then status=1; fi; \
	rm -f "$$log"; \
	echo "unit suite under ASan+UBSan: exit $$status"; \
	exit $$status

# --errors-for-leak-kinds=definite: a block nothing points to any more is
# an error; memory still reachable at exit (Check's, the C library's) is
# not.  --leak-check=no: run_unit asks memcheck for the full check itself
# once every test has passed (see t/unit/main.c), so that a failed test
# shows alone.
unit-valgrind: t/unit/run_unit
	@$(call need,valgrind)
	CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=no \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    t/unit/run_unit

# The module is built with the sanitizers in a copy of the tree, so the
# normal .libs/mod_expect.so stays as it is, and the suite runs from that
# copy (its t/conf loads @ServerRoot@/../.libs/mod_expect.so).  Reports are
# searched in three places: ASan's files (t/asan-httpd.sh), the error log
# (t/integration.sh) and the suite's output, which has httpd's stderr from
# before its logs are open.
integration-asan:
	@$(call need,$(DEBS_BUILD) $(DEBS_IT) $(DEBS_SAN))
	@tmp=$$(mktemp -d /tmp/mod_expect-asan.XXXXXX); \
	trap 'rm -rf "$$tmp"' EXIT; \
	chmod 755 "$$tmp"; \
	cp -a "$(TOP)/." "$$tmp/"; \
	rm -rf "$$tmp/.git" "$$tmp/.libs" "$$tmp"/*.la "$$tmp"/*.lo \
	    "$$tmp"/*.slo "$$tmp"/*.o; \
	mkdir -m 1777 "$$tmp/sanitizer-logs"; \
	( cd "$$tmp" && $(APXS) -c -Wc,-Wall -Wc,-Wextra \
	    -Wc,-fsanitize=address,undefined -Wc,-fno-omit-frame-pointer \
	    -Wl,-fsanitize=address,undefined $(SRC) >build.log 2>&1 ) \
	    || { cat "$$tmp/build.log"; exit 1; }; \
	nm -D "$$tmp/$(MOD)" | grep -q __asan_report \
	    || { echo "$(MOD) is not instrumented" >&2; exit 1; }; \
	{ EXPECT_HTTPD="$$tmp/t/asan-httpd.sh" \
	  EXPECT_SANITIZER_LOG="$$tmp/sanitizer-logs" \
	      sh "$$tmp/t/integration.sh" $(MPM) 2>&1; \
	  echo $$? >"$$tmp/status"; } | tee "$$tmp/suite.log"; \
	status=$$(cat "$$tmp/status"); \
	if grep -Eq '$(SAN_REPORT)' "$$tmp/suite.log"; then status=1; fi; \
	if grep -Elrq '$(SAN_REPORT)' "$$tmp/sanitizer-logs"; then \
	    echo "sanitizer reports (MPM $(MPM)):" >&2; \
	    cat "$$tmp"/sanitizer-logs/* >&2; \
	    status=1; \
	fi; \
	echo "integration suite with an ASan+UBSan module: exit $$status"; \
	exit $$status
