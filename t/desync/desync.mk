# The 2025 Expect-based desync techniques through every front, included by
# Makefile.apxs (which gives MOD, TOP and the need macro).
#
#   make -f Makefile.apxs desync    0.CL, CL.0, obfuscated Expect values,
#                                   HEAD, chunked and HTTP/1.0 cases through
#                                   every front of make proxies and the
#                                   variants the research names (Go, Node,
#                                   mod_proxy_http, ...), A/B against stock
#                                   apache2, and over h2c directly
#
# t/desync/run.py says what each case checks; it starts every daemon itself
# (t/lib/fronts.py, from t/proxies' configurations), prints the table and
# "N passed, N failed", and fails on any failed case.  FRONTS=haproxy,h2
# and CASES=0cl-404 narrow the run.  About 3 minutes on a busy 2-core
# machine.

# DEBS_DESYNC is in pkg/debs.mk: trafficserver only where the release
# ships it (Debian 12, not 13); run.py names the fronts the release lacks.

.PHONY: desync

# Debian's apache2 is the origin: a module built with another APXS would
# not load into it.
desync: $(MOD)
	@[ -n "$(DEBIAN_HTTPD)" ] || { echo "desync runs Debian's apache2: build" \
	    "the module with Debian's apxs (APXS=$(APXS) is another httpd's)" >&2; \
	    exit 1; }
	@$(call need,$(DEBS_DESYNC))
	APACHE2=/usr/sbin/apache2 MODULE="$(abspath $(MOD))" \
	    PROXIES_UNSHIPPED="$(if $(DEB_TRAFFICSERVER),,trafficserver)" \
	    /usr/bin/python3 $(TOP)/t/desync/run.py
