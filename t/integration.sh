#!/bin/sh
# Runs the Apache::Test suite against Debian's apache2 and the freshly
# built module, under the MPM given ($1: event, worker or prefork); any
# further arguments (test files) go to t/TEST.PL.  EXPECT_HTTPD names
# another httpd binary or wrapper (the sanitizer run uses one).
#
# Apache::Test refuses to run as root, so as root the suite runs as
# "nobody" on a copy of the tree that nobody owns.  Whatever happens, the
# test server is stopped and the error log is searched for crashes.
set -u
mpm=${1:-event}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)

run_as=""
dir=$top
if [ "$(id -u)" = 0 ]; then
    dir=$(mktemp -d /tmp/mod_expect-test.XXXXXX)
    chmod 755 "$dir"
    cp -a "$top/." "$dir/"
    rm -rf "$dir/.git"
    chown -R nobody:nogroup "$dir"
    run_as="runuser -u nobody --"
fi
cd "$dir" || exit 1
export EXPECT_TEST_MPM=$mpm

stop() {
    $run_as perl t/TEST.PL -stop-httpd >/dev/null 2>&1
    if [ "$dir" != "$top" ]; then
        rm -rf "$dir"
    fi
}
trap stop EXIT
trap 'exit 1' INT TERM

$run_as perl t/TEST.PL -clean >/dev/null 2>&1
$run_as perl t/TEST.PL -servername 127.0.0.1 -port select \
    -httpd "${EXPECT_HTTPD:-/usr/sbin/apache2}" -apxs "$(command -v apxs)" \
    -httpd_conf /dev/null -defines "MPM_$mpm" "$@"
status=$?

if grep -E "exit signal|AddressSanitizer|runtime error:" t/logs/error_log \
        >/dev/null 2>&1; then
    echo "the test server crashed (MPM $mpm):" >&2
    grep -E "exit signal|AddressSanitizer|runtime error:" t/logs/error_log >&2
    status=1
fi
echo "integration suite under mpm_$mpm: exit $status"
exit $status
