#!/usr/bin/python3
# The wire checks of pkg/rpm-test.sh that client.pl (debian/tests) does
# not make, against the httpd it started on 127.0.0.1:PORT:
#   python3 pkg/rpm-wire.py PORT MARKER
# Raw sockets, the body withheld, every read bounded by WAIT seconds: a
# server that waited for the body (as stock httpd does before answering
# 417) fails them.  MARKER is a string of the ErrorDocument 417 page.
# Prints "ok - ..." or "not ok - ..." for each check.
import socket
import sys
import time

WAIT = 2.0
port = int(sys.argv[1])
marker = sys.argv[2].encode()


def report(cond, name, diag=b""):
    print(("ok - " if cond else "not ok - ") + name)
    if not cond and diag:
        for line in diag.decode("latin-1").splitlines():
            print("#   " + line)
    return cond


def read(sock, until, deadline):
    """Read until `until` (bytes) is in what was read, EOF or the
    deadline; return (data, 'match' | 'eof' | 'timeout')."""
    data = b""
    while until is None or until not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, "timeout"
        if not chunk:
            return data, "eof"
        data += chunk
    return data, "match"


def head(path, expect):
    return ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: %s\r\n"
            "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
            % (path, expect)).encode()


# Refused: the whole 417 response, with the ErrorDocument page, within
# WAIT seconds of the head, the body never sent; then the server closes.
s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
s.sendall(head("/echo", "x-unknown"))
data, how = read(s, None, time.monotonic() + WAIT)
s.close()
report(data.startswith(b"HTTP/1.1 417 "),
       "unknown expectation: 417 within %g s, the body withheld" % WAIT,
       b"read: " + how.encode() + b"\n" + data)
report(marker in data.partition(b"\r\n\r\n")[2],
       "unknown expectation: the body is the ErrorDocument 417 page", data)
report(how == "eof", "unknown expectation: the server closes the connection",
       how.encode())

# Met: 100 Continue within WAIT seconds, then the body, then 200 with it.
s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
s.sendall(head("/echo", "100-continue"))
data, how = read(s, b"\r\n\r\n", time.monotonic() + WAIT)
if report(data.startswith(b"HTTP/1.1 100 "),
          "100-continue: 100 Continue within %g s, before the body" % WAIT,
          b"read: " + how.encode() + b"\n" + data):
    rest = data.partition(b"\r\n\r\n")[2]
    s.sendall(b"hello")
    more, how = read(s, b"hello", time.monotonic() + WAIT)
    rest += more
    report(rest.startswith(b"HTTP/1.1 200 ") and b"hello" in rest,
           "100-continue: then 200 with the body echoed", rest)
s.close()
