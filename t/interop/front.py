"""A front that keeps the client's connection open after the origin's 417,
for t/interop/run.py: what Traffic Server and Squid do (issue 22), small
enough to read.

Over HTTP/1.1 the module answers a refused request that has a body with
"Connection: close" (RFC 9112 section 9.6), and a client does not send
anything more on that connection.  Behind a front that takes the origin's
answer to the client on a connection it keeps, a client that repeats a
request after a 417 repeats it there.  This front does what those fronts
do, and no more:

  - one origin connection per request (with "Connection: close"), the
    request head passed as it came, Expect included;
  - a request that asks for 100-continue: the origin's 100 goes to the
    client and then the body to the origin; a final status instead goes to
    the client at once, and the body is taken as not sent (the client was
    refused before sending it; a client that sends it all the same has it
    read as its next request, which the origin's access log shows);
  - every response goes to the client with a Content-Length and
    "Connection: keep-alive", the origin's "Connection: close" dropped.

Only Content-Length bodies are relayed (every interop client sends one);
a chunked request is answered 411 and the connection closed.  Listens on
127.0.0.1 only; stop() closes the listener and every connection.
"""

import socket
import threading

TIMEOUT = 15
MAX_HEAD = 65536


class Closed(Exception):
    pass


class Reader:
    """Buffered reads from a socket: a head up to its blank line, n bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def head(self):
        while b'\r\n\r\n' not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise Closed()
            self._more()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        fields = []
        for line in lines[1:]:
            name, _, value = line.partition(':')
            fields.append((name.strip(), value.strip()))
        return lines[0], fields

    def exactly(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def line(self):
        while b'\r\n' not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def rest(self):
        try:
            while True:
                self._more()
        except Closed:
            pass
        data, self.buf = self.buf, b''
        return data


def get(fields, name):
    vals = [v for n, v in fields if n.lower() == name]
    return ', '.join(vals) if vals else None


def response_body(rd, status, fields):
    """The body of a response from the origin, chunks joined."""
    if status in (204, 304) or 100 <= status < 200:
        return b''
    te = get(fields, 'transfer-encoding')
    if te and 'chunked' in te.lower():
        body = b''
        while True:
            size = int(rd.line().split(b';')[0], 16)
            if size == 0:
                while rd.line():    # trailers
                    pass
                return body
            body += rd.exactly(size)
            rd.exactly(2)
    cl = get(fields, 'content-length')
    if cl is not None:
        return rd.exactly(int(cl))
    return rd.rest()


class Front:
    def __init__(self, origin_port):
        self.origin = ('127.0.0.1', origin_port)
        self.lsock = socket.socket()
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.conns = set()
        self.lock = threading.Lock()
        self.errors = []
        self.accepted = 0       # client connections, for the run's report
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        try:
            self.lsock.close()
        except OSError:
            pass
        with self.lock:
            for c in list(self.conns):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
        self.thread.join(5)

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.add(c)
                self.accepted += 1
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        c.settimeout(TIMEOUT)
        rd = Reader(c)
        try:
            while self._one(c, rd):
                pass
        except (Closed, OSError, ValueError):
            pass
        finally:
            with self.lock:
                self.conns.discard(c)
            c.close()

    def _one(self, c, rd):
        """Relay one request; False when the client connection ends."""
        reqline, fields = rd.head()
        if get(fields, 'transfer-encoding') is not None:
            c.sendall(b'HTTP/1.1 411 Length Required\r\nContent-Length: 0'
                      b'\r\nConnection: close\r\n\r\n')
            self.errors.append('chunked request: %s' % reqline)
            return False
        length = int(get(fields, 'content-length') or 0)
        expect = (get(fields, 'expect') or '').lower()
        head = reqline + '\r\n' + ''.join(
            '%s: %s\r\n' % (n, v) for n, v in fields
            if n.lower() not in ('connection', 'keep-alive')) + \
            'Connection: close\r\n\r\n'
        o = socket.create_connection(self.origin, TIMEOUT)
        try:
            o.sendall(head.encode('latin-1'))
            ord_ = Reader(o)
            sent = length == 0
            if not sent and '100-continue' not in expect:
                o.sendall(rd.exactly(length))
                sent = True
            while True:
                status_line, rfields = ord_.head()
                status = int(status_line.split()[1])
                if status == 100:
                    c.sendall(status_line.encode('latin-1') + b'\r\n\r\n')
                    if not sent:
                        o.sendall(rd.exactly(length))
                        sent = True
                    continue
                if 100 < status < 200:
                    continue
                break
            body = response_body(ord_, status, rfields)
        finally:
            o.close()
        out = status_line + '\r\n' + ''.join(
            '%s: %s\r\n' % (n, v) for n, v in rfields
            if n.lower() not in ('connection', 'keep-alive',
                                 'transfer-encoding', 'content-length')) + \
            'Content-Length: %d\r\nConnection: keep-alive\r\n\r\n' % len(body)
        c.sendall(out.encode('latin-1') + body)
        return True
