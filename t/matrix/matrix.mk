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

# To build httpd from a release tag: autotools, APR, PCRE (pcre3 for
# 2.4.52 and older, pcre2 after), nghttp2 for mod_http2, OpenSSL for
# mod_ssl.  Debian's apache2 and apache2-dev for the last row.
DEBS_MATRIX := make gcc libc6-dev autoconf libtool libtool-bin xz-utils \
    libapr1-dev libaprutil1-dev libpcre3-dev libpcre2-dev libnghttp2-dev \
    libssl-dev apache2 apache2-dev

.PHONY: matrix

matrix:
	@$(call need,$(DEBS_MATRIX) $(DEBS_IT))
	HTTPD_SOURCES="$(HTTPD_SOURCES)" SRC="$(SRC)" perl t/matrix/matrix.pl
