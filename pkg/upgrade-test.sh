#!/bin/sh
# An upgrade keeps the admin's edit of expect.conf:
#   pkg/upgrade-test.sh OLD.deb NEW.deb
# Installs OLD as an admin would, edits /etc/apache2/mods-available/
# expect.conf (a valid directive, so configtest still passes), installs
# NEW over it with no one to answer a question, and checks that NEW is
# installed, that the edit is still there with no .dpkg-* copy beside it,
# and that the module is still enabled.  Then it checks that a module the
# admin disabled stays so when the package is configured again, that
# remove disables the module and keeps the edited expect.conf, and that
# purge deletes it and leaves the machine as it was.  Run as root; the package must not be
# installed.  Nothing is started: policy-rc.d denies the maintainer
# scripts' restart of apache2 (debian/tests/lib.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/mod_expect-upgrade.XXXXXX)
. "$top/debian/tests/lib.sh"
old=${1:?usage: upgrade-test.sh OLD.deb NEW.deb}
new=${2:?usage: upgrade-test.sh OLD.deb NEW.deb}
conf=/etc/apache2/mods-available/expect.conf
export PATH="$PATH:/usr/sbin:/sbin"

[ "$(id -u)" = 0 ] || die "installs and purges a package: run as root"
[ -f "$old" ] && [ -f "$new" ] || die "no such file: $old or $new"
case "$(pkg_state)" in
absent|not-installed) ;;
*) die "$pkg is already on this machine: this test would purge it" ;;
esac
old_v=$(dpkg-deb -f "$old" Version)
new_v=$(dpkg-deb -f "$new" Version)
dpkg --compare-versions "$new_v" gt "$old_v" ||
    die "$new_v is not newer than $old_v"

cleanup() {
    rc=$?
    set +e
    case "$(pkg_state)" in
    absent|not-installed) ;;
    *) apt_do purge "$pkg" >"$T/purge.log" 2>&1 || cat "$T/purge.log" ;;
    esac
    drop_new_state_dirs "$T/before" 2>/dev/null
    restore_services
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

snapshot "$T/before"
guard_services
install_deb "$old" >"$T/log" 2>&1 || { cat "$T/log"; die "installing $old failed"; }
check "$old_v installed" test "$(pkg_version)" = "$old_v"
mark="# admin's edit $$"
printf '%s\n<IfModule mod_expect.c>\n    ExpectPolicy lenient\n</IfModule>\n' \
    "$mark" >>"$conf"
check "configtest with the edit" apache2ctl configtest
install_deb "$new" >"$T/log" 2>&1 || { cat "$T/log"; die "installing $new failed"; }
check "upgraded to $new_v" test "$(pkg_version)" = "$new_v"
check "the edit to expect.conf survived" grep -qx "$mark" "$conf"
check "no expect.conf.dpkg-* beside it" \
    test -z "$(ls /etc/apache2/mods-available/ | grep '^expect\.conf\.')"
check "module still enabled" a2query -q -m expect
check "configtest after the upgrade" apache2ctl configtest
a2dismod -q expect >/dev/null
install_deb "$new" --reinstall >"$T/log" 2>&1 ||
    { cat "$T/log"; die "reinstalling $new failed"; }
check "a module the admin disabled stays disabled on reinstall" \
    sh -c '! a2query -q -m expect'
a2enmod -q expect >/dev/null
apt_do remove "$pkg" >"$T/log" 2>&1 || { cat "$T/log"; die "remove failed"; }
check "remove disables the module" \
    test ! -e /etc/apache2/mods-enabled/expect.load
check "remove keeps the edited expect.conf" grep -qx "$mark" "$conf"
check "remove deletes mod_expect.so" \
    test ! -e /usr/lib/apache2/modules/mod_expect.so
apt_do purge "$pkg" >"$T/log" 2>&1 || { cat "$T/log"; die "purge failed"; }
check "purge removed the edited expect.conf" test ! -e "$conf"
restore_services
drop_new_state_dirs "$T/before"
snapshot "$T/after"
check "/etc/apache2, /var/lib/apache2 and the module directory as before" \
    diff "$T/before" "$T/after"

echo "upgrade: $passed passed, $failed failed"
[ "$failed" = 0 ]
