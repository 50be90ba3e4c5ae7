#!/bin/sh
# Cross-builds libapache2-mod-expect's .deb for another architecture, as
# Debian's porters do (dpkg-buildpackage -a ARCH, with the build
# dependencies of that architecture), in a root of this machine's own
# Debian release, so that the machine's dpkg never gets a foreign
# architecture:
#
#   pkg/build-deb-cross.sh ARCH OUTDIR         (make -f Makefile.apxs deb-cross)
#
# As root.  The root is an amd64 `debootstrap --variant=minbase` from the
# archive this machine's apt uses (t/distro/apt-mirror.sh) where `dpkg
# --add-architecture ARCH` has run and CROSS_DEB_ROOT_DEBS (pkg/debs.mk)
# and `apt-get build-dep -a ARCH` of debian/control are installed.  It is
# kept as a tarball in CROSS_CACHE/deb-ARCH/, made again when older than
# CROSS_MAX_AGE days (7) or when the release, the package list,
# debian/control or this script change; each build unpacks a fresh root
# from it and removes it afterwards, its mounts undone first.
#
# The tree goes in as build-deb.sh copies it (the files git knows).  The
# .deb, .changes and .buildinfo land in OUTDIR, the log in
# OUTDIR/build.log; a compiler warning fails the build, as for amd64.
set -eu
arch=${1:?usage: build-deb-cross.sh ARCH OUTDIR}
out=${2:?usage: build-deb-cross.sh ARCH OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
debs=${CROSS_DEB_ROOT_DEBS:?CROSS_DEB_ROOT_DEBS names the packages of the root}
cache=${CROSS_CACHE:?CROSS_CACHE names the cache folder}/deb-$arch
max_age=${CROSS_MAX_AGE:-7}
name=libapache2-mod-expect

say() { echo "deb-cross $arch: $*"; }
die() { echo "deb-cross $arch: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing"
release=$(. /etc/os-release && echo "$VERSION_CODENAME")
mkdir -p "$cache" "$out"
out=$(cd "$out" && pwd)
base=$cache/root.tar
key=$(printf 'release %s\narch %s\ndebs %s\ncontrol %s\nrecipe %s\n' \
    "$release" "$arch" "$(echo $debs)" \
    "$(sha256sum "$top/debian/control" | cut -c1-16)" \
    "$(sha256sum "$0" | cut -c1-16)")

# Every mount under a folder, innermost first.
mounts() { findmnt -n -l -o TARGET | grep -F "$1/" | sort -r || true; }
unmount_all() {
    for _ in 1 2 3; do
        for m in $(mounts "$1"); do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        [ -n "$(mounts "$1")" ] || return 0
    done
    return 1
}
# remove DIR: only once nothing is mounted under it.
remove() {
    if unmount_all "$1"; then
        rm -rf --one-file-system "$1"
    else
        echo "deb-cross $arch: $1 still has mounts: left in place" >&2
        return 1
    fi
}
in_root() {
    chroot "$1" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        /bin/sh -c "$2" </dev/null
}

fresh() {
    [ -f "$base" ] && [ -f "$base.key" ] &&
        [ "$(cat "$base.key")" = "$key" ] &&
        [ -z "$(find "$base" -mtime +"$max_age")" ]
}

work=
cleanup() {
    status=$?
    if [ -n "$work" ] && [ -d "$work" ]; then
        remove "$work" || status=1
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The root, once a week at most; one maker at a time.
exec 9>"$cache/lock"
flock 9
if ! fresh; then
    mirror=$(sh "$top/t/distro/apt-mirror.sh")
    security=$(sh "$top/t/distro/apt-mirror.sh" security)
    say "debootstrap --variant=minbase $release, then $arch's build dependencies"
    start=$(date +%s)
    work=$(mktemp -d "$cache/.base.XXXXXX")
    root=$work/root
    if ! debootstrap --variant=minbase "$release" "$root" "$mirror" \
            >"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed"
    fi
    {
        echo "deb $mirror $release main"
        echo "deb $mirror $release-updates main"
        [ -z "$security" ] || echo "deb $security $release-security main"
    } >"$root/etc/apt/sources.list"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mkdir -p "$root/tmp/control/debian"
    cp "$top/debian/control" "$root/tmp/control/debian/control"
    mount -t proc proc "$root/proc"
    if ! in_root "$root" "set -e
        dpkg --add-architecture $arch
        apt-get update -q
        apt-get install -y -q --no-install-recommends $debs
        apt-get build-dep -y -q --no-install-recommends -a $arch /tmp/control
        apt-get clean
        rm -rf /var/lib/apt/lists/* /tmp/control" >"$work/apt.log" 2>&1; then
        tail -n 30 "$work/apt.log" >&2
        die "installing the build dependencies failed (see above)"
    fi
    unmount_all "$root" || die "$root: cannot unmount"
    tar -C "$root" -cf "$work/root.tar" .
    mv "$work/root.tar" "$base"
    echo "$key" >"$base.key"
    remove "$work"
    work=
    say "root made in $(( $(date +%s) - start )) s"
fi

# A fresh root for this build, from the tarball (read under the lock, so
# that no maker replaces it meanwhile).
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
mkdir "$root"
tar -C "$root" -xf "$base"
flock -u 9

rm -f "$out/$name"*.deb "$out/$name"*.ddeb "$out/$name"*.changes \
    "$out/$name"*.buildinfo "$out/build.log"
src=$root/src/$name
mkdir -p "$src"
cd "$top"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    die "$top is not a git work tree"
git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf - | tar -xf - -C "$src"

mount -t proc proc "$root/proc"
start=$(date +%s)
if ! in_root "$root" "cd /src/$name && dpkg-buildpackage -us -uc -b -a $arch" \
        >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    die "dpkg-buildpackage -a $arch failed, see $out/build.log"
fi
if grep -E '\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$out/build.log" >&2; then
    die "the compiler warned, see $out/build.log"
fi
# The package, its -dbgsym and what lists them.
for f in "$root/src/$name"*; do
    case $f in
    *.deb|*.ddeb|*.changes|*.buildinfo) cp "$f" "$out/" ;;
    esac
done
say "built in $(( $(date +%s) - start )) s: $(cd "$out" && ls "$name"_*.deb)"
