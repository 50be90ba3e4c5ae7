#!/bin/sh
# What a built libapache2-mod-expect .deb holds, checked without
# installing it (a .deb of another architecture cannot be installed here):
#
#   pkg/deb-contents.sh FILE.deb [REFERENCE.deb|none]
#
# The files debian/tests/installed checks on the installed amd64 package
# (the module in httpd's module folder, expect.load with its LoadModule
# line, expect.conf as a conffile, README and copyright), the module
# built for the package's own architecture (its ELF machine), the libc
# dependency dpkg-shlibdeps found for it; and, given REFERENCE (the amd64
# .deb of the same tree), exactly the same paths.  Prints "ok - ..." or
# "not ok - ..." for each, and exits 1 on any failure.
set -eu
deb=${1:?usage: deb-contents.sh FILE.deb [REFERENCE.deb]}
ref=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# pkg, check() and its tally, as debian/tests/installed has them.
. "$top/debian/tests/lib.sh"

arch=$(dpkg-deb -f "$deb" Architecture)
dpkg-deb -x "$deb" "$T/data"
dpkg-deb -e "$deb" "$T/control"
paths() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | sort; }
paths "$deb" >"$T/paths"

# The ELF machine readelf names for each Debian architecture.
case $arch in
    amd64) machine='Advanced Micro Devices X86-64' ;;
    arm64) machine=AArch64 ;;
    armhf) machine=ARM ;;
    i386) machine='Intel 80386' ;;
    s390x) machine='IBM S/390' ;;
    *) machine= ;;
esac
so=$T/data/usr/lib/apache2/modules/mod_expect.so

check "$arch: Package is $pkg" test "$(dpkg-deb -f "$deb" Package)" = "$pkg"
check "$arch: mod_expect.so in the module directory" test -f "$so"
check "$arch: mod_expect.so is built for $arch ($machine)" \
    sh -c "[ -n '$machine' ] && readelf -h '$so' | grep -q 'Machine: *$machine\$'"
check "$arch: expect.load in mods-available" \
    grep -q '^LoadModule expect_module /usr/lib/apache2/modules/mod_expect.so$' \
    "$T/data/etc/apache2/mods-available/expect.load"
check "$arch: expect.conf in mods-available" \
    grep -q ExpectPolicy "$T/data/etc/apache2/mods-available/expect.conf"
check "$arch: expect.conf is a conffile" \
    grep -qx /etc/apache2/mods-available/expect.conf "$T/control/conffiles"
check "$arch: README and copyright in /usr/share/doc" \
    test -f "$T/data/usr/share/doc/$pkg/README.md.gz" \
    -a -f "$T/data/usr/share/doc/$pkg/copyright"
check "$arch: Depends names libc6 (dpkg-shlibdeps on the $arch module)" \
    sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libc6 (>= '"
if [ "$ref" = none ]; then
    echo "# no amd64 package to compare the file list with (make deb builds it)"
elif [ -n "$ref" ]; then
    paths "$ref" >"$T/ref"
    check "$arch: the same files as $(basename "$ref")" \
        diff -u "$T/ref" "$T/paths"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
