# Other architectures under qemu-user, included by Makefile.apxs (which
# gives TOP, SRC, PURE, UNIT_SRC, UNIT_ALT_CFLAGS, UNIT_ALT_CASE, SELF and
# the need macro):
#
#   make -f Makefile.apxs cross      for each of CROSS_ARCHS, on the
#                                    Debian release this machine runs: a
#                                    foreign root of that release's own
#                                    packages (t/cross/root.sh, cached),
#                                    the unit suite and the module
#                                    cross-built twice (as is and with
#                                    UNIT_ALT_CFLAGS), -Werror; the layout
#                                    of the counters, the unit suites and
#                                    Debian's own apache2 with each module
#                                    under qemu-user (t/cross/run.py);
#                                    then deb-cross (pkg/deb.mk).  One
#                                    line per architecture, "ARCH: N
#                                    passed, N failed"
#
# As root (debootstrap).  The roots live in
# $(EXPECT_CACHE)/cross/RELEASE/ARCH (/var/cache/mod_expect by default),
# made again when a week old or when CROSS_ROOT_DEBS or CROSS_ROOT_NODEPS
# (pkg/debs.mk) change.  CROSS_ARCHS=arm64 runs fewer; CROSS_JOBS (2)
# architectures run at a time.

CROSS_ARCHS ?= arm64 armhf i386 s390x
CROSS_JOBS  ?= 2
CROSS_CACHE  = $(or $(EXPECT_CACHE),/var/cache/mod_expect)/cross/$(DEB_RELEASE)

# DEBS_CROSS, CROSS_ROOT_DEBS and CROSS_ROOT_NODEPS are in pkg/debs.mk.

.PHONY: cross cross-archs

cross: cross-archs
	$(SELF) deb-cross

cross-archs:
	@[ "$$(id -u)" = 0 ] || \
	    { echo "cross makes foreign roots with debootstrap: run it as root" >&2; exit 1; }
	@$(call need,$(DEBS_CROSS))
	cd "$(TOP)" && CROSS_ARCHS="$(CROSS_ARCHS)" CROSS_JOBS="$(CROSS_JOBS)" \
	CROSS_CACHE="$(CROSS_CACHE)" CROSS_RELEASE="$(DEB_RELEASE)" \
	CROSS_SRC="$(SRC)" CROSS_PURE="$(PURE)" CROSS_UNIT_SRC="$(UNIT_SRC)" \
	CROSS_UNIT_ALT_CFLAGS="$(UNIT_ALT_CFLAGS)" \
	CROSS_UNIT_ALT_CASE="$(UNIT_ALT_CASE)" \
	CROSS_ROOT_DEBS="$(CROSS_ROOT_DEBS)" \
	CROSS_ROOT_NODEPS="$(CROSS_ROOT_NODEPS)" \
	    python3 t/cross/run.py
