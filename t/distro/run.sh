#!/bin/sh
# Runs .ci/run inside a fresh minimal root of another Debian release, so
# that one machine tests the tree on Debian 12 and Debian 13.
#
#   t/distro/run.sh trixie       (make -f Makefile.apxs distro DIST=trixie)
#
# As root.  The root comes from `debootstrap --variant=minbase`, from the
# Debian archive this machine's apt uses (t/distro/apt-mirror.sh), and is
# kept as a tarball in $EXPECT_CACHE/distro/<release>/ (default
# /var/cache/mod_expect), made again when older than DISTRO_MAX_AGE days
# (7).  Each run unpacks a new root from it, so every run starts from a
# minimal system and .ci/run must install all it needs.  Two folders of
# that cache are bind-mounted into the root so that a second run is
# quicker without being less fresh: apt's downloaded packages
# (/var/cache/apt/archives) and the root's own mod_expect cache
# (/var/cache/mod_expect: the httpd release builds, PCRE).
#
# The tree goes in as the files git knows (tracked, and untracked ones
# that are not ignored: a clean copy, without builds), committed into a new
# repository of its own as a clone would be, as /src/main, with
# the shared folder (../shared, or SHARED=) beside it as /src/shared.
# /proc, /sys and /dev are mounted for the run and always unmounted, and
# the root is removed afterwards (KEEP_ROOT=1 keeps it, unmounted).
# Inside, MOD_EXPECT_DISTRO is set, so .ci/run does not start yet another
# release's run; CI_TARGET and FUZZ_SECONDS are passed on.
#
# Before the root is removed, what its run kept for a reader (its
# EXPECT_LOGS: the failed integration runs' t/logs, the matrix's logs,
# cores and backtraces; and the tree's own t/logs) is copied out, to
# $EXPECT_LOGS/distro-<release> (EXPECT_LOGS default
# /var/tmp/mod_expect-logs/distro-<release>-<date>), named at the end.
set -eu

dist=${1:?usage: t/distro/run.sh RELEASE (e.g. trixie, bookworm)}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$top/../shared}
max_age=${DISTRO_MAX_AGE:-7}

say() { echo "distro $dist: $*"; }
die() { echo "distro $dist: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null 2>&1 ||
    die "debootstrap is missing (apt-get install debootstrap)"
[ -d "$shared" ] || die "no shared folder at $shared (SHARED= names it)"

cache=${EXPECT_CACHE:-/var/cache/mod_expect}/distro/$dist
mkdir -p "$cache/apt-archives" "$cache/mod_expect"
base=$cache/base.tar

mirror=$(sh "$top/t/distro/apt-mirror.sh")
security=$(sh "$top/t/distro/apt-mirror.sh" security)

# The base root: debootstrap once a week at most.
if [ ! -f "$base" ] || [ -n "$(find "$base" -mtime +"$max_age")" ]; then
    say "debootstrap --variant=minbase $dist from $mirror"
    tmp=$(mktemp -d "$cache/.base.XXXXXX")
    if ! debootstrap --variant=minbase "$dist" "$tmp/root" "$mirror" \
            >"$tmp/debootstrap.log" 2>&1; then
        tail -n 30 "$tmp/debootstrap.log" >&2
        rm -rf --one-file-system "$tmp"
        die "debootstrap failed"
    fi
    {
        echo "deb $mirror $dist main"
        echo "deb $mirror $dist-updates main"
        [ -z "$security" ] || echo "deb $security $dist-security main"
    } >"$tmp/root/etc/apt/sources.list"
    # No daemon is started by a package's maintainer scripts in the root:
    # the tests start and stop their own servers, on ports of their own.
    printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
    tar -C "$tmp/root" -cf "$tmp/base.tar" .
    mv "$tmp/base.tar" "$base"
    rm -rf --one-file-system "$tmp"
fi

root=$(mktemp -d "$cache/root.XXXXXX")
# Where the run in the root keeps logs, and where they go out to.
inner_logs=/var/tmp/mod_expect-logs/ci-$dist
if [ -n "${EXPECT_LOGS:-}" ]; then
    logs_out=$EXPECT_LOGS/distro-$dist
else
    logs_out=/var/tmp/mod_expect-logs/distro-$dist-$(date +%Y%m%d-%H%M%S)
fi
copy_logs() {
    found=""
    if [ -n "$(ls -A "$root$inner_logs" 2>/dev/null)" ]; then
        mkdir -p "$logs_out"
        cp -a "$root$inner_logs/." "$logs_out/"
        found=1
    fi
    if [ -n "$(ls -A "$root/src/main/t/logs" 2>/dev/null)" ]; then
        mkdir -p "$logs_out"
        cp -a "$root/src/main/t/logs" "$logs_out/src-main-t-logs"
        found=1
    fi
    [ -z "$found" ] ||
        echo "distro $dist: the root's kept logs, cores and backtraces: $logs_out"
}
# Every mount under the root, innermost first.  (The root itself is no
# mount point, so findmnt -R on it lists nothing.)
mounts() { findmnt -n -l -o TARGET | grep -F "$root/" | sort -r; }
cleanup() {
    status=$?
    copy_logs || true
    # A busy mount is lazily detached, so that the root is never removed
    # with a mount still under it; /dev's submounts may appear twice.
    for _ in 1 2 3; do
        for m in $(mounts); do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        [ -n "$(mounts)" ] || break
    done
    if [ -n "$(mounts)" ]; then
        echo "distro $dist: $root still has mounts: left in place" >&2
        status=1
    elif [ "${KEEP_ROOT:-}" = 1 ]; then
        echo "distro $dist: the root is kept in $root"
    else
        rm -rf --one-file-system "$root"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tar -C "$root" -xf "$base"
[ ! -f /etc/resolv.conf ] || cp -L /etc/resolv.conf "$root/etc/resolv.conf"

# The tree and the shared folder, as the clean copies CI would clone.
mkdir -p "$root/src/main" "$root/src/shared"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z -c -o --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$root/src/main" -xf -
else
    tar -C "$top" --exclude=./.libs --exclude=./.debbuild --exclude=./.rpmbuild \
        -cf - . | tar -C "$root/src/main" -xf -
fi
cp -a "$shared/." "$root/src/shared/"
# A clone is a git work tree, and the targets that take "the files git
# knows" (deb, rpm, demo-check) need one: the copy becomes a repository of
# one commit.
git -C "$root/src/main" init -q
git -C "$root/src/main" add -A
git -C "$root/src/main" -c user.name=distro -c user.email=distro@localhost \
    commit -q -m "t/distro/run.sh: the tree as copied"

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mkdir -p "$root/var/cache/apt/archives" "$root/var/cache/mod_expect"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
mount --bind "$cache/mod_expect" "$root/var/cache/mod_expect"

say "$(. "$root/etc/os-release" && echo "$PRETTY_NAME"), .ci/run in a fresh root"
start=$(date +%s)
set +e
chroot "$root" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 CI=true MOD_EXPECT_DISTRO="$dist" \
    EXPECT_LOGS="$inner_logs" \
    ${FUZZ_SECONDS:+FUZZ_SECONDS=$FUZZ_SECONDS} \
    ${CI_TARGET:+CI_TARGET="$CI_TARGET"} \
    /bin/bash /src/main/.ci/run </dev/null
status=$?
set -e
took=$(( $(date +%s) - start ))
if [ $status = 0 ]; then
    say ".ci/run passed in ${took} s"
else
    say ".ci/run FAILED (exit $status) after ${took} s"
fi
exit $status
