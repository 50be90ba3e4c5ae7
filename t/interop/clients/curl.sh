#!/bin/sh
# curl's command-line tool as a client of t/interop/run.py.  Cases come on
# standard input, one a line: id, URL, body size, Expect ("auto": curl adds
# it itself for a body of that size).  $1 is h1 or h2 (prior knowledge).
# One line out per case: id, status, 100 seen, milliseconds, X-Run, error.
set -u
proto=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tab=$(printf '\t')
while IFS="$tab" read -r id url size expect; do
    # The body starts with a request: if the server ever took the body for
    # a request, the access log shows /smuggled/.
    printf 'GET /smuggled/b/%s HTTP/1.1\r\nHost: x\r\n\r\n' "$id" >"$tmp/body"
    head -c $((size - $(wc -c <"$tmp/body"))) /dev/zero | tr '\0' x >>"$tmp/body"
    set -- -s -o "$tmp/out" -D "$tmp/head" -w '%{http_code} %{time_total}' \
        --max-time "${CLIENT_BOUND:-5}" --data-binary "@$tmp/body" \
        -H 'Content-Type: application/octet-stream'
    if [ "$proto" = h2 ]; then
        set -- "$@" --http2-prior-knowledge
    else
        set -- "$@" --http1.1
    fi
    [ "$expect" = auto ] || set -- "$@" -H "Expect: $expect"
    : >"$tmp/head"
    w=$(curl "$@" "$url")
    rc=$?
    code=${w% *}
    ms=$(awk -v t="${w#* }" 'BEGIN { printf "%.1f", t * 1000 }')
    if grep -q '^HTTP/[0-9.]* 100' "$tmp/head"; then saw=yes; else saw=no; fi
    xrun=$(tr -d '\r' <"$tmp/head" | awk -F': ' 'tolower($1) == "x-run" { v = $2 } END { print v }')
    err=
    [ "$rc" = 0 ] || err="curl exit $rc"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$((code + 0))" "$saw" "$ms" \
        "${xrun:--}" "$err"
done
