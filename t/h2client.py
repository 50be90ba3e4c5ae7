#!/usr/bin/python3
"""An HTTP/2 client for the integration suite: h2c with prior knowledge,
or, with --tls CA_FILE, h2 over TLS chosen by ALPN, the server's
certificate verified against CA_FILE for 127.0.0.1.

    h2client.py PORT [TIMEOUT] [--tls CA_FILE]

Reads a JSON list of requests on stdin:
    [{"method": "POST", "path": "/x", "headers": [["expect", "100-continue"]],
      "body": "..."}, ...]
opens one stream per request on one connection, all at once, and answers
with a JSON list, one entry per request:
    {"interim": [100], "status": 200, "headers": {...}, "body": "...",
     "body_sent": true, "alpn": "h2"}
"alpn" is the protocol the server chose by ALPN (null for h2c).  When it
is not h2, no request is sent and each entry has only "alpn" and a null
"status".

Like a careful client, it withholds a request's DATA until the server
answers: an interim 100 makes it send the body, a final response means it
never does.  Requests without a 100-continue expectation send their body
at once, and so does a request with "eager": true, as a client that does
not wait would.  Uses Debian's python3-h2.
"""
import argparse
import errno
import json
import select
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("timeout", type=float, nargs="?", default=5.0)
    ap.add_argument("--tls", metavar="CA_FILE")
    args = ap.parse_args()
    port, timeout = args.port, args.timeout
    reqs = json.load(sys.stdin)

    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    alpn = None
    if args.tls:
        ctx = ssl.create_default_context(cafile=args.tls)
        ctx.set_alpn_protocols(["h2"])
        sock = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
        alpn = sock.selected_alpn_protocol()
        if alpn != "h2":
            sock.close()
            json.dump([{"alpn": alpn, "status": None} for _ in reqs],
                      sys.stdout)
            return
        # Non-blocking from here: a read that finds only TLS's own
        # records (a session ticket) must not wait for the timeout.
        sock.setblocking(False)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True,
                                         header_encoding="utf-8"))
    conn.initiate_connection()
    send(sock, conn.data_to_send(), timeout)

    streams = {}
    for req in reqs:
        sid = conn.get_next_available_stream_id()
        body = req.get("body", "").encode("latin-1")
        headers = [(":method", req.get("method", "GET")),
                   (":path", req["path"]),
                   (":scheme", "https" if args.tls else "http"),
                   (":authority", "127.0.0.1:%d" % port)]
        headers += [(k.lower(), v) for k, v in req.get("headers", [])]
        if body:
            headers.append(("content-length", str(len(body))))
        waits = not req.get("eager") and any(
            k.lower() == "expect" and "100-continue" in v.lower()
            for k, v in req.get("headers", []))
        conn.send_headers(sid, headers, end_stream=not body)
        st = {"interim": [], "status": None, "headers": {}, "body": b"",
              "body_sent": False, "done": False, "pending": body,
              "alpn": alpn}
        streams[sid] = st
        if body and not waits:
            send_body(conn, sid, st)
    send(sock, conn.data_to_send(), timeout)

    deadline = time.time() + timeout
    while not all(s["done"] for s in streams.values()):
        left = deadline - time.time()
        if left <= 0:
            break
        pending = args.tls and sock.pending()
        if not pending and not select.select([sock], [], [], left)[0]:
            break
        try:
            data = sock.recv(65536)
        except ssl.SSLWantReadError:
            continue
        if not data:
            break
        for ev in conn.receive_data(data):
            st = streams.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.ResponseReceived) or \
                    isinstance(ev, h2.events.InformationalResponseReceived):
                hdrs = dict(ev.headers)
                status = int(hdrs[":status"])
                if status < 200:
                    st["interim"].append(status)
                    if status == 100 and st["pending"] and not st["body_sent"]:
                        send_body(conn, ev.stream_id, st)
                else:
                    st["status"] = status
                    for k, v in ev.headers:
                        if k.startswith(":"):
                            continue
                        st["headers"][k] = (st["headers"][k] + ", " + v
                                            if k in st["headers"] else v)
            elif isinstance(ev, h2.events.DataReceived):
                st["body"] += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length,
                                               ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded,
                                 h2.events.StreamReset)):
                st["done"] = True
                if isinstance(ev, h2.events.StreamReset):
                    st["reset"] = ev.error_code
        out = conn.data_to_send()
        if out:
            send(sock, out, timeout)

    conn.close_connection()
    try:
        send(sock, conn.data_to_send(), 1)
    except OSError:
        pass
    sock.close()

    result = []
    for sid in sorted(streams):
        st = streams[sid]
        st["body"] = st["body"].decode("latin-1")
        del st["pending"]
        result.append(st)
    json.dump(result, sys.stdout)


def send(sock, data, timeout):
    """sendall() that also works on a non-blocking TLS socket."""
    deadline = time.time() + timeout
    while data:
        try:
            n = sock.send(data)
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError,
                BlockingIOError):
            n = 0
        data = data[n:]
        if data:
            left = deadline - time.time()
            if left <= 0:
                raise OSError(errno.ETIMEDOUT, "send timed out")
            select.select([], [sock], [], min(left, 0.05))


def send_body(conn, sid, st):
    conn.send_data(sid, st["pending"], end_stream=True)
    st["body_sent"] = True


if __name__ == "__main__":
    main()
