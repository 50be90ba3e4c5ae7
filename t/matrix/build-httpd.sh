#!/bin/sh
# Builds one httpd release from its source tarball, with only the modules
# the integration suite loads, and prints the installed prefix.
#
#   t/matrix/build-httpd.sh /path/to/httpd-2.4.NN.tar.xz
#
# The build is cached outside the checkout, keyed by the tarball's
# SHA-256 and by this script (a change to the modules or flags below is a
# new build): ${EXPECT_CACHE:-/var/cache/mod_expect}/httpd-<sha256>-<recipe>/
# (as another user than root, where /var/cache is not writable:
# ~/.cache/mod_expect).  It is configured with that directory as its
# prefix, installed into a staging directory next to it and renamed into
# place only when complete, so an interrupted build is never taken for a
# cached one.  Progress goes to stderr, the build's output to build.log in
# the staging directory (shown in part when a step fails).
#
# The tarballs are `git archive`s of release tags: there is no configure
# until ./buildconf has run.
set -eu

tarball=${1:?usage: build-httpd.sh httpd-2.4.NN.tar.xz}
[ -f "$tarball" ] || { echo "build-httpd.sh: no such file: $tarball" >&2; exit 1; }
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
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

sum=$(sha256sum "$tarball" | cut -d' ' -f1)
recipe=$(sha256sum "$0" | cut -c1-8)
prefix=$cache/httpd-$sum-$recipe
built() {
    if [ -x "$prefix/bin/httpd" ] && [ -x "$prefix/bin/apxs" ]; then
        echo "$prefix"
        exit 0
    fi
}
built
# One build of a release at a time: a second caller (the matrix while
# make test's background build has that release in hand) waits for the
# first one's tree instead of building it again beside it.
exec 9>"$cache/.lock-$sum-$recipe"
flock 9
built

for tool in autoconf libtoolize make gcc xz /usr/bin/apr-1-config \
            /usr/bin/apu-1-config; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build-httpd.sh: $tool is missing" >&2; exit 1; }
done

stage=$(mktemp -d "$cache/.build-$sum-$recipe.XXXXXX")
log=$stage/build.log
cleanup() { rm -rf "$stage"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

step() {
    echo "  $(basename "$tarball"): $1" >&2
    shift
    if ! "$@" >>"$log" 2>&1; then
        echo "build-httpd.sh: $(basename "$tarball"): failed: $*" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}

mkdir "$stage/src"
step "unpacking" tar -xJf "$tarball" -C "$stage/src" --strip-components=1
cd "$stage/src"

# 2.4.53 and later use PCRE2; the older releases know only PCRE 1, which
# Debian 13 lacks: t/matrix/build-pcre.sh gives Debian's, or builds one.
if grep -q pcre2-config configure.in; then
    pcre=/usr/bin/pcre2-config
else
    pcre=$(EXPECT_CACHE="$cache" sh "$here/build-pcre.sh")
fi
[ -x "$pcre" ] || { echo "build-httpd.sh: $pcre is missing" >&2; exit 1; }

# Only what t/conf/*.conf.in and the tests load, all shared so that the
# configurations' <IfModule !...> guards are exercised; the three MPMs
# shared so that one build serves -DMPM_event, _worker and _prefork.
mods="actions alias auth_basic authn_core authn_file authz_core authz_user \
cgi cgid dir env headers http2 log_config log_forensic logio mime \
negotiation proxy proxy_http reflector reqtimeout rewrite setenvif \
socache_shmcb ssl status unixd"

# -g: a crashed child's core must give a backtrace with every frame's
# function, file and line, and its locals (t/cores.sh).  No -O: without
# CFLAGS, httpd's configure sets none either, and the matrix has always
# run these releases unoptimised.

# Workarounds for building old releases with Debian 12 (gcc 12, OpenSSL 3),
# as compiler flags only; the sources are never changed:
# - 2.4.37's mod_ssl calls ERR_GET_FUNC(), which OpenSSL 3 removed
#   (it compiles with an implicit declaration, then mod_ssl.so fails to
#   load with "undefined symbol").  It only decides whether a key that
#   failed to load is retried as an encrypted one; defining it as
#   ERR_GET_LIB (nonzero for any error) makes that retry unconditional.
#   2.4.52 and later leave ERR_GET_FUNC() out when built with OpenSSL 3.
cppflags=""
if grep -q 'ERR_GET_FUNC' modules/ssl/ssl_engine_init.c &&
   ! grep -q '0x30000000' modules/ssl/ssl_engine_init.c; then
    cppflags="$cppflags -DERR_GET_FUNC=ERR_GET_LIB"
fi

step "buildconf" ./buildconf --with-apr=/usr/bin/apr-1-config
step "configure" ./configure --prefix="$prefix" \
    --with-apr=/usr/bin/apr-1-config --with-apr-util=/usr/bin/apu-1-config \
    --with-pcre="$pcre" \
    --enable-modules=none --enable-mods-shared="$mods" \
    --enable-mpms-shared="event worker prefork" \
    CFLAGS="-g" CPPFLAGS="$cppflags"
step "make -j2" make -j2
step "make install" make install DESTDIR="$stage/root"

# The tree is complete: move it into place in one rename.  A concurrent
# build of the same tarball may have won; its tree is as good as ours.
mv -T "$stage/root$prefix" "$stage/done"
if ! mv -T "$stage/done" "$prefix" 2>/dev/null; then
    [ -x "$prefix/bin/httpd" ] || {
        echo "build-httpd.sh: cannot move the build to $prefix" >&2; exit 1; }
fi
echo "$prefix"
