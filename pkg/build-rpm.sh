#!/bin/sh
# Builds mod_expect's source and binary RPM for one EL release with
# Debian's rpmbuild:
#   pkg/build-rpm.sh OUTDIR EL APXS
# EL is 8 or 9, APXS the apxs of the httpd build standing in for that
# release's httpd-devel (t/matrix/build-httpd.sh).  OUTDIR/elEL is the
# rpmbuild top directory: SOURCES holds mod_expect-VERSION.tar.gz, made
# from the files git knows of (as pkg/build-deb.sh takes them), SRPMS the
# source RPM that `rpmbuild -bs` makes of mod_expect.spec, RPMS the binary
# RPM that `rpmbuild --rebuild` makes of that source RPM, as a build host
# would.  OUTDIR/elEL/macros is pkg/el-macros.in for that httpd, the build
# log OUTDIR/elEL/build.log.  A compiler warning fails the build.
set -eu
out=${1:?usage: build-rpm.sh OUTDIR EL APXS}
el=${2:?usage: build-rpm.sh OUTDIR EL APXS}
apxs=${3:?usage: build-rpm.sh OUTDIR EL APXS}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$apxs" ] || { echo "build-rpm.sh: no apxs at $apxs" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)/el$el
rm -rf "$out"
mkdir -p "$out/SOURCES" "$out/SPECS" "$out/SRPMS" "$out/RPMS" \
    "$out/BUILD" "$out/BUILDROOT"

cd "$top"
version=$(sed -n 's/^Version:[[:space:]]*//p' mod_expect.spec)
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "$version" = "${deb_version%%-*}" ] || {
    echo "build-rpm.sh: mod_expect.spec has Version $version," \
        "debian/changelog $deb_version" >&2; exit 1; }

# The source tarball: tracked files that still exist, and untracked ones
# not ignored, under mod_expect-VERSION/.
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
    echo "build-rpm.sh: $top is not a git work tree" >&2; exit 1; }
stage=$out/stage/mod_expect-$version
mkdir -p "$stage"
git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf - | tar -xf - -C "$stage"
tar -C "$out/stage" --owner=0 --group=0 --sort=name \
    -czf "$out/SOURCES/mod_expect-$version.tar.gz" "mod_expect-$version"
rm -rf "$out/stage"
cp mod_expect.spec "$out/SPECS/"

# The macros httpd-devel would define, for this httpd.
inc=$("$apxs" -q INCLUDEDIR)
mmn=$(sed -n 's/^#define MODULE_MAGIC_NUMBER_MAJOR \([0-9]*\).*/\1/p' \
    "$inc/ap_mmn.h")
[ -n "$mmn" ] || { echo "build-rpm.sh: no MMN in $inc/ap_mmn.h" >&2; exit 1; }
# rpm 4.20 makes the debug packages without redhat-rpm-config's %install
# override (pkg/el-macros.in): the marked lines go for it.
rpmver=$(rpm --version | sed -n 's/^RPM version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
[ -n "$rpmver" ] || { echo "build-rpm.sh: cannot tell rpm's version" >&2; exit 1; }
set -- $rpmver
if [ "$1" -gt 4 ] || { [ "$1" = 4 ] && [ "$2" -ge 20 ]; }; then
    old_rpm='/^#@RPM_BEFORE_4_20@$/,/^#@RPM_BEFORE_4_20@$/d'
else
    old_rpm='/^#@RPM_BEFORE_4_20@$/d'
fi
sed -e "$old_rpm" -e "s|@EL@|$el|g" -e "s|@APXS@|$apxs|g" -e "s|@MMN@|$mmn|g" \
    "$top/pkg/el-macros.in" >"$out/macros"

# --nodeps: Debian's rpm database lists no package, so no BuildRequires
# could be met; the Debian packages that stand in for them are installed
# by pkg/rpm.mk (DEBS_RPM).  rpmbuild's %check runs a make of its own:
# keep this make's variables out of it.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
packager=$(sed -n "s/^Maintainer: *//p" debian/control)
rpmb() {
    rpmbuild --define "_topdir $out" --define "packager $packager" --load "$out/macros" --nodeps "$@"
}
if ! { rpmb -bs "$out/SPECS/mod_expect.spec" &&
       rpmb --rebuild "$out"/SRPMS/mod_expect-"$version"-*.el"$el".src.rpm
     } >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "build-rpm.sh: rpmbuild failed, see $out/build.log" >&2
    exit 1
fi
if grep -E '\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$out/build.log" >&2; then
    echo "build-rpm.sh: the compiler warned, see $out/build.log" >&2
    exit 1
fi
ls "$out"/SRPMS/*.src.rpm "$out"/RPMS/*/*.rpm
