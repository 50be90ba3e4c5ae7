#!/bin/sh
# Prints the URI of the Debian archive this machine's apt uses, read from
# its own sources (deb822 files in /etc/apt/sources.list.d and one-line
# entries in /etc/apt/sources.list), so that no host name is written into
# the tree.  `apt-mirror.sh security` prints the security archive's URI
# instead (nothing when there is none).  Exits 1 when no Debian archive is
# configured.
#
# The main archive is the first URI whose path ends in /debian; the
# security archive the first whose path ends in /debian-security.
set -eu
want=${1:-main}
case $want in
    main) tail=/debian ;;
    security) tail=/debian-security ;;
    *) echo "usage: apt-mirror.sh [main|security]" >&2; exit 2 ;;
esac

uris() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # URIs: may list several, space-separated.
        sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI suite component...
        sed -n 's/^deb\(-src\)\{0,1\}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\3/p' "$f"
    done
}

uri=$(uris | sed 's|/*$||' | grep -E "^[a-z+]+://[^[:space:]]*$tail\$" | head -n 1 || true)
if [ -z "$uri" ]; then
    [ "$want" = security ] && exit 0
    echo "apt-mirror.sh: no Debian archive (a URI ending in $tail) in /etc/apt/sources.list{,.d}" >&2
    exit 1
fi
echo "$uri"
