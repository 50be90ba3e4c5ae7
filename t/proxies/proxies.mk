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

# trafficserver is in Debian 12 but not in Debian 13: it is asked for only
# where apt has it, and run.py says in its summary that the release lacks
# it (the other fronts still run).
DEBS_PROXIES := apache2 haproxy nginx varnish squid caddy curl golang-go \
                golang-golang-x-net-dev nodejs python3 \
                $(shell apt-cache policy trafficserver 2>/dev/null | \
                    grep -q 'Candidate: [0-9]' && echo trafficserver)

.PHONY: proxies

# Debian's apache2 is the origin: a module built with another APXS would
# not load into it.
proxies: $(MOD)
	@[ -n "$(DEBIAN_HTTPD)" ] || { echo "proxies runs Debian's apache2: build" \
	    "the module with Debian's apxs (APXS=$(APXS) is another httpd's)" >&2; \
	    exit 1; }
	@$(call need,$(DEBS_PROXIES))
	APACHE2=/usr/sbin/apache2 /usr/bin/python3 t/proxies/run.py
