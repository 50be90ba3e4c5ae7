#!/bin/sh
# Runs the Apache::Test suite against an httpd and the freshly built
# module, under the MPM given ($1: event, worker or prefork); any further
# arguments (test files) go to t/TEST.PL.
#
# APXS names the httpd's apxs (default: apxs on PATH, Debian's
# /usr/bin/apxs) and HTTPD its binary (default: the apxs's SBINDIR and
# PROGNAME, else /usr/sbin/apache2).  The module must have been built with
# that apxs.  The test configuration loads modules from the apxs's
# LIBEXECDIR (EXPECT_LIBEXECDIR, exported for httpd to expand).
# EXPECT_HTTPD names a wrapper to start instead of HTTPD (the sanitizer
# run uses one); it gets HTTPD as EXPECT_APACHE2.
#
# Apache::Test refuses to run as root, so as root the suite runs as
# "nobody" on a copy of the tree that nobody owns.  Whatever happens, the
# test server is stopped and the error log is searched for crashes.
#
# Every httpd the suite starts goes through t/httpd-cores.sh, so that a
# crashed one leaves its core (t/cores.sh), and each core's backtrace is
# printed here.  A crash fails the run.  A failed run keeps its logs
# (t/logs), cores and backtraces in a folder of EXPECT_LOGS (default
# /var/tmp/mod_expect-logs), named at the end.
set -u
mpm=${1:-event}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)

apxs=${APXS:-apxs}
case $apxs in
    */*) ;;
    *) apxs=$(command -v "$apxs") || apxs=/usr/bin/apxs ;;
esac
[ -x "$apxs" ] || { echo "integration.sh: apxs not found: $apxs" >&2; exit 1; }
httpd=${HTTPD:-}
if [ -z "$httpd" ]; then
    httpd=$("$apxs" -q SBINDIR)/$("$apxs" -q PROGNAME)
    [ -x "$httpd" ] || httpd=/usr/sbin/apache2
fi
[ -x "$httpd" ] || { echo "integration.sh: httpd not found: $httpd" >&2; exit 1; }
EXPECT_LIBEXECDIR=$("$apxs" -q LIBEXECDIR)
EXPECT_APACHE2=${EXPECT_APACHE2:-$httpd}
export EXPECT_LIBEXECDIR EXPECT_APACHE2

run_as=""
dir=$top
cores=$(mktemp -d "${TMPDIR:-/tmp}/mod_expect-cores.XXXXXX") || exit 1
if [ "$(id -u)" = 0 ]; then
    dir=$(mktemp -d /tmp/mod_expect-test.XXXXXX)
    chmod 755 "$dir"
    cp -a "$top/." "$dir/"
    rm -rf "$dir/.git"
    chown -R nobody:nogroup "$dir" "$cores"
    run_as="runuser -u nobody --"
fi
cd "$dir" || exit 1
export EXPECT_TEST_MPM=$mpm

EXPECT_CORE_HTTPD=${EXPECT_HTTPD:-$httpd}
EXPECT_CORE_DIR=$cores
export EXPECT_CORE_HTTPD EXPECT_CORE_DIR
sh "$top/t/cores.sh" start "$cores" $$

cleanup() {
    $run_as perl t/TEST.PL -stop-httpd >/dev/null 2>&1
    sh "$top/t/cores.sh" stop $$
    rm -rf "$cores"
    if [ "$dir" != "$top" ]; then
        rm -rf "$dir"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

$run_as perl t/TEST.PL -clean >/dev/null 2>&1
$run_as perl t/TEST.PL -servername 127.0.0.1 -port select \
    -httpd "$dir/t/httpd-cores.sh" -apxs "$apxs" \
    -httpd_conf /dev/null -defines "MPM_$mpm" "$@"
status=$?
$run_as perl t/TEST.PL -stop-httpd >/dev/null 2>&1

if grep -E "exit signal|AddressSanitizer|runtime error:" t/logs/error_log \
        >/dev/null 2>&1; then
    echo "the test server crashed (MPM $mpm):" >&2
    grep -E "exit signal|AddressSanitizer|runtime error:" t/logs/error_log >&2
    status=1
fi
sh "$top/t/cores.sh" report "$cores" "$httpd" >&2
crashed=$?
if [ $crashed != 0 ]; then
    echo "an httpd of the suite crashed (MPM $mpm): its backtrace above" >&2
    status=1
fi

# What a reader needs after a failure: the logs and the cores, out of the
# copy that is removed.
if [ $status != 0 ]; then
    logs=${EXPECT_LOGS:-/var/tmp/mod_expect-logs}
    mkdir -p "$logs" 2>/dev/null && [ -w "$logs" ] ||
        logs=${TMPDIR:-/tmp}/mod_expect-logs-$(id -u)
    keep=$logs/integration-$mpm-$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$keep"
    [ ! -d t/logs ] || cp -a t/logs "$keep/logs"
    [ $crashed = 0 ] || mv "$cores" "$keep/cores"
    echo "integration.sh: logs kept in $keep" >&2
    [ $crashed = 0 ] || echo "integration.sh: cores and backtraces in $keep/cores" >&2
fi
echo "integration suite under mpm_$mpm ($("$httpd" -v | sed -n 's/^Server version: //p')): exit $status"
exit $status
