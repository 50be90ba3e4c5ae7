# The Debian package libapache2-mod-expect (debian/, pkg/), included by
# Makefile.apxs:
#
#   make -f Makefile.apxs deb        build it from a clean copy of the tree
#                                    (dpkg-buildpackage -us -uc -b) into
#                                    $(DEB_OUT), then lintian: no error, no
#                                    warning
#   make -f Makefile.apxs deb-test   as root: debian/tests/installed on the
#                                    .deb (install, a2enmod, configtest, the
#                                    system's apache2 on a free 127.0.0.1
#                                    port, purge), then pkg/upgrade-test.sh
#                                    from it to a build of the same tree
#                                    under a higher version
#   make -f Makefile.apxs deb-cross  as root: the package cross-built for
#                                    CROSS_DEB_ARCH (arm64) with
#                                    dpkg-buildpackage -a, in an amd64
#                                    root of this release
#                                    (pkg/build-deb-cross.sh), into
#                                    $(DEB_OUT)/ARCH; the same lintian;
#                                    its files checked by
#                                    pkg/deb-contents.sh, as the amd64
#                                    package's are, and against that
#                                    package's list when one is in
#                                    $(DEB_OUT)

DEB_OUT  ?= $(TOP)/.debbuild
# DEBS_DEB is in pkg/debs.mk.
DEB_NAME := libapache2-mod-expect

CROSS_DEB_ARCH ?= arm64

.PHONY: deb deb-test deb-cross

deb:
	@$(call need,$(DEBS_DEB))
	sh "$(TOP)/pkg/build-deb.sh" "$(DEB_OUT)"
	lintian --fail-on error,warning --pedantic -I -E --show-overrides \
	    "$(DEB_OUT)"/$(DEB_NAME)_*.changes
	sh "$(TOP)/pkg/deb-contents.sh" "$(DEB_OUT)"/$(DEB_NAME)_*.deb

# CROSS_CACHE is t/cross/cross.mk's.
deb-cross:
	@[ "$$(id -u)" = 0 ] || \
	    { echo "deb-cross builds in a chroot: run it as root" >&2; exit 1; }
	@$(call need,$(DEBS_DEB_CROSS))
	CROSS_CACHE="$(CROSS_CACHE)" \
	CROSS_DEB_ROOT_DEBS="$(CROSS_DEB_ROOT_DEBS)" \
	    sh "$(TOP)/pkg/build-deb-cross.sh" $(CROSS_DEB_ARCH) \
	    "$(DEB_OUT)/$(CROSS_DEB_ARCH)"
	lintian --fail-on error,warning --pedantic -I -E --show-overrides \
	    "$(DEB_OUT)/$(CROSS_DEB_ARCH)"/$(DEB_NAME)_*_$(CROSS_DEB_ARCH).changes
	sh "$(TOP)/pkg/deb-contents.sh" \
	    "$(DEB_OUT)/$(CROSS_DEB_ARCH)"/$(DEB_NAME)_*_$(CROSS_DEB_ARCH).deb \
	    $(or $(firstword $(wildcard $(DEB_OUT)/$(DEB_NAME)_*_amd64.deb)),none)

deb-test: deb
	@[ "$$(id -u)" = 0 ] || \
	    { echo "deb-test installs and purges a package: run it as root" >&2; exit 1; }
	@$(call need,apache2 perl)
	sh "$(TOP)/debian/tests/installed" "$(DEB_OUT)"/$(DEB_NAME)_*.deb
	v=$$(dpkg-parsechangelog -l "$(TOP)/debian/changelog" -S Version) && \
	sh "$(TOP)/pkg/build-deb.sh" "$(DEB_OUT)/upgrade" "$$v+upgradetest1" && \
	sh "$(TOP)/pkg/upgrade-test.sh" "$(DEB_OUT)"/$(DEB_NAME)_"$$v"_*.deb \
	    "$(DEB_OUT)/upgrade"/$(DEB_NAME)_"$$v+upgradetest1"_*.deb
