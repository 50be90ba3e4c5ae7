# mod_expect behind reverse proxies, included by Makefile.apxs (which gives
# MOD, TOP and the need macro).
#
#   make -f Makefile.apxs proxies   Debian's haproxy, nginx, varnish,
#                                   trafficserver, squid and caddy in front
#                                   of apache2 with the module and of stock
#                                   apache2; curl, Go and Node (from
#                                   t/interop/clients) and a raw socket
#                                   client
#
# t/proxies/run.py says what each case checks; it starts every daemon
# itself (never the system's services), prints the table and
# "N passed, N failed", and fails on any failed row.  PROXIES=nginx,
# CLIENTS=raw and PROXY_CONFIG=default (without the tested fixes) narrow
# or vary the run.

# DEBS_PROXIES is in pkg/debs.mk: trafficserver only where the release
# ships it (Debian 12, not 13); run.py says in its summary that the
# release lacks it, and the other fronts still run.

.PHONY: proxies

# Debian's apache2 is the origin: a module built with another APXS would
# not load into it.
proxies: $(MOD)
	@[ -n "$(DEBIAN_HTTPD)" ] || { echo "proxies runs Debian's apache2: build" \
	    "the module with Debian's apxs (APXS=$(APXS) is another httpd's)" >&2; \
	    exit 1; }
	@$(call need,$(DEBS_PROXIES))
	APACHE2=/usr/sbin/apache2 \
	    PROXIES_UNSHIPPED="$(if $(DEB_TRAFFICSERVER),,trafficserver)" \
	    /usr/bin/python3 t/proxies/run.py
