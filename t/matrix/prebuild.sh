#!/bin/sh
# Builds httpd releases (t/matrix/build-httpd.sh) one after the other, at
# the lowest CPU priority: make test starts it in the background before
# its first step, so that the releases rpm-test and the matrix need are
# built with the CPU the tests leave idle (a third of it while the
# integration suite runs on two cores) instead of in the foreground, 2 to
# 3 minutes each on a cold run.  A step that reaches a release still being
# built waits for it (build-httpd.sh's lock); a failed build here is only
# reported, since that step builds it again and fails in its own right.
#
#   t/matrix/prebuild.sh TARBALL...      (in the order they are needed)
set -u
here=$(cd "$(dirname "$0")" && pwd)
fail=0
seen=" "
for tarball in "$@"; do
    case $seen in *" $tarball "*) continue ;; esac
    seen="$seen$tarball "
    if sh "$here/build-httpd.sh" "$tarball" >/dev/null; then
        echo "prebuild: $(basename "$tarball") built"
    else
        echo "prebuild: $(basename "$tarball") FAILED (the step that needs it builds it again)"
        fail=1
    fi
done
exit $fail
