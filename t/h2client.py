#!/usr/bin/python3
"""An HTTP/2 (h2c, prior knowledge) client for the integration suite.

Reads a JSON list of requests on stdin:
    [{"method": "POST", "path": "/x", "headers": [["expect", "100-continue"]],
      "body": "..."}, ...]
opens one stream per request on one connection, all at once, and answers
with a JSON list, one entry per request:
    {"interim": [100], "status": 200, "headers": {...}, "body": "...",
     "body_sent": true}

Like a careful client, it withholds a request's DATA until the server
answers: an interim 100 makes it send the body, a final response means it
never does.  Requests without a 100-continue expectation send their body
at once, and so does a request with "eager": true, as a client that does
not wait would.  Uses Debian's python3-h2.
"""
import json
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events


def main():
    port = int(sys.argv[1])
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    reqs = json.load(sys.stdin)

    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True,
                                         header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    streams = {}
    for req in reqs:
        sid = conn.get_next_available_stream_id()
        body = req.get("body", "").encode("latin-1")
        headers = [(":method", req.get("method", "GET")),
                   (":path", req["path"]),
                   (":scheme", "http"),
                   (":authority", "127.0.0.1:%d" % port)]
        headers += [(k.lower(), v) for k, v in req.get("headers", [])]
        if body:
            headers.append(("content-length", str(len(body))))
        waits = not req.get("eager") and any(
            k.lower() == "expect" and "100-continue" in v.lower()
            for k, v in req.get("headers", []))
        conn.send_headers(sid, headers, end_stream=not body)
        st = {"interim": [], "status": None, "headers": {}, "body": b"",
              "body_sent": False, "done": False, "pending": body}
        streams[sid] = st
        if body and not waits:
            send_body(conn, sid, st)
    sock.sendall(conn.data_to_send())

    deadline = time.time() + timeout
    while not all(s["done"] for s in streams.values()):
        left = deadline - time.time()
        if left <= 0:
            break
        if not select.select([sock], [], [], left)[0]:
            break
        data = sock.recv(65536)
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
            sock.sendall(out)

    conn.close_connection()
    try:
        sock.sendall(conn.data_to_send())
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


def send_body(conn, sid, st):
    conn.send_data(sid, st["pending"], end_stream=True)
    st["body_sent"] = True


if __name__ == "__main__":
    main()
