# The RPMs for the RHEL family (mod_expect.spec, pkg/), included by
# Makefile.apxs:
#
#   make -f Makefile.apxs rpm        for each of EL8 (httpd 2.4.37) and EL9
#                                    (2.4.62): that release built from
#                                    source (t/matrix/build-httpd.sh), then
#                                    pkg/build-rpm.sh: the source RPM
#                                    (rpmbuild -bs) and from it the binary
#                                    RPMs (rpmbuild --rebuild) in
#                                    $(RPM_OUT)/elN, with pkg/el-macros.in
#                                    standing in for httpd-devel's macros;
#                                    then rpmlint: no error, no warning
#                                    (pkg/mod_expect.rpmlintrc says why
#                                    each message it filters does not apply)
#   make -f Makefile.apxs rpm-test   as root: pkg/rpm-test.sh on each
#                                    release's RPM (rpm --root into a
#                                    scratch root laid out like EL, that
#                                    release's httpd on a free 127.0.0.1
#                                    port, the wire checks, rpm -e)

RPM_OUT ?= $(TOP)/.rpmbuild
# EL release and the httpd release it ships.
RPM_RELEASES := 8:2.4.37 9:2.4.62
# DEBS_RPM is in pkg/debs.mk.

.PHONY: rpm rpm-test

# $(call rpm_httpd,VERSION): the prefix of that httpd's build.
rpm_httpd = sh "$(TOP)/t/matrix/build-httpd.sh" "$(HTTPD_SOURCES)/httpd-$(1).tar.xz"

# rpmlint looks at one release at a time: given the source RPMs of both
# (two mod_expect.src), it counts two spec files for one package.
rpm:
	@$(call need,$(DEBS_RPM))
	@set -e; for r in $(RPM_RELEASES); do \
	    el=$${r%%:*}; v=$${r#*:}; \
	    echo "EL$$el: httpd $$v"; \
	    prefix=$$($(call rpm_httpd,$$v)); \
	    sh "$(TOP)/pkg/build-rpm.sh" "$(RPM_OUT)" $$el "$$prefix/bin/apxs"; \
	done
	@set -e; for r in $(RPM_RELEASES); do \
	    el=$${r%%:*}; log="$(RPM_OUT)/el$$el/rpmlint.log"; \
	    echo "rpmlint, EL$$el:"; \
	    rpmlint -r "$(TOP)/pkg/mod_expect.rpmlintrc" "$(TOP)/mod_expect.spec" \
	        "$(RPM_OUT)"/el$$el/SRPMS/*.src.rpm "$(RPM_OUT)"/el$$el/RPMS/*/*.rpm \
	        >"$$log" 2>&1 || true; \
	    cat "$$log"; \
	    grep -q ' 0 errors, 0 warnings' "$$log" || \
	        { echo "rpmlint: errors or warnings for EL$$el, see above" >&2; exit 1; }; \
	done

rpm-test: rpm
	@[ "$$(id -u)" = 0 ] || \
	    { echo "rpm-test installs RPMs with rpm --root and runs httpd as nobody: run it as root" >&2; exit 1; }
	@fail=0; for r in $(RPM_RELEASES); do \
	    el=$${r%%:*}; v=$${r#*:}; \
	    prefix=$$($(call rpm_httpd,$$v)) || exit 1; \
	    sh "$(TOP)/pkg/rpm-test.sh" $$el "$$prefix" \
	        "$(RPM_OUT)"/el$$el/RPMS/*/mod_expect-[0-9]*.el$$el.*.rpm \
	        >"$(RPM_OUT)/el$$el/rpm-test.log" 2>&1 || fail=1; \
	    cat "$(RPM_OUT)/el$$el/rpm-test.log"; \
	done; \
	sed -n 's/^rpm-test EL[0-9]*: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' \
	    "$(RPM_OUT)"/el*/rpm-test.log | \
	    awk '{ p += $$1; f += $$2 } END { printf "rpm-test: %d passed, %d failed\n", p, f }'; \
	[ $$fail = 0 ]
