"""A recording TCP relay for t/desync/run.py: it sits between a front and
an origin, passes every byte on unchanged in both directions, and keeps
them, so that what the origin itself sent (its 100s, its responses) is
counted apart from what the front made of it.

    r = Relay(origin_port)      # listens on 127.0.0.1:r.port
    ... the front sends to r.port ...
    r.stop()
    for c in r.conns: c.events, c.upstream_port, c.opened, c.closed

Each connection the front opens gets one of its own to the origin and a
thread that moves bytes both ways as they come (one select() over both
sockets, so the order of events across the two directions is the order
in which the relay saw them).  An end of one side (EOF) is passed on as a
half-close of the other; the connection is over when both sides ended or
either reset.  events is a list of (seconds since the relay started,
'up' or 'down', bytes): 'up' what the front sent to the origin, 'down'
what the origin sent back.  upstream_port is the relay's own port on its
connection to the origin: the origin logs it as the peer's port.
"""

import select
import socket
import threading
import time


class Conn:
    def __init__(self, front_port):
        self.front_port = front_port
        self.upstream_port = None
        self.events = []
        self.opened = time.time()
        self.closed = None
        self.error = ''

    def stream(self, direction):
        return b''.join(d for _, w, d in self.events if w == direction)


class Relay:
    def __init__(self, origin_port):
        self.origin = ('127.0.0.1', origin_port)
        self.lsock = socket.socket()
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        self.t0 = time.monotonic()
        self.conns = []
        self.lock = threading.Lock()
        self.socks = set()
        self.threads = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        if self.stopping:
            return
        self.stopping = True
        # shutdown() wakes the accept() of the other thread; close() alone
        # does not.
        for end in (lambda: self.lsock.shutdown(socket.SHUT_RDWR),
                    self.lsock.close):
            try:
                end()
            except OSError:
                pass
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(10)
        for t in list(self.threads):
            t.join(10)

    def active(self):
        """Connections still open."""
        with self.lock:
            return [c for c in self.conns if c.closed is None]

    def _accept(self):
        while not self.stopping:
            try:
                s, peer = self.lsock.accept()
            except OSError:
                return
            conn = Conn(peer[1])
            with self.lock:
                self.conns.append(conn)
                self.socks.add(s)
            t = threading.Thread(target=self._serve, args=(s, conn),
                                 daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, front, conn):
        try:
            origin = socket.create_connection(self.origin, 30)
        except OSError as e:
            conn.error = 'origin: %s' % e
            conn.closed = time.time()
            front.close()
            with self.lock:
                self.socks.discard(front)
            return
        conn.upstream_port = origin.getsockname()[1]
        with self.lock:
            self.socks.add(origin)
        peer = {front: origin, origin: front}
        name = {front: 'up', origin: 'down'}
        open_ = {front, origin}
        try:
            while open_:
                ready, _, _ = select.select(list(open_), [], [], 60)
                if not ready:
                    continue
                for s in ready:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = None     # a reset: the connection is over
                    if data is None:
                        open_.clear()
                        break
                    if not data:
                        open_.discard(s)
                        try:
                            peer[s].shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    conn.events.append((time.monotonic() - self.t0,
                                        name[s], data))
                    try:
                        peer[s].sendall(data)
                    except OSError:
                        open_.clear()
                        break
        finally:
            conn.closed = time.time()
            for s in (front, origin):
                try:
                    s.close()
                except OSError:
                    pass
            with self.lock:
                self.socks.discard(front)
                self.socks.discard(origin)
