#!/usr/bin/python3
"""The backend of t/truth.t's mod_proxy_http case, outside httpd.

    truthbackend.py PORT

Listens on 127.0.0.1:PORT.  Each request: a 100 Continue when it asks for
one (Python's http.server sends it for "Expect: 100-continue"), then the
body read whole (Content-Length), then 200 with the number of bytes read.
A body that stops coming ends the connection after 10 s; the process
ends by itself once the test that started it is gone.

It runs apart from the httpd under test so that a front request whose
client went away never holds one of that httpd's workers through its
backend request: the suite's workers stay free for the next case.
"""
import ctypes
import http.server
import os
import signal
import sys
import threading
import time


class Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def do_POST(self):
        want = int(self.headers.get("Content-Length") or 0)
        got = 0
        while got < want:
            chunk = self.rfile.read(min(65536, want - got))
            if not chunk:
                self.close_connection = True
                return
            got += len(chunk)
        body = b"%d\n" % got
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# prctl(2): a signal for this process when the thread that forked it ends.
PR_SET_PDEATHSIG = 1


def orphaned(parent):
    """Ends this process once t/truth.t, whatever stopped it, is gone: the
    kernel kills it when its parent ends (prctl PR_SET_PDEATHSIG, set by
    the main thread, which lives as long as the process; the test's Perl
    has one thread), and a parent gone before that was set shows in
    getppid().  Where prctl is missing, a thread polls getppid()."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:
        os._exit(0)
    if not armed:
        threading.Thread(target=poll_parent, args=(parent,),
                         daemon=True).start()


def poll_parent(parent):
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


class Server(http.server.ThreadingHTTPServer):
    # socketserver's listen backlog is 5: the proxy opens dozens of
    # connections at once, and dropped SYNs come back only after seconds.
    request_queue_size = 128


def main():
    server = Server(("127.0.0.1", int(sys.argv[1])), Backend)
    server.daemon_threads = True
    orphaned(os.getppid())
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
