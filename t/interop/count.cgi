#!/bin/sh
# Reads the whole body and says how many bytes it read, in X-Body-Read
# (logged by the server) and in the body; X-Run names the request, so that
# a client can tell a response that is not its own.  The body is XML, which
# botocore parses as S3's answer to PutObject.
n=$(wc -c | tr -d ' ')
run=${REQUEST_URI##*/}
run=${run%%\?*}
printf 'Content-Type: application/xml\r\nX-Body-Read: %s\r\nX-Run: %s\r\n\r\n' "$n" "$run"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<Interop><Run>%s</Run><Read>%s</Read></Interop>\n' "$run" "$n"
