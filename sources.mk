# The module's sources, named once.  Makefile.apxs and debian/rules
# include this file; mod_expect.spec asks it (make -s -f sources.mk).
#
# The glue (mod_expect*.c) includes httpd; the pure units (expect_*.c) do
# not, and the unit tests and fuzzers build them alone.

EXPECT_PURE := expect_buf.c expect_field.c expect_policy.c expect_scan.c \
               expect_counters.c expect_metrics.c
EXPECT_GLUE := mod_expect.c mod_expect_config.c mod_expect_hide.c \
               mod_expect_judge.c mod_expect_continue.c \
               mod_expect_counters.c mod_expect_status.c
EXPECT_SRC  := $(EXPECT_GLUE) $(EXPECT_PURE)
EXPECT_HDR  := $(EXPECT_PURE:.c=.h) mod_expect_private.h

# Run on its own (make -s -f sources.mk), it prints the sources.
ifeq ($(notdir $(firstword $(MAKEFILE_LIST))),sources.mk)
.PHONY: sources
sources:
	@echo $(EXPECT_SRC)
endif
