# Which Debian package gives each thing a target needs, for the Debian
# release this runs on: the one place in the tree that names packages.
# Included first by Makefile.apxs; every target's $(call need,...) and
# .ci/run (through `make -f Makefile.apxs debs`) take their lists from here.
#
# Known releases: bookworm (Debian 12) and trixie (Debian 13).  Where the
# two differ, the name is chosen below by what the release has; a release
# not in the tables is treated as the newest one known (trixie), and a
# package it lacks is named by apt-get when the target installs it.

DEB_RELEASE := $(shell . /etc/os-release 2>/dev/null && echo "$$VERSION_CODENAME")
ifeq ($(DEB_RELEASE),bookworm)
DEB_FAMILY := bookworm
else
DEB_FAMILY := trixie
endif
# The other release, which `make test` runs in a root of its own.
DEB_OTHER_bookworm := trixie
DEB_OTHER_trixie   := bookworm
DEB_OTHER := $(DEB_OTHER_$(DEB_FAMILY))

# A JDK for Java's HttpClient (t/interop): the release's default one
# (OpenJDK 17 on 12, 21 on 13; neither release has the other's).
DEB_JDK := default-jdk-headless

# clang's libFuzzer and sanitizer runtimes for the clang that `clang`
# gives (14 on 12, 19 on 13): the installed clang's major version when
# there is one, else the release's default.
DEB_CLANG_MAJOR_bookworm := 14
DEB_CLANG_MAJOR_trixie   := 19
DEB_CLANG_MAJOR := $(or $(shell clang -dumpversion 2>/dev/null | cut -d. -f1),$(DEB_CLANG_MAJOR_$(DEB_FAMILY)))
DEB_CLANG_RT := libclang-rt-$(DEB_CLANG_MAJOR)-dev

# PCRE 1, for httpd 2.4.52 and older (the RHEL 8 and Ubuntu 22.04 rows of
# the matrix, and the EL8 RPM).  Debian 12 has libpcre3-dev; Debian 13 has
# no PCRE 1 at all, so t/matrix/build-pcre.sh builds Debian 12's pcre3
# source package (dpkg-source unpacks it, with Debian's patches, and the
# autotools generate its build system again).
DEB_PCRE1_bookworm := libpcre3-dev
DEB_PCRE1_trixie   := dpkg-dev autoconf automake libtool gcc make
DEB_PCRE1 := $(DEB_PCRE1_$(DEB_FAMILY))

# Apache Traffic Server: in Debian 12, not in Debian 13.  A target that
# needs it says so where the release lacks it.
DEB_TRAFFICSERVER_bookworm := trafficserver
DEB_TRAFFICSERVER_trixie   :=
DEB_TRAFFICSERVER := $(DEB_TRAFFICSERVER_$(DEB_FAMILY))

# A crashed httpd's backtrace (t/cores.sh): gdb, and libc's symbols.
# httpd's own (apache2-bin-dbgsym) are in Debian's debug archive, which
# this machine cannot reach: Debian's apache2 shows its exported functions
# only, the release matrix's builds (-g) every frame with its line.
DEBS_CORES := gdb libc6-dbg

# Building the module, the unit suite, the integration suite (promtool,
# for t/metrics.t, is in prometheus: /usr/bin/promtool on 12 and 13).
DEBS_BUILD := apache2 apache2-dev gcc libc6-dev
DEBS_UNIT  := check pkg-config libapr1-dev
DEBS_IT    := apache2 libapache2-mod-perl2 libwww-perl python3 python3-h2 \
              curl openssl libio-socket-ssl-perl prometheus $(DEBS_CORES)


# Hardening (t/fuzz/fuzz.mk): clang with libFuzzer; gcc's sanitizer
# runtimes for the unit suite and the module.
DEBS_FUZZ := clang $(DEB_CLANG_RT) $(DEBS_UNIT)
DEBS_SAN  := gcc libasan8 libubsan1

# The Debian package (pkg/deb.mk).
DEBS_DEB := build-essential debhelper dpkg-dev fakeroot lintian apache2-dev git

# httpd releases from source (t/matrix/matrix.mk): autotools, APR, PCRE 1
# for 2.4.52 and older and PCRE2 after, nghttp2 for mod_http2, OpenSSL for
# mod_ssl.  Debian's apache2 and apache2-dev for the last row.
DEBS_MATRIX := make gcc libc6-dev autoconf libtool libtool-bin xz-utils \
    libapr1-dev libaprutil1-dev $(DEB_PCRE1) libpcre2-dev libnghttp2-dev \
    libssl-dev apache2 apache2-dev

# The RPMs (pkg/rpm.mk): rpm and rpmlint; debugedit and elfutils for
# find-debuginfo; dpkg-dev for dpkg-parsechangelog; what %check's unit
# tests need; the httpd builds; the wire checks' clients.
DEBS_RPM = rpm rpmlint debugedit elfutils dpkg-dev git gcc make \
    $(DEBS_UNIT) valgrind $(DEBS_MATRIX) curl perl python3

# Real clients (t/interop): curl, PHP's curl extension, Go with x/net's
# HTTP/2 (GOPATH mode: nothing fetched), a JDK, Node, botocore.
DEBS_INTEROP := apache2 curl php-cli php-curl golang-go \
    golang-golang-x-net-dev $(DEB_JDK) nodejs python3 python3-botocore

# Reverse proxies (t/proxies), with the clients it borrows from t/interop
# (its Go client needs x/net).
DEBS_PROXIES := apache2 haproxy nginx varnish squid caddy \
    $(DEB_TRAFFICSERVER) curl golang-go golang-golang-x-net-dev nodejs python3

# The Expect desync replay (t/desync): the fronts of t/proxies, Go and
# Node for their own proxies (Go in GOPATH mode: the standard library
# only), python3-h2 for the h2c cases.
DEBS_DESYNC := apache2 haproxy nginx varnish squid caddy \
    $(DEB_TRAFFICSERVER) golang-go nodejs python3 python3-h2

# A real Prometheus (t/prometheus): the server and promtool, and
# prometheus-apache-exporter, what the docs measure against; the slow
# scope's fixup is mod_lua's (in apache2-bin); gnuplot-nox draws the plot.
DEBS_PROMETHEUS := apache2 prometheus prometheus-apache-exporter python3
DEBS_PROMETHEUS_PLOT := $(DEBS_PROMETHEUS) gnuplot-nox

# Benchmarks (bench/bench.mk): wrk for keep-alive GETs, h2load for POSTs,
# valgrind for instructions a request.
DEBS_BENCH := apache2 apache2-dev wrk nghttp2-client valgrind curl perl \
              gcc libapr1-dev pkg-config

# Another Debian release's root (t/distro/run.sh).
DEBS_DISTRO := debootstrap tar findutils util-linux git

# Other architectures (t/cross/cross.mk): Debian's cross compilers;
# qemu's user-mode emulators, run by name, never registered with binfmt:
# on Debian 12 qemu-user-static (qemu-ARCH-static), on Debian 13 qemu-user,
# whose binaries are static there (its qemu-user-static is only links,
# and depends on qemu-user-binfmt, which registers them); debootstrap and
# wget for the foreign roots; pkg-config reads their .pc files; valgrind
# for its header (t/unit/main.c), which serves every CPU; gcc and APR's
# headers for the layout probe built for this machine.
DEB_QEMU_USER_bookworm := qemu-user-static
DEB_QEMU_USER_trixie   := qemu-user
DEB_QEMU_USER := $(DEB_QEMU_USER_$(DEB_FAMILY))
DEBS_CROSS := gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf \
    gcc-i686-linux-gnu gcc-s390x-linux-gnu $(DEB_QEMU_USER) debootstrap \
    wget util-linux pkg-config valgrind python3 gcc libapr1-dev
# The packages of each foreign root (of its architecture, from the same
# release): with their dependencies, what the unit suite and the module
# build against and what apache2 runs with; apache2-dev alone, for
# httpd's headers (its dependencies are a whole native toolchain).
CROSS_ROOT_DEBS := apache2-bin libapr1-dev libaprutil1-dev libc6-dev \
    check libsubunit-dev
CROSS_ROOT_NODEPS := apache2-dev
# The .deb for another architecture (make deb-cross): built in an amd64
# root of this release (dpkg --add-architecture happens there, never on
# the machine), checked here with lintian.  In the root: the cross
# compiler for CROSS_DEB_ARCH and what apt-get build-dep -a adds.
DEBS_DEB_CROSS := debootstrap tar util-linux git lintian dpkg-dev
CROSS_DEB_ROOT_DEBS = build-essential crossbuild-essential-$(CROSS_DEB_ARCH) \
    dpkg-dev debhelper

# What `make test` needs, for .ci/run's one apt-get (in the other release's
# root, where `make test` runs none of TEST_ONCE_STEPS, not what only they
# need: the RPM and matrix tools, the cross tools).
DEBS_TEST = make $(DEBS_BUILD) $(DEBS_UNIT) $(DEBS_IT) valgrind $(DEBS_FUZZ) \
    $(DEBS_SAN) $(DEBS_DEB) $(DEBS_INTEROP) $(DEBS_PROXIES) $(DEBS_DESYNC) \
    $(DEBS_PROMETHEUS) $(DEBS_DISTRO) perl \
    $(if $(MOD_EXPECT_DISTRO),,$(DEBS_RPM) $(DEBS_MATRIX) $(DEBS_CROSS) \
        $(DEBS_DEB_CROSS))
