#!/bin/sh
# httpd that keeps its cores: t/integration.sh gives this script to
# Apache::Test as the httpd to start, so every httpd of the suite, the
# tests' own servers too (they start Apache::Test's httpd), goes through
# it.  It raises RLIMIT_CORE as far as allowed (runuser's pam_limits sets
# it to 0) and starts EXPECT_CORE_HTTPD (the real httpd, or the sanitizer
# wrapper) with CoreDumpDirectory EXPECT_CORE_DIR, where httpd's fatal
# signal handler goes before the core is written (t/cores.sh).
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)" 2>/dev/null
exec "${EXPECT_CORE_HTTPD:?}" -C "CoreDumpDirectory ${EXPECT_CORE_DIR:?}" "$@"
