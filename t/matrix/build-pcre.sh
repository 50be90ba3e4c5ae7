#!/bin/sh
# Prints the pcre-config of a PCRE 1 (the library httpd 2.4.52 and older
# build with; 2.4.53 and later take PCRE2).
#
#   t/matrix/build-pcre.sh
#
# Where Debian's libpcre3-dev is installed (Debian 12) that is
# /usr/bin/pcre-config.  Debian 13 has no PCRE 1, so it is built from
# Debian 12's own pcre3 source package, fetched with apt from the Debian
# archive this machine uses (t/distro/apt-mirror.sh: a deb-src line for
# bookworm, in a private apt state folder; the system's apt sources are
# not touched) and unpacked by dpkg-source with Debian's patches.  It is
# built static and position-independent, so the httpd linked with it has
# no PCRE 1 to find at run time, and cached beside the httpd builds
# (t/matrix/build-httpd.sh): ${EXPECT_CACHE:-/var/cache/mod_expect}/
# pcre1-<recipe>/, made in a staging folder and renamed into place when
# complete.  Progress goes to stderr.
set -eu

if [ -x /usr/bin/pcre-config ]; then
    echo /usr/bin/pcre-config
    exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
cache=${EXPECT_CACHE:-}
if [ -z "$cache" ]; then
    cache=/var/cache/mod_expect
    if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
        cache=${XDG_CACHE_HOME:-$HOME/.cache}/mod_expect
    fi
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

recipe=$(sha256sum "$0" | cut -c1-8)
prefix=$cache/pcre1-$recipe
if [ -x "$prefix/bin/pcre-config" ] && [ -f "$prefix/lib/libpcre.a" ]; then
    echo "$prefix/bin/pcre-config"
    exit 0
fi

for tool in apt-get dpkg-source autoreconf automake libtoolize gcc make; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build-pcre.sh: $tool is missing (no libpcre3-dev here, so PCRE 1" \
             "is built from Debian 12's pcre3 source package)" >&2
        exit 1
    }
done

stage=$(mktemp -d "$cache/.build-pcre1-$recipe.XXXXXX")
log=$stage/build.log
cleanup() { rm -rf "$stage"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

step() {
    echo "  pcre3: $1" >&2
    shift
    if ! "$@" >>"$log" 2>&1; then
        echo "build-pcre.sh: failed: $*" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

# The source package, from the bookworm suite of this machine's archive.
mirror=$(sh "$here/../distro/apt-mirror.sh")
apt=$stage/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$stage/dl"
echo "deb-src $mirror bookworm main" >"$apt/sources.list"
set -- -q -o Dir::Etc::SourceList="$apt/sources.list" \
    -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$apt/lists" \
    -o Dir::Cache::Archives="$apt/archives" -o Debug::NoLocking=1
[ "$(id -u)" != 0 ] || set -- "$@" -o APT::Sandbox::User=root
step "apt-get update (deb-src bookworm)" apt-get "$@" update
step "apt-get source pcre3" sh -c 'cd "$1" && shift && apt-get "$@" source --download-only pcre3' \
    sh "$stage/dl" "$@"
step "dpkg-source -x" sh -c 'dpkg-source -x "$1"/pcre3_*.dsc "$2"' sh "$stage/dl" "$stage/src"

cd "$stage/src"
# Debian's patches touch configure.ac: generate the build system again, as
# the package's own build does.
step "autoreconf" autoreconf -fi
step "configure" ./configure --prefix="$prefix" --disable-shared --enable-static \
    --with-pic --disable-cpp --enable-utf8 --enable-unicode-properties
step "make -j2" make -j2
step "make install" make install DESTDIR="$stage/root"

mv -T "$stage/root$prefix" "$stage/done"
if ! mv -T "$stage/done" "$prefix" 2>/dev/null; then
    [ -x "$prefix/bin/pcre-config" ] || {
        echo "build-pcre.sh: cannot move the build to $prefix" >&2; exit 1; }
fi
echo "$prefix/bin/pcre-config"
