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

DEB_OUT  ?= $(TOP)/.debbuild
# DEBS_DEB is in pkg/debs.mk.
DEB_NAME := libapache2-mod-expect

.PHONY: deb deb-test

deb:
	@$(call need,$(DEBS_DEB))
	sh "$(TOP)/pkg/build-deb.sh" "$(DEB_OUT)"
	lintian --fail-on error,warning --pedantic -I -E --show-overrides \
	    "$(DEB_OUT)"/$(DEB_NAME)_*.changes

deb-test: deb
	@[ "$$(id -u)" = 0 ] || \
	    { echo "deb-test installs and purges a package: run it as root" >&2; exit 1; }
	@$(call need,apache2 perl)
	sh "$(TOP)/debian/tests/installed" "$(DEB_OUT)"/$(DEB_NAME)_*.deb
	v=$$(dpkg-parsechangelog -l "$(TOP)/debian/changelog" -S Version) && \
	sh "$(TOP)/pkg/build-deb.sh" "$(DEB_OUT)/upgrade" "$$v+upgradetest1" && \
	sh "$(TOP)/pkg/upgrade-test.sh" "$(DEB_OUT)"/$(DEB_NAME)_"$$v"_*.deb \
	    "$(DEB_OUT)/upgrade"/$(DEB_NAME)_"$$v+upgradetest1"_*.deb
