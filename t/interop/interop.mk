# Real-client interop suite, included by Makefile.apxs (which gives MOD,
# TOP and the need macro).
#
#   make -f Makefile.apxs interop   curl, PHP's curl extension, Go net/http
#                                   (and x/net/http2 for h2c), Java's
#                                   HttpClient (the release's JDK),
#                                   Node's http and http2, botocore's
#                                   S3 PutObject, against Debian's
#                                   apache2 with the module,
#                                   straight and through a front that
#                                   keeps the connection open after a 417
#
# t/interop/run.py says what each case checks; it prints the table and
# "N passed, N failed", and fails on any failed case.  CLIENTS=go,node runs
# some of the clients.  Debian's golang-golang-x-net-dev gives Go its
# HTTP/2 client in GOPATH mode: nothing is fetched.

# DEBS_INTEROP is in pkg/debs.mk.

.PHONY: interop

# The suite runs Debian's apache2: a module built with another APXS would
# not load into it.
interop: $(MOD)
	@[ -n "$(DEBIAN_HTTPD)" ] || { echo "interop runs Debian's apache2: build" \
	    "the module with Debian's apxs (APXS=$(APXS) is another httpd's)" >&2; \
	    exit 1; }
	@$(call need,$(DEBS_INTEROP))
	APACHE2=/usr/sbin/apache2 /usr/bin/python3 t/interop/run.py
