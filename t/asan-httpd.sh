#!/bin/sh
# apache2 for a mod_expect built with -fsanitize=address,undefined (the
# integration-asan target of t/fuzz/fuzz.mk): t/integration.sh runs it
# through EXPECT_HTTPD.
#
# apache2 itself is not instrumented, so the sanitizer runtimes are
# preloaded: ASan must be the first library of the process, before the
# module that needs it is loaded.  Leak detection is off because httpd
# leaves its pools to the process's exit.
#
# Where reports go: to stderr, which httpd points at t/logs/error_log once
# its logs are open (t/integration.sh searches it; before that, stderr is
# the suite's own output).  When EXPECT_SANITIZER_LOG names a directory,
# ASan writes its reports to files there instead, one per process, whole
# (the make target searches and shows them).  gcc's libubsan writes its
# own reports to stderr whatever log_path says, but it must be given the
# same log_path: the two runtimes share their common flags, and UBSan's
# reading of UBSAN_OPTIONS would put ASan's log_path back to stderr.
set -eu

preload=""
for lib in libasan.so.8 libubsan.so.1; do
    path=""
    for dir in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu \
               /usr/lib64 /usr/lib; do
        if [ -e "$dir/$lib" ]; then
            path=$dir/$lib
            break
        fi
    done
    if [ -z "$path" ]; then
        echo "asan-httpd.sh: $lib not found (apt-get install libasan8" \
             "libubsan1)" >&2
        exit 1
    fi
    preload="$preload${preload:+:}$path"
done

log=stderr
if [ -n "${EXPECT_SANITIZER_LOG:-}" ]; then
    log=$EXPECT_SANITIZER_LOG/asan
fi

LD_PRELOAD="$preload${LD_PRELOAD:+:$LD_PRELOAD}"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$log"
UBSAN_OPTIONS="print_stacktrace=1:log_path=$log"
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
exec "${EXPECT_APACHE2:-/usr/sbin/apache2}" "$@"
