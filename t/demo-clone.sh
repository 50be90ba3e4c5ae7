#!/bin/sh
# The README's demo as a newcomer meets it: a clone in a folder nobody
# else can enter (root's first clone is under /root, mode 0700; a user's
# under a home that others may not search), `make -f Makefile.apxs run`,
# then the README's own curl lines.  As root, once as root and once as
# "nobody" in a folder of its own; as another user, once as that user.
#
#   sh t/demo-clone.sh        (make -f Makefile.apxs demo-check)
#
# The curl lines are read from README.md's demo block, with -v turned
# into -s -i and the port moved to a free one; each must end with the
# status its comment promises (EXPECTED, in the README's order).  Every
# server started is stopped, and the demo's temporary folder must be gone
# after it stops.  Prints "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

# The final status of each README line, in order: met, a list over two
# lines, x-unknown refused, /strict refused, lenient, an extension met.
EXPECTED="200 200 417 417 200 200"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

lines=$(sed -n '/^## The demo/,/^## /p' "$top/README.md" |
    sed -n 's/^\(curl -v .*http:\/\/127\.0\.0\.1:8417\/.*\)$/\1/p')
n=$(printf '%s\n' "$lines" | grep -c '^curl' || true)
set -- $EXPECTED
[ "$n" = $# ] || {
    echo "demo-clone.sh: README.md's demo has $n curl lines, $# expected" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# $1: who ("root" or a user name), $2: the folder to clone into.
try() {
    who=$1 home=$2
    run=""
    [ "$who" = "$(id -un)" ] || run="runuser -u $who --"
    src=$home/src/mod_expect
    mkdir -p "$src"
    (cd "$top" && git ls-files -z -c -o --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$src" -xf -
    chown -R "$who" "$home"
    chmod 700 "$home"
    port=$(free_port)
    before=$(ls -d /tmp/mod_expect-demo.* 2>/dev/null | sort)
    log=$(mktemp)
    # httpd reopens /dev/stderr as the user: the log must be theirs.
    chown "$who" "$log"
    # Its own session, so that the whole demo (make, httpd) is stopped.
    setsid $run make -C "$src" -f Makefile.apxs run PORT="$port" >"$log" 2>&1 &
    pid=$!
    up=""
    for _ in $(seq 1 300); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/"; then up=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$up" ]; then
        not_ok "$who: the demo starts from $src"
        tail -n 20 "$log"
    else
        ok "$who: the demo starts from $src"
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
        [ "$code" = 200 ] && ok "$who: / is 200" || not_ok "$who: / is $code, not 200"
        set -- $EXPECTED
        printf '%s\n' "$lines" | {
            while IFS= read -r line; do
                want=$1; shift
                cmd=$(printf '%s' "$line" | sed -e 's/^curl -v /curl -s -i --max-time 10 /' \
                    -e "s/127\.0\.0\.1:8417/127.0.0.1:$port/")
                got=$(sh -c "$cmd" 2>/dev/null | sed -n 's/^HTTP\/1\.1 \([0-9][0-9][0-9]\).*/\1/p' |
                    grep -v '^100$' | tail -n 1)
                if [ "$got" = "$want" ]; then
                    echo "ok - $who: $line: $got"
                else
                    echo "not ok - $who: $line: ${got:-no answer}, not $want"
                fi
            done
        } >"$log.lines"
        cat "$log.lines"
        pass=$((pass + $(grep -c '^ok' "$log.lines")))
        fail=$((fail + $(grep -c '^not ok' "$log.lines")))
        rm -f "$log.lines"
    fi
    /bin/kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    /bin/kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    after=$(ls -d /tmp/mod_expect-demo.* 2>/dev/null | sort)
    if [ "$before" = "$after" ]; then
        ok "$who: nothing left in /tmp after the demo"
    else
        not_ok "$who: the demo left a folder in /tmp"
    fi
    grep -q AH00035 "$log" && not_ok "$who: AH00035 in the demo's log"
    rm -f "$log"
    rm -rf "$home"
}

if [ "$(id -u)" = 0 ]; then
    try root "$(mktemp -d /tmp/mod_expect-root-home.XXXXXX)"
    # "nobody" must reach its home's parent: /tmp is world-searchable.
    try nobody "$(mktemp -d /tmp/mod_expect-user-home.XXXXXX)"
else
    try "$(id -un)" "$(mktemp -d /tmp/mod_expect-user-home.XXXXXX)"
fi
echo "demo-clone: $pass passed, $fail failed"
[ "$fail" = 0 ]
