#!/bin/sh
# Builds libapache2-mod-expect's .deb from a clean copy of the tree:
#   pkg/build-deb.sh OUTDIR [VERSION]
# The copy holds the files git knows of (tracked, and untracked ones not
# ignored), so a build never picks up objects or test output of the work
# tree, and CI's fresh clone builds the same thing.  VERSION, if given,
# goes on top of debian/changelog in the copy (the upgrade test builds a
# second version this way).  The .deb, .changes and .buildinfo land in
# OUTDIR, the build log in OUTDIR/build.log.  A compiler warning fails
# the build.
set -eu
out=${1:?usage: build-deb.sh OUTDIR [VERSION]}
version=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

rm -rf "$out/src"
rm -f "$out"/libapache2-mod-expect*.deb "$out"/libapache2-mod-expect*.ddeb \
    "$out"/libapache2-mod-expect*.changes \
    "$out"/libapache2-mod-expect*.buildinfo "$out/build.log"
src=$out/src/libapache2-mod-expect
mkdir -p "$src"

cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files that still exist, and untracked ones not ignored.
    git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf - | tar -xf - -C "$src"
else
    echo "build-deb.sh: $top is not a git work tree" >&2
    exit 1
fi

cd "$src"
if [ -n "$version" ]; then
    maint=$(dpkg-parsechangelog -S Maintainer)
    {
        printf 'libapache2-mod-expect (%s) unstable; urgency=medium\n\n' \
            "$version"
        printf '  * Test build of the same tree under another version.\n\n'
        printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
        cat debian/changelog
    } >debian/changelog.new
    mv debian/changelog.new debian/changelog
fi

# dpkg-buildpackage puts what it builds beside the source directory.
# debian/rules is a make of its own: keep this make's variables out of it.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
if ! dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed, see $out/build.log" >&2
    exit 1
fi
if grep -E '\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$out/build.log" >&2; then
    echo "build-deb.sh: the compiler warned, see $out/build.log" >&2
    exit 1
fi
mv "$out"/src/libapache2-mod-expect*.deb \
    "$out"/src/libapache2-mod-expect*.changes \
    "$out"/src/libapache2-mod-expect*.buildinfo "$out/"
for f in "$out"/src/libapache2-mod-expect*.ddeb; do
    [ -e "$f" ] && mv "$f" "$out/"
done
ls "$out"/libapache2-mod-expect_*.deb
