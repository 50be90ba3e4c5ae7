# Benchmarks, included by Makefile.apxs (which gives MOD, PURE, CC, TOP and
# the need macro).
#
#   make -f Makefile.apxs bench         every figure, stock apache2 against
#                                       apache2 with mod_expect, and for
#                                       instructions a request the floor
#                                       (bench/mod_floor.c) too (a few
#                                       minutes on 2 cores); prints a table
#   make -f Makefile.apxs bench-quick   the same, shorter and rougher
#   make -f Makefile.apxs bench BENCH_ARGS='--only 3,6'
#                                       some of the figures (1 to 6)
#   make -f Makefile.apxs continue-plot a sample of 100-continue uploads
#                                       against apache2 with mod_expect,
#                                       drawn as bench/continue.png (the
#                                       delay to the 100, the outcomes);
#                                       CONTINUE_LOG=file plots that log
#
# bench/run.pl does the work; bench/RESULTS.md tells what each figure is.
# Servers listen on 127.0.0.1 only and are stopped when it ends.

BENCH_ARGS ?=
# DEBS_BENCH is in pkg/debs.mk.

FLOOR := bench/.libs/mod_floor.so

.PHONY: bench bench-quick bench-clean continue-plot

CONTINUE_LOG ?= --sample

continue-plot: $(MOD)
	@$(call need,apache2 gnuplot-nox perl)
	perl bench/continue-plot $(CONTINUE_LOG) bench/continue.png

bench: $(MOD) $(FLOOR) bench/parse_bench
	@$(call need,$(DEBS_BENCH))
	perl bench/run.pl $(BENCH_ARGS)

bench-quick: $(MOD) $(FLOOR) bench/parse_bench
	@$(call need,$(DEBS_BENCH))
	perl bench/run.pl --quick $(BENCH_ARGS)

# The floor: a module for the benchmark only, built as mod_expect is and
# never installed.
$(FLOOR): bench/mod_floor.c
	@$(call need,$(DEBS_BUILD))
	cd bench && $(APXS) -c -Wc,-Wall -Wc,-Wextra -Wc,-Werror mod_floor.c

# The parser alone, over APR, built as the unit tests build it but with
# optimisation.
bench/parse_bench: bench/parse_bench.c $(PURE) $(PURE:.c=.h)
	@$(call need,gcc libapr1-dev pkg-config)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -Werror -I. \
	    $$(pkg-config --cflags apr-1) -o $@ bench/parse_bench.c \
	    $(PURE) $$(pkg-config --libs apr-1)

bench-clean:
	rm -rf bench/continue.png bench/continue-sample.log
	rm -rf bench/parse_bench bench/.libs bench/*.la bench/*.lo bench/*.slo \
	    bench/*.o
