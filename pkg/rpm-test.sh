#!/bin/sh
# One EL release's RPM, installed, run and erased in a scratch root:
#   pkg/rpm-test.sh EL HTTPD_PREFIX mod_expect-VERSION.elEL.x86_64.rpm
# HTTPD_PREFIX is the build of that release's httpd that the RPM was
# built against (t/matrix/build-httpd.sh).  The scratch root R is laid
# out like an EL host: /etc/httpd with conf, conf.d, conf.modules.d and
# the links logs, modules and run; the httpd build's modules in
# /usr/lib64/httpd/modules; an rpm database in /var/lib/rpm.  The test
# installs the RPM with rpm --root R, checks that what was installed is
# exactly what the spec lists, starts the build's httpd on a free port of
# 127.0.0.1 as nobody, with an EL-style conf/httpd.conf (Include
# conf.modules.d/*.conf, IncludeOptional conf.d/*.conf), checks on the
# wire that the module is loaded, 100-continue is met, an unknown
# expectation gets 417 with the ErrorDocument page before the body is
# sent, and ExpectAllow works from .htaccess; stops httpd, edits
# conf.d/expect.conf, erases the package and checks that nothing of it
# is left but expect.conf.rpmsave.  Prints "N passed, N failed"; exits 1
# on any failure.  Run as root: httpd's children run as nobody.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
el=${1:?usage: rpm-test.sh EL HTTPD_PREFIX RPM}
prefix=${2:?usage: rpm-test.sh EL HTTPD_PREFIX RPM}
rpmf=${3:?usage: rpm-test.sh EL HTTPD_PREFIX RPM}
T=$(mktemp -d /tmp/mod_expect-rpm.XXXXXX)
chmod 755 "$T"
# check, die, passed and failed.
. "$top/debian/tests/lib.sh"
R=$T/root
httpd=$prefix/bin/httpd
pidfile=$R/run/httpd/httpd.pid

[ "$(id -u)" = 0 ] || die "run as root: httpd's children run as nobody"
[ -f "$rpmf" ] || die "no such file: $rpmf"
[ -x "$httpd" ] || die "no httpd at $httpd"

rpmr() {
    rpm --root "$R" --dbpath /var/lib/rpm "$@"
}
stop_httpd() {
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    "$httpd" -d "$R/etc/httpd" -f conf/httpd.conf -k stop >/dev/null 2>&1 ||
        kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "httpd ($pid) did not stop in 30 s: killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}
cleanup() {
    rc=$?
    set +e
    stop_httpd
    if [ "$rc" != 0 ] && [ -s "$R/var/log/httpd/error_log" ]; then
        echo "--- httpd's error log:"
        cat "$R/var/log/httpd/error_log"
    fi
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Every file, link and directory under R but the rpm database, httpd's
# logs and run directory, with its mode and checksum.
snapshot() {
    (cd "$R" && find . \( -path ./var/lib/rpm -o -path ./var/log/httpd \
            -o -path ./run/httpd \) -prune -o -printf '%y %m %p -> %l\n';
        cd "$R" && find . \( -path ./var/lib/rpm -o -path ./var/log/httpd \
            -o -path ./run/httpd \) -prune -o -type f -exec md5sum {} +) |
        sed 's| \./| /|; s|^\./|/|' | LC_ALL=C sort
}

echo "# EL$el: $("$httpd" -v | head -n 1), $(basename "$rpmf")"

# The scratch root, as EL's filesystem and httpd packages lay it out.
mkdir -p "$R/etc/httpd/conf" "$R/etc/httpd/conf.d" \
    "$R/etc/httpd/conf.modules.d" "$R/usr/lib64/httpd/modules" \
    "$R/usr/lib" "$R/usr/share/doc" "$R/usr/share/licenses" \
    "$R/var/log/httpd" "$R/run/httpd" "$R/var/www/html/ht" \
    "$R/var/www/html/errors" "$R/var/lib/rpm"
ln -s ../../var/log/httpd "$R/etc/httpd/logs"
ln -s ../../usr/lib64/httpd/modules "$R/etc/httpd/modules"
ln -s ../../run/httpd "$R/etc/httpd/run"
cp -p "$prefix"/modules/*.so "$R/usr/lib64/httpd/modules/"
cp -p "$prefix/conf/mime.types" "$R/etc/mime.types"
# What EL's httpd package puts in conf.modules.d, for the modules used.
{
    for m in unixd authz_core log_config mime dir alias headers setenvif \
             reflector; do
        echo "LoadModule ${m}_module modules/mod_$m.so"
    done
} >"$R/etc/httpd/conf.modules.d/00-base.conf"
echo "LoadModule mpm_event_module modules/mod_mpm_event.so" \
    >"$R/etc/httpd/conf.modules.d/00-mpm.conf"
marker="mod_expect rpm-test 417 page"
echo plain >"$R/var/www/html/index.html"
echo ht >"$R/var/www/html/ht/index.html"
echo 'ExpectAllow 100-continue x-ht' >"$R/var/www/html/ht/.htaccess"
echo "<html><body>$marker</body></html>" >"$R/var/www/html/errors/417.html"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# EL's httpd.conf, cut down: no ServerRoot line, so that -d names it.
cat >"$R/etc/httpd/conf/httpd.conf" <<CONF
Listen 127.0.0.1:$port
Include conf.modules.d/*.conf
User nobody
Group $(id -gn nobody)
ServerName 127.0.0.1
PidFile run/httpd.pid
DefaultRuntimeDir run
<Directory />
    AllowOverride none
    Require all denied
</Directory>
DocumentRoot "$R/var/www/html"
<Directory "$R/var/www/html">
    AllowOverride FileInfo
    Require all granted
</Directory>
<IfModule dir_module>
    DirectoryIndex index.html
</IfModule>
ErrorLog "logs/error_log"
LogLevel warn
<IfModule expect_module>
    LogLevel warn expect:info
</IfModule>
TypesConfig $R/etc/mime.types
<Location /echo>
    SetHandler reflector
</Location>
Header always set X-Expect-Status "%{EXPECT_STATUS}e" "expr=-n reqenv('EXPECT_STATUS')"
ErrorDocument 417 /errors/417.html
IncludeOptional conf.d/*.conf
CONF
snapshot >"$T/before"

# Install.  The root's database holds no package but this one: httpd
# (which provides httpd-mmn) and the C library are files copied in, not
# packages, so those Requires cannot be met there.  --test names what is
# missing; --nodeps is used only when that is nothing else.
check "rpm --initdb in the scratch root" rpmr --initdb
rpmr -i --test "$rpmf" >"$T/deps" 2>&1 || true
sed -n 's/^[[:space:]]*\(.*\) is needed by .*/\1/p' "$T/deps" |
    LC_ALL=C sort >"$T/unmet"
check "the only unmet Requires are httpd, httpd-mmn and the C library's" \
    sh -c "grep -q '^httpd-mmn = ' '$T/unmet' && grep -qx httpd '$T/unmet' &&
        ! grep -vE '^(httpd|httpd-mmn = [0-9]+x8664|libc\.so\.6\((GLIBC_[0-9.]+)?\)\(64bit\)|rtld\(GNU_HASH\))$' '$T/unmet'"
check "rpm --root -i --nodeps" rpmr -i --nodeps "$rpmf"
check "rpm -q mod_expect in the root" rpmr -q mod_expect
# -V checks dependencies too: --nodeps, as for -i.
check "rpm -V mod_expect: the files as packaged" rpmr -V --nodeps mod_expect

# What was installed is what the spec lists, relocated under R.
rpm -qpl "$rpmf" | LC_ALL=C sort >"$T/listed"
rpmr -ql mod_expect | LC_ALL=C sort >"$T/installed"
snapshot >"$T/after-install"
LC_ALL=C comm -13 "$T/before" "$T/after-install" |
    sed -n 's/^[dfl] [0-7]* \(.*\) -> .*/\1/p' | LC_ALL=C sort >"$T/new"
sed -e 's|/\.build-id/[0-9a-f][0-9a-f]|/.build-id/XX|' \
    -e 's|/\.build-id/XX/[0-9a-f]*$|/.build-id/XX/ID|' "$T/listed" \
    >"$T/listed-shape"
# The manual is README.md and every file of docs/, its pages and their
# pictures (%doc README.md docs).
{
    cat <<'LIST'
/etc/httpd/conf.d/expect.conf
/etc/httpd/conf.modules.d/10-expect.conf
/usr/lib/.build-id
/usr/lib/.build-id/XX
/usr/lib/.build-id/XX/ID
/usr/lib64/httpd/modules/mod_expect.so
/usr/share/doc/mod_expect
/usr/share/doc/mod_expect/README.md
/usr/share/doc/mod_expect/docs
/usr/share/licenses/mod_expect
/usr/share/licenses/mod_expect/LICENSE
LIST
    for page in "$top"/docs/*; do
        echo "/usr/share/doc/mod_expect/docs/${page##*/}"
    done
} | LC_ALL=C sort >"$T/spec-files"
check "the RPM holds the files of the spec's %files" \
    diff "$T/spec-files" "$T/listed-shape"
check "rpm -ql in the root lists the RPM's files" \
    diff "$T/listed" "$T/installed"
check "the files new in the root are exactly those" \
    diff "$T/listed" "$T/new"
rpmr -qc mod_expect | LC_ALL=C sort >"$T/conffiles"
check "the two .conf files are its config files" \
    diff "$T/conffiles" - <<'LIST'
/etc/httpd/conf.d/expect.conf
/etc/httpd/conf.modules.d/10-expect.conf
LIST
check "both are %config(noreplace)" sh -c \
    "rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$rpmf' | grep '\.conf\$' |
        awk '\$1 !~ /n/ { bad = 1 } END { exit bad }'"
check "the module is executable, mode 0755" \
    test "$(stat -c %a "$R/usr/lib64/httpd/modules/mod_expect.so")" = 755
check "10-expect.conf loads modules/mod_expect.so" \
    grep -qx 'LoadModule expect_module modules/mod_expect.so' \
    "$R/etc/httpd/conf.modules.d/10-expect.conf"

# Run.
hd() {
    "$httpd" -d "$R/etc/httpd" -f conf/httpd.conf "$@"
}
check "httpd -t with the package's configuration" hd -t
check "httpd -M lists expect_module (shared)" \
    sh -c "'$httpd' -d '$R/etc/httpd' -f conf/httpd.conf -M 2>/dev/null |
        grep -q 'expect_module (shared)'"
hd -k start || die "httpd did not start"
i=0
until [ -s "$pidfile" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || die "httpd is not listening on 127.0.0.1:$port after 30 s"
    sleep 0.1
done
echo "# httpd on 127.0.0.1:$port"
check "no error from mod_expect in the error log" \
    sh -c "! grep -iE 'expect.*(error|fail)' '$R/var/log/httpd/error_log'"
code=$(curl -s -o "$T/curl.out" -w '%{http_code}' --max-time 10 \
    -H 'Expect: 100-continue' --data-binary hello "http://127.0.0.1:$port/echo" || true)
check "curl, Expect: 100-continue: 200 with the body echoed" \
    sh -c "[ '$code' = 200 ] && grep -qx hello '$T/curl.out'"
code=$(curl -s -o "$T/curl.out" -w '%{http_code}' --max-time 10 \
    -H 'Expect: x-unknown' --data-binary hello "http://127.0.0.1:$port/echo" || true)
check "curl, Expect: x-unknown: 417 with the ErrorDocument page" \
    sh -c "[ '$code' = 417 ] && grep -q '$marker' '$T/curl.out'"
for client in "perl $top/debian/tests/client.pl $port" \
              "python3 $here/rpm-wire.py $port '$marker'"; do
    sh -c "$client" >"$T/client.out" 2>&1 || true
    cat "$T/client.out"
    passed=$((passed + $(grep -c '^ok ' "$T/client.out" || true)))
    failed=$((failed + $(grep -c '^not ok ' "$T/client.out" || true)))
    grep -q '^ok ' "$T/client.out" ||
        { failed=$((failed + 1)); echo "not ok - $client ran"; }
done
check "no crash in the error log" \
    sh -c "! grep -q 'exit signal' '$R/var/log/httpd/error_log'"
stop_httpd
check "httpd stopped" sh -c "! [ -e '$pidfile' ]"

# An admin's edit, then erase: rpm keeps the edited config file as
# .rpmsave and removes everything else of the package.
sed -i 's/^\( *\)#ExpectPolicy strict$/\1ExpectPolicy strict/' \
    "$R/etc/httpd/conf.d/expect.conf"
check "expect.conf edited (ExpectPolicy strict)" \
    grep -qx ' *ExpectPolicy strict' "$R/etc/httpd/conf.d/expect.conf"
check "httpd -t with the edit" hd -t
cp "$R/etc/httpd/conf.d/expect.conf" "$T/edited"
check "rpm -e mod_expect" rpmr -e mod_expect
check "rpm -q mod_expect: not installed" sh -c "! rpm --root '$R' --dbpath /var/lib/rpm -q mod_expect"
check "the edited expect.conf is kept as expect.conf.rpmsave" \
    cmp "$T/edited" "$R/etc/httpd/conf.d/expect.conf.rpmsave"
snapshot >"$T/after-erase"
LC_ALL=C diff "$T/before" "$T/after-erase" | sed -n 's/^[<>] //p' |
    sed 's/^\([0-9a-f]\{32\}\)  /md5 /' >"$T/left" || true
check "nothing of the package is left but expect.conf.rpmsave" \
    sh -c "[ \$(wc -l <'$T/left') = 2 ] &&
        grep -q '^f 644 /etc/httpd/conf.d/expect.conf.rpmsave -> \$' '$T/left' &&
        grep -q '^md5 /etc/httpd/conf.d/expect.conf.rpmsave\$' '$T/left' ||
        { cat '$T/left'; exit 1; }"
check "httpd -t after erase" hd -t

echo "rpm-test EL$el: $passed passed, $failed failed"
[ "$failed" = 0 ]
