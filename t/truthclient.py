#!/usr/bin/python3
"""Clients that know what they did with a 100-continue, for t/truth.t.

    truthclient.py PORT PROTO CASE PATH N WORKERS

PROTO is h1 (raw HTTP/1.1 sockets) or h2 (h2c with prior knowledge,
Debian's python3-h2).  Sends N POST requests with "Expect: 100-continue"
and a body to PATH?id=I (I = 0 .. N-1), WORKERS at a time, each doing
what CASE says:

    eager     the head and the whole body in one write: never waits
    wait      waits for the 100 (or a final status), then sends the body
    reset100  waits for the 100, then resets the stream (h2: RST_STREAM
              CANCEL) or closes the connection (h1) without a byte of body
    resethead resets the stream (h2) or closes the connection (h1) in the
              same write as the head
    midbody   waits for the 100, sends half the body, then closes the
              connection

Prints one line per request: "ID OUTCOME INTERIM FINAL", where OUTCOME
is what the request's 100-continue was, by docs/status.md's definitions,
from what this client did and saw: early-body when it sent body bytes
before any 100 came, sent when a 100 came before it sent any and before a
final status, skipped when a final status came first and it sent nothing,
abandoned when it went away before any of them.  INTERIM is 100 or -,
FINAL the final status or -.
"""
import socket
import sys
import threading
import time

BODY = b"x" * 2000
TIMEOUT = 20.0


def h1_one(port, case, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Expect: 100-continue\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (path, port, len(BODY))).encode()
    if case == "eager":
        s.sendall(head + BODY)
        status = h1_statuses(s, [])
        s.close()
        return "early-body", status
    if case == "resethead":
        # The head and the FIN in one segment: httpd cannot read the head
        # before the client is gone.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        s.sendall(head)
        s.shutdown(socket.SHUT_WR)
        s.close()
        return "abandoned", ("-", "-")
    s.sendall(head)
    buf = bytearray()
    first = h1_status_line(s, buf)
    if first is None:
        s.close()
        return "none", ("-", "-")
    if first != 100:
        s.close()
        return "skipped", ("-", str(first))
    if case == "reset100":
        s.close()
        return "sent", ("100", "-")
    if case == "midbody":
        s.sendall(BODY[:len(BODY) // 2])
        s.close()
        return "sent", ("100", "-")
    s.sendall(BODY)
    final = h1_status_line(s, buf)
    s.close()
    return "sent", ("100", str(final) if final else "-")


def h1_status_line(s, buf):
    """The status of the next response head on s (reading it whole)."""
    while b"\r\n\r\n" not in buf:
        try:
            d = s.recv(65536)
        except OSError:
            return None
        if not d:
            return None
        buf += d
    end = buf.index(b"\r\n\r\n") + 4
    line = bytes(buf[:buf.index(b"\r\n")])
    del buf[:end]
    try:
        return int(line.split()[1])
    except (IndexError, ValueError):
        return None


def h1_statuses(s, _):
    buf = bytearray()
    st = h1_status_line(s, buf)
    interim = "-"
    if st == 100:
        interim = "100"
        st = h1_status_line(s, buf)
    return interim, str(st) if st else "-"


def h2_batch(port, case, path, ids, out):
    import h2.config
    import h2.connection
    import h2.events
    import h2.errors

    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True,
                                         header_encoding="utf-8"))
    conn.initiate_connection()
    st = {}
    for i in ids:
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [
            (":method", "POST"), (":path", "%s?id=%d" % (path, i)),
            (":scheme", "http"), (":authority", "127.0.0.1:%d" % port),
            ("expect", "100-continue"),
            ("content-length", str(len(BODY)))])
        st[sid] = {"id": i, "interim": "-", "final": "-", "sent": False,
                   "done": False, "outcome": None}
        if case == "eager":
            conn.send_data(sid, BODY, end_stream=True)
            st[sid]["sent"] = True
            st[sid]["outcome"] = "early-body"
        elif case == "resethead":
            conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
            st[sid]["done"] = True
            st[sid]["outcome"] = "abandoned"
    s.sendall(conn.data_to_send())
    deadline = time.time() + TIMEOUT
    closed = False
    while not all(v["done"] for v in st.values()) and time.time() < deadline:
        try:
            data = s.recv(65536)
        except OSError:
            break
        if not data:
            break
        for ev in conn.receive_data(data):
            v = st.get(getattr(ev, "stream_id", None))
            if v is None:
                continue
            if isinstance(ev, (h2.events.InformationalResponseReceived,
                               h2.events.ResponseReceived)):
                code = int(dict(ev.headers)[":status"])
                if code == 100:
                    v["interim"] = "100"
                    if v["outcome"] is None and not v["done"]:
                        v["outcome"] = "sent"
                        sid = ev.stream_id
                        if case == "wait":
                            conn.send_data(sid, BODY, end_stream=True)
                        elif case == "reset100":
                            conn.reset_stream(
                                sid, h2.errors.ErrorCodes.CANCEL)
                            v["done"] = True
                        elif case == "midbody":
                            conn.send_data(sid, BODY[:len(BODY) // 2])
                            s.sendall(conn.data_to_send())
                            s.close()
                            closed = True
                            v["done"] = True
                            break
                elif code >= 200:
                    v["final"] = str(code)
                    if v["outcome"] is None:
                        v["outcome"] = "skipped"
            elif isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length,
                                               ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded,
                                 h2.events.StreamReset)):
                v["done"] = True
        if closed:
            break
        pending = conn.data_to_send()
        if pending:
            s.sendall(pending)
    if not closed:
        try:
            conn.close_connection()
            s.sendall(conn.data_to_send())
            # httpd closes the connection once every stream of it is done,
            # its request logged and counted: what the test waits for.
            while time.time() < deadline and s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    for v in st.values():
        out.append((v["id"], v["outcome"] or "none",
                    (v["interim"], v["final"])))


def main():
    port, proto, case, path = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                               sys.argv[4])
    n, workers = int(sys.argv[5]), int(sys.argv[6])
    results = []
    lock = threading.Lock()
    todo = list(range(n))

    def work():
        while True:
            with lock:
                if not todo:
                    return
                if proto == "h2" and case not in ("midbody", "reset100"):
                    batch, todo[:] = todo[:5], todo[5:]
                else:
                    batch, todo[:] = todo[:1], todo[1:]
            if proto == "h2":
                got = []
                h2_batch(port, case, path, batch, got)
            else:
                got = []
                for i in batch:
                    try:
                        outcome, (interim, final) = h1_one(
                            port, case, "%s?id=%d" % (path, i))
                    except OSError:
                        outcome, interim, final = "none", "-", "-"
                    got.append((i, outcome, (interim, final)))
            with lock:
                results.extend(got)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, outcome, (interim, final) in sorted(results):
        print(i, outcome, interim, final)


if __name__ == "__main__":
    main()
