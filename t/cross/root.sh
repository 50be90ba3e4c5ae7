#!/bin/sh
# A foreign root: Debian's own packages of another architecture, unpacked
# into a folder that a cross compiler takes as --sysroot and qemu-user as
# -L, without running anything of that architecture (no binfmt, no
# dpkg --add-architecture, no second stage).
#
#   t/cross/root.sh ARCH RELEASE DIR "INCLUDE" "NODEPS"
#
# INCLUDE (space-separated) are the packages whose dependencies are
# resolved too (debootstrap --include), NODEPS those taken alone, without
# theirs (apache2-dev: its headers are all the build needs, and its
# dependencies would bring a whole native toolchain).  Names come from
# pkg/debs.mk.
#
# debootstrap's first stage only (--foreign --variant=minbase): it fetches
# the packages and unpacks the required ones; then every other package it
# fetched, and the NODEPS ones (found in the Packages index it fetched,
# checked against their SHA256), is unpacked over the root.  Not with
# dpkg-deb -x, which would replace the merged-/usr links (/lib -> usr/lib)
# with folders: with tar --keep-directory-symlink.
#
# DIR is made again when older than CROSS_MAX_AGE days (7) or when the
# lists differ from the ones it was made with (DIR/.cross-key); it is
# built beside DIR and renamed into place when complete, under a lock, so
# that an interrupted or concurrent run never uses half a root.  Prints
# "ARCH: root DIR (cached|made in N s)".
set -eu
arch=${1:?usage: root.sh ARCH RELEASE DIR INCLUDE NODEPS}
release=${2:?}
dir=${3:?}
include=${4:?}
nodeps=${5:-}
max_age=${CROSS_MAX_AGE:-7}
top=$(cd "$(dirname "$0")/../.." && pwd)

die() { echo "$arch: $*" >&2; exit 1; }

parent=$(dirname "$dir")
mkdir -p "$parent"
key=$(printf 'release %s\narch %s\ninclude %s\nnodeps %s\nrecipe %s\n' \
    "$release" "$arch" "$(echo $include | tr ' ' '\n' | sort | xargs)" \
    "$(echo $nodeps | tr ' ' '\n' | sort | xargs)" \
    "$(sha256sum "$0" | cut -c1-16)")

fresh() {
    [ -f "$dir/.cross-key" ] &&
        [ "$(cat "$dir/.cross-key")" = "$key" ] &&
        [ -z "$(find "$dir/.cross-key" -mtime +"$max_age")" ]
}

# Runs that use the root hold the lock shared (t/cross/run.py); one maker
# at a time holds it alone, and the others wait and take its work.
exec 9>"$dir.lock"
flock -s 9
if fresh; then
    echo "$arch: root $dir (cached)"
    exit 0
fi
flock 9
if fresh; then
    echo "$arch: root $dir (cached)"
    exit 0
fi

command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing"
mirror=$(sh "$top/t/distro/apt-mirror.sh")
start=$(date +%s)
tmp=$(mktemp -d "$parent/.$arch.XXXXXX")
trap 'rm -rf --one-file-system "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
root=$tmp/root
log=$tmp/debootstrap.log

if ! debootstrap --foreign --arch="$arch" --variant=minbase \
        --include="$(echo $include | tr ' ' ,)" \
        "$release" "$root" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "debootstrap --foreign failed"
fi
debs=$root/var/cache/apt/archives

# The NODEPS packages, from the index debootstrap fetched.
packages=$(ls "$root"/var/lib/apt/lists/*_binary-"$arch"_Packages)
for p in $nodeps; do
    stanza=$(awk -v p="$p" '
        /^Package: / { on = ($2 == p) }
        on && /^(Filename|SHA256): / { print $2 }' "$packages")
    file=$(echo "$stanza" | sed -n 1p)
    sum=$(echo "$stanza" | sed -n 2p)
    [ -n "$file" ] && [ -n "$sum" ] || die "$p is not in $release's $arch index"
    out=$debs/$(basename "$file")
    wget -q -O "$out" "$mirror/$file" || die "fetching $mirror/$file failed"
    echo "$sum  $out" | sha256sum -c --status || die "$p: SHA256 differs"
done

# The first stage unpacked the required packages: the others now.
required=" $(cat "$root/debootstrap/required") "
for deb in "$debs"/*.deb; do
    case $required in
    *" $(basename "$deb" | cut -d_ -f1) "*) continue ;;
    esac
    dpkg-deb --fsys-tarfile "$deb" |
        tar -C "$root" --keep-directory-symlink -xf - ||
        die "unpacking $(basename "$deb") failed"
done
[ -L "$root/lib" ] || [ -d "$root/lib" ] || die "no /lib in the root"
# Nothing of the root runs but what qemu is given: the packages are not
# needed once unpacked.
rm -f "$debs"/*.deb
echo "$key" >"$root/.cross-key"

if [ -e "$dir" ]; then
    mv "$dir" "$tmp/old"
fi
mv "$root" "$dir"
echo "$arch: root $dir (made in $(( $(date +%s) - start )) s)"
