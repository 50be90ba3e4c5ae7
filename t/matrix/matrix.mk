# The release matrix, included by Makefile.apxs:
#
#   make -f Makefile.apxs matrix    the integration suite against each httpd
#                                   release in HTTPD_SOURCES and Debian's
#                                   apache2, then one table (t/matrix/matrix.pl)
#
# HTTPD_SOURCES (default ../shared/httpd) holds httpd-2.4.N.tar.xz, `git
# archive`s of the release tags; builds are cached in EXPECT_CACHE (default
# /var/cache/mod_expect), see t/matrix/build-httpd.sh.

HTTPD_SOURCES ?= $(TOP)/../shared/httpd

# DEBS_MATRIX is in pkg/debs.mk.

.PHONY: matrix

matrix:
	@$(call need,$(DEBS_MATRIX) $(DEBS_IT))
	HTTPD_SOURCES="$(HTTPD_SOURCES)" SRC="$(SRC)" perl t/matrix/matrix.pl
