# Shell functions shared by debian/tests/installed and pkg/upgrade-test.sh.
# Sourced by a POSIX sh script that has set $T to its own temporary
# directory.

pkg=libapache2-mod-expect
passed=0
failed=0

die() {
    echo "FATAL: $*" >&2
    exit 1
}

# check DESCRIPTION COMMAND...: run COMMAND, count and print the result.
check() {
    desc=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then
        passed=$((passed + 1))
        echo "ok - $desc"
    else
        failed=$((failed + 1))
        echo "not ok - $desc"
        sed 's/^/#   /' "$T/check.out"
    fi
}

# The package's dpkg status word ("installed", "config-files", ...), or
# "absent".
pkg_state() {
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || echo absent
}

pkg_version() {
    dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null
}

# apt-get, never asking, waiting for the dpkg lock that other users of
# the machine may hold.
apt_do() {
    DEBIAN_FRONTEND=noninteractive apt-get -q -y \
        -o DPkg::Lock::Timeout=600 "$@" </dev/null
}

# install_deb FILE: what an admin does, "apt install ./file.deb".
# install_deb FILE [apt-get option...]
install_deb() {
    f=$1
    shift
    case "$f" in
    /*) ;;
    *) f=./$f ;;
    esac
    apt_do install --no-install-recommends "$@" "$f"
}

# The maintainer scripts restart apache2 through invoke-rc.d when the
# configuration passes.  On a machine whose apache2 is stopped (and must
# stay so: its Listen 80 is not ours to open) that would start it, so
# while the package is installed and removed, policy-rc.d denies every
# service action unless it already does.  restore_services puts back what
# was there.
policy=/usr/sbin/policy-rc.d
policy_saved=""
policy_ours=0
guard_services() {
    if [ -x "$policy" ]; then
        rc=0
        "$policy" apache2 restart >/dev/null 2>&1 || rc=$?
        [ "$rc" = 101 ] && return 0
    fi
    if [ -e "$policy" ]; then
        policy_saved=$T/policy-rc.d.saved
        mv "$policy" "$policy_saved"
    fi
    policy_ours=1
    printf '#!/bin/sh\n# mod_expect package test: start no service\nexit 101\n' \
        >"$policy"
    chmod 755 "$policy"
}
restore_services() {
    [ "$policy_ours" = 1 ] || return 0
    rm -f "$policy"
    [ -z "$policy_saved" ] || mv "$policy_saved" "$policy"
    policy_ours=0
}

# snapshot FILE: every file and link under apache2's configuration, state
# and module directories, with checksums, and every directory.
snapshot() {
    for d in /etc/apache2 /var/lib/apache2 /usr/lib/apache2/modules \
             /usr/share/doc/$pkg; do
        [ -e "$d" ] || continue
        find "$d" \( -type f -o -type l -o -type d \) \
            -printf '%y %m %u:%g %p -> %l\n'
        find "$d" -type f -exec md5sum {} +
    done | LC_ALL=C sort >"$1"
}

# a2enmod and a2dismod keep their bookkeeping in /var/lib/apache2/module
# and may create an empty state directory there that purge leaves behind.
# Remove those that were not there before (named in snapshot FILE).
drop_new_state_dirs() {
    find /var/lib/apache2 -mindepth 1 -type d -empty 2>/dev/null |
        while read -r d; do
            grep -q "^d [0-7]* [^ ]* $d -> \$" "$1" || rmdir "$d"
        done
}
