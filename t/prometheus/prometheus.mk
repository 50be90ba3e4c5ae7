# mod_expect's counters in a real Prometheus, included by Makefile.apxs
# (which gives MOD, TOP, DEBIAN_HTTPD and the need macro).
#
#   make -f Makefile.apxs prometheus       two apache2 servers with the
#                                          module, Debian's prometheus
#                                          scraping their expect-metrics
#                                          every second and
#                                          prometheus-apache-exporter
#                                          reading ?auto; the checks of
#                                          t/prometheus/run.py
#   make -f Makefile.apxs prometheus-plot  the same fleet for PLOT_SECONDS
#                                          (120), the dashboard's graphs
#                                          drawn into docs/prometheus.png
#
# Every daemon is a child of run.py, on free ports of 127.0.0.1, with its
# files in a directory of its own under /tmp, stopped at the end.

# DEBS_PROMETHEUS and DEBS_PROMETHEUS_PLOT are in pkg/debs.mk.

.PHONY: prometheus prometheus-plot

# Debian's apache2 serves the fleet: a module built with another APXS
# would not load into it.
define debian_httpd_only
[ -n "$(DEBIAN_HTTPD)" ] || { echo "$@ runs Debian's apache2: build" \
    "the module with Debian's apxs (APXS=$(APXS) is another httpd's)" >&2; \
    exit 1; }
endef

prometheus: $(MOD)
	@$(debian_httpd_only)
	@$(call need,$(DEBS_PROMETHEUS))
	APACHE2=/usr/sbin/apache2 /usr/bin/python3 t/prometheus/run.py

prometheus-plot: $(MOD)
	@$(debian_httpd_only)
	@$(call need,$(DEBS_PROMETHEUS_PLOT))
	APACHE2=/usr/sbin/apache2 /usr/bin/python3 t/prometheus/run.py \
	    --plot docs/prometheus.png
