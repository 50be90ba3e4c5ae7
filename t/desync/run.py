#!/usr/bin/python3
"""The 2025 Expect-based desync techniques, replayed through every front,
against apache2 with mod_expect and against stock apache2.

    python3 t/desync/run.py         (make -f Makefile.apxs desync)

Our own replay of what James Kettle's "HTTP/1.1 Must Die: The Desync
Endgame" (2025) did with Expect, and no third-party code.  Each case
sends one request that asks for something with Expect and carries a body
that is a whole request of its own (a canary, GET /canary-<case>), then a
follow-up on the same client connection (GET /met/f/follow-<case>, with
"Connection: close", so that the end of the connection says that nothing
more comes).  The families (CASES below):

  0cl-*     0.CL through an early response: POST, Expect: 100-continue
            and a Content-Length, to a path the origin answers before any
            body is read (404 and 302 from mod_alias, 401 from
            mod_auth_basic, 417 from a strict scope); the client waits
            for the 100 (1 s, as curl does) and sends the body whatever
            came, as the framing it announced wants;
  cl0-*     CL.0: the same requests with the body and the follow-up sent
            at once, behind the head;
  obf-*     obfuscated values (y 100-continue, x 100-continue,
            100 continue, the obs-fold "Expect:\\r\\n 100-continue") on
            POST and OPTIONS, to a strict scope (the defaults) and a
            lenient one;
  head-*    HEAD with Expect and a body; chunk-417: a chunked body after an
            early 417; http10-*: HTTP/1.0 with keep-alive and Expect.

Every front of make proxies runs (t/lib/fronts.py starts each from
t/proxies' configurations, fixes included, as make proxies does), with
the variants the research names: HAProxy and nginx without the fixes
(their defaults), HAProxy with option http-buffer-request, nginx passing
Expect on with proxy_request_buffering off, Traffic Server with
proxy.config.http.send_100_continue_response 1 and without the close
rule, Go's httputil.ReverseProxy, a Node http proxy, and httpd's
mod_proxy_http with Proxy100Continue On and Off; and "direct", no front.
Over HTTP/2 (h2c) the h2-* cases go to the origins directly.

Between each front and each origin (and between the client and the origin
on the direct path) is a recording relay (t/desync/relay.py), so that the
100s and responses counted at the origin are the origin's own bytes.  A
case of the module origin fails on:

  - a desync at the origin: it answers more requests than the front framed
    on the connection, or logs a path the front never sent as a request
    (a canary parsed from a body);
  - a 1xx after a final status, two 100s for one request, or a 100 for an
    expectation that is malformed, refused, or from an HTTP/1.0 request;
  - a hang (no answer within HANG seconds) that stock apache2 does not
    show in the same case (tried once more, with a longer bound, first);
  - on the direct path, any desync;
  - at the client: a canary's response, more responses than requests, a
    response that is not the follow-up's, a 1xx after a final status,
    unless stock shows exactly the same and KNOWN lists it for this front
    at its installed version (the front's own desync).  A known that no
    longer shows is reported; one that shows otherwise fails.

It prints a row per front and case (what the client got, what each
origin did, the verdict), the summary table docs/proxies.md has, and
"N passed, N failed"; the exit status is 1 on any failure.  A front whose
package the release lacks (Debian 13 has no trafficserver) is named and
not run.

Settings (environment): FRONTS (a comma-separated subset of the names in
FRONT_VARIANTS, h2 included), CASES (a subset of case names), HANG
(seconds, default 4), KEEP=1 keeps the work directory.
"""

import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import fronts  # noqa: E402
from relay import Relay  # noqa: E402

MODULE = os.environ.get('MODULE', os.path.join(TOP, '.libs', 'mod_expect.so'))
# How long a client waits for a 100 before it sends the body (curl's
# timer), and for each answer: a request still unanswered then hangs.
WAIT = 1.0
HANG = float(os.environ.get('HANG', '4'))

# The fronts: name -> (front of t/lib/fronts.py, with the "fix:" parts,
# what the variant adds to its configuration).
FRONT_VARIANTS = {
    'direct': None,
    'haproxy': ('haproxy', True, ''),
    'haproxy-plain': ('haproxy', False, ''),
    'haproxy-buffer': ('haproxy', False, 'option http-buffer-request'),
    'nginx': ('nginx', True, ''),
    'nginx-plain': ('nginx', False, ''),
    'nginx-nobuffer': ('nginx-expect', True, 'proxy_request_buffering off;'),
    'varnish': ('varnish', True, ''),
    'trafficserver': ('trafficserver', True, ''),
    'trafficserver-keep': ('trafficserver', False, ''),
    'trafficserver-100': ('trafficserver', False, 'CONFIG proxy.config.'
                          'http.send_100_continue_response INT 1'),
    'squid': ('squid', True, ''),
    'caddy': ('caddy', True, ''),
    'go': ('go', True, ''),
    'node': ('node', True, ''),
    'httpd-on': ('httpd', True, 'On'),
    'httpd-off': ('httpd', True, 'Off'),
    'h2': None,
}
# What each variant is, for the tables.
FRONT_NAMES = {
    'direct': 'no front',
    'haproxy': 'HAProxy, t/proxies/haproxy.cfg',
    'haproxy-plain': 'HAProxy, without the fix of docs/proxies.md',
    'haproxy-buffer': 'HAProxy, option http-buffer-request (no fix)',
    'nginx': 'nginx, t/proxies/nginx.conf (request buffering on)',
    'nginx-plain': 'nginx, without the fix of docs/proxies.md',
    'nginx-nobuffer': 'nginx, Expect passed on, proxy_request_buffering off',
    'varnish': 'Varnish',
    'trafficserver': 'Traffic Server, close on an early status '
                     '(send_100_continue_response 0)',
    'trafficserver-keep': 'Traffic Server, no close rule '
                          '(send_100_continue_response 0)',
    'trafficserver-100': 'Traffic Server, send_100_continue_response 1',
    'squid': 'Squid',
    'caddy': 'Caddy',
    'go': 'Go httputil.ReverseProxy',
    'node': 'Node http proxy',
    'httpd-on': 'httpd mod_proxy_http, Proxy100Continue On',
    'httpd-off': 'httpd mod_proxy_http, Proxy100Continue Off',
    'h2': 'no front, HTTP/2 (h2c)',
}
UNSHIPPED = os.environ.get('PROXIES_UNSHIPPED', '').split()

OBF = {
    'y': ['Expect: y 100-continue'],
    'x': ['Expect: x 100-continue'],
    'sp': ['Expect: 100 continue'],
    'fold': ['Expect:', ' 100-continue'],
}
EXPECT = ['Expect: 100-continue']


def case(name, path, expect=EXPECT, method='POST', version='1.1',
         chunked=False, mode='wait'):
    return {'name': name, 'path': path, 'expect': expect, 'method': method,
            'version': version, 'chunked': chunked, 'mode': mode}


# name, scope path, Expect lines, method, HTTP version, body, how sent.
CASES = [case('0cl-404', 'missing'), case('0cl-302', 'moved'),
         case('0cl-401', 'auth'), case('0cl-417', 'strict'),
         case('cl0-404', 'missing', mode='together'),
         case('cl0-302', 'moved', mode='together'),
         case('cl0-401', 'auth', mode='together'),
         case('cl0-417', 'strict', mode='together')]
for _o in ('y', 'x', 'sp', 'fold'):
    for _m in ('POST', 'OPTIONS'):
        for _s in ('met', 'lenient'):
            CASES.append(case('obf-%s-%s-%s' % (_o, _m.lower(),
                                                'strict' if _s == 'met'
                                                else 'lenient'),
                              _s, OBF[_o], _m))
CASES += [case('head-met', 'met', method='HEAD'),
          case('head-417', 'strict', method='HEAD'),
          case('chunk-417', 'strict', chunked=True),
          case('chunk-401', 'auth', chunked=True),
          case('http10-met', 'met', version='1.0'),
          case('http10-401', 'auth', version='1.0')]
H2_CASES = [case('h2-404', 'missing'), case('h2-302', 'moved'),
            case('h2-401', 'auth'), case('h2-417', 'strict'),
            case('h2-met', 'met'), case('h2-lenient', 'lenient'),
            case('h2-obf-y-strict', 'met', OBF['y']),
            case('h2-obf-y-lenient', 'lenient', OBF['y']),
            case('h2-obf-sp-strict', 'met', OBF['sp'])]
# No HEAD over h2: mod_http2 (Debian 12's apache2 2.4.71) sends a CGI
# script's output as DATA in the response to any HEAD request, with or
# without Expect and a body, stock too; python3-h2 stops the connection
# there (InvalidBodyLengthError).  Not Expect's, and not a desync: h2 frames
# each stream's content.


def valid_100(expect_value, version):
    """Does an Expect field (as the origin got it) make a well-formed
    100-continue expectation that an origin may answer with 100?  A list
    of tokens, each with optional parameters, one of them 100-continue;
    HTTP/1.1 or later (RFC 9110 section 10.1.1)."""
    if expect_value is None or version != 'HTTP/1.1':
        return False
    token = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
    member = r'%s(?:\s*=\s*(?:%s|"[^"]*"))?' % (token, token)
    param = r'(?:\s*;\s*%s)*' % member
    items = [i.strip() for i in expect_value.split(',')]
    found = False
    for i in items:
        if not i:
            continue
        if not re.fullmatch(member + param, i):
            return False
        if i.split(';')[0].split('=')[0].strip().lower() == '100-continue':
            found = True
    return found


# ---- the client -------------------------------------------------------------

def canary(cid, port):
    """The request a case hides in its body: for the same host as the
    case's own, so that a front that takes it for a request sends it on."""
    return ('GET /canary-%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n'
            % (cid, port)).encode()


def attack_bytes(c, cid, port):
    body = canary(cid, port)
    if c['chunked']:
        body = b'%x\r\n%s\r\n0\r\n\r\n' % (len(body), body)
        length = 'Transfer-Encoding: chunked'
    else:
        length = 'Content-Length: %d' % len(body)
    lines = ['%s /%s/a/%s HTTP/%s' % (c['method'], c['path'], cid,
                                      c['version']),
             'Host: 127.0.0.1:%d' % port]
    if c['version'] == '1.0':
        lines.append('Connection: keep-alive')
    lines += c['expect'] + ['Content-Type: application/octet-stream',
                            length]
    head = ('\r\n'.join(lines) + '\r\n\r\n').encode()
    return head, body


def follow_bytes(cid, port):
    return ('GET /met/f/follow-%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
            'Connection: close\r\n\r\n' % (cid, port)).encode()


class Reader:
    """Responses from a socket, each as it is complete."""

    def __init__(self, sock, methods):
        self.sock = sock
        self.buf = b''
        self.eof = False
        self.error = ''
        self.methods = methods  # of the requests sent, in order
        self.finals = 0
        self.got = []           # (status, fields, body)

    def _more(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError as e:
            self.error = type(e).__name__
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def next(self, deadline):
        """The next response (interim or final), or None: not within the
        deadline, or the connection ended first."""
        while b'\r\n\r\n' not in self.buf:
            if not self._more(deadline):
                return None
        head, rest = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            self.error = 'not a response: %r' % lines[0][:40]
            self.eof = True
            return None
        fields = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(':')
            k = k.strip().lower()
            fields[k] = (fields[k] + ', ' if k in fields else '') + v.strip()
        method = self.methods[self.finals] \
            if self.finals < len(self.methods) else 'GET'
        if status < 200 or status in (204, 304) or method == 'HEAD':
            body, self.buf = b'', rest
        elif 'chunked' in fields.get('transfer-encoding', '').lower():
            self.buf = rest
            body = b''
            while True:
                while b'\r\n' not in self.buf:
                    if not self._more(deadline):
                        return None
                line, self.buf = self.buf.split(b'\r\n', 1)
                n = int(line.split(b';')[0] or b'0', 16)
                while len(self.buf) < n + 2:
                    if not self._more(deadline):
                        return None
                body, self.buf = body + self.buf[:n], self.buf[n + 2:]
                if n == 0:
                    break
        elif 'content-length' in fields:
            n = int(fields['content-length'].split(',')[0])
            self.buf = rest
            while len(self.buf) < n:
                if not self._more(deadline):
                    return None
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            self.buf = rest
            while self._more(deadline):
                pass
            if not self.eof:
                return None
            body, self.buf = self.buf, b''
        if status >= 200:
            self.finals += 1
        r = (status, fields, body)
        self.got.append(r)
        return r


def send(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def run_h1(c, cid, port, hang):
    """One case over HTTP/1.x: what the client got."""
    out = {'responses': [], 'sent': [], 'hang': '', 'closed': '',
           'error': ''}
    head, body = attack_bytes(c, cid, port)
    follow = follow_bytes(cid, port)
    try:
        sock = socket.create_connection(('127.0.0.1', port), hang)
    except OSError as e:
        out['error'] = 'connect: %s' % e
        return out
    rd = Reader(sock, [c['method'], 'GET'])
    try:
        if c['mode'] == 'together':
            send(sock, head + body + follow)
            out['sent'] = ['attack', 'follow']
        else:
            send(sock, head)
            out['sent'] = ['attack']
            rd.next(time.monotonic() + WAIT)
            # The body: after a 100, after a final status (the framing
            # announced it), or when the wait is over; not once the
            # connection has ended.
            if not rd.eof:
                send(sock, body)
            deadline = time.monotonic() + hang
            while rd.finals < 1:
                if rd.next(deadline) is None:
                    break
            if rd.finals >= 1 and not rd.eof:
                if send(sock, follow):
                    out['sent'].append('follow')
        deadline = time.monotonic() + hang
        while not rd.eof:
            if rd.next(deadline) is None:
                break
            deadline = time.monotonic() + hang
        if rd.finals < len(out['sent']) and not rd.eof:
            out['hang'] = '%s unanswered in %g s' % (
                out['sent'][rd.finals], hang)
        elif rd.finals < len(out['sent']):
            out['closed'] = 'closed before %s' % out['sent'][rd.finals]
        elif rd.finals and not rd.eof:
            out['closed'] = 'kept open'
        if rd.finals == 0 and rd.eof and 'follow' not in out['sent']:
            out['closed'] = 'closed before any answer'
        elif rd.eof and 'follow' not in out['sent']:
            out['closed'] = 'closed before follow'
    finally:
        sock.close()
    out['error'] = rd.error
    out['responses'] = rd.got
    return out


def run_h2(c, cid, port, hang):
    """One case over h2c with prior knowledge: the attack on stream 1,
    its DATA withheld until an answer or WAIT; the follow-up on stream 3."""
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    out = {'streams': {}, 'hang': '', 'error': ''}
    try:
        sock = socket.create_connection(('127.0.0.1', port), hang)
    except OSError as e:
        out['error'] = 'connect: %s' % e
        return out
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
        client_side=True, header_encoding='utf-8',
        validate_outbound_headers=False, normalize_outbound_headers=False))
    conn.initiate_connection()
    body = canary(cid, port)
    value = ' '.join(x.split(':', 1)[1].strip() if ':' in x else x.strip()
                     for x in c['expect'])
    headers = [(':method', c['method']),
               (':path', '/%s/a/%s' % (c['path'], cid)),
               (':scheme', 'http'), (':authority', '127.0.0.1:%d' % port),
               ('expect', value), ('content-length', str(len(body)))]
    conn.send_headers(1, headers)
    sock.sendall(conn.data_to_send())
    st = {1: {'interim': [], 'final': None, 'xrun': '', 'events': [],
              'ended': False},
          3: {'interim': [], 'final': None, 'xrun': '', 'events': [],
              'ended': False}}
    data_sent = False
    follow_sent = False

    def pump(deadline, until):
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                return False
            except OSError as e:
                out['error'] = type(e).__name__
                return False
            if not data:
                out['error'] = 'closed'
                return False
            try:
                evs = conn.receive_data(data)
            except h2.exceptions.ProtocolError as e:
                out['error'] = 'h2: %s' % e
                out['protocol'] = str(e)
                return False
            for ev in evs:
                sid = getattr(ev, 'stream_id', None)
                s = st.get(sid)
                if isinstance(ev, (h2.events.ResponseReceived,
                                   h2.events.InformationalResponseReceived)):
                    h = dict(ev.headers)
                    status = int(h[':status'])
                    s['events'].append((status, data_sent))
                    if status < 200:
                        s['interim'].append(status)
                    else:
                        s['final'] = status
                        s['xrun'] = h.get('x-run', '')
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(
                        ev.flow_controlled_length, sid)
                elif isinstance(ev, (h2.events.StreamEnded,
                                     h2.events.StreamReset)):
                    s['ended'] = True
                    if isinstance(ev, h2.events.StreamReset):
                        s['reset'] = int(ev.error_code)
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)
        return True

    try:
        pump(time.monotonic() + WAIT,
             lambda: st[1]['interim'] or st[1]['final'])
        if not st[1]['ended'] and not st[1].get('reset'):
            try:
                conn.send_data(1, body, end_stream=True)
                data_sent = True
            except Exception:   # the stream is closed: nothing to send
                pass
        conn.send_headers(3, [(':method', 'GET'),
                              (':path', '/met/f/follow-%s' % cid),
                              (':scheme', 'http'),
                              (':authority', '127.0.0.1:%d' % port)],
                          end_stream=True)
        follow_sent = True
        sock.sendall(conn.data_to_send())
        if not pump(time.monotonic() + hang,
                    lambda: st[1]['ended'] and st[3]['ended']):
            waiting = [n for n, s in (('attack', st[1]), ('follow', st[3]))
                       if not s['ended']]
            if waiting and not out['error']:
                out['hang'] = '%s unanswered in %g s' % (waiting[0], hang)
    except OSError as e:
        out['error'] = out['error'] or type(e).__name__
    finally:
        sock.close()
    out['streams'] = st
    out['data_sent'] = data_sent
    out['follow_sent'] = follow_sent
    return out


# ---- the relay's record, parsed ---------------------------------------------

def parse_requests(stream):
    """Requests in the bytes a front sent, framed as RFC 9112 frames them
    (Content-Length, chunked): [{method, path, version, expect, head_end,
    end}], offsets into stream.  The last may be incomplete."""
    out = []
    pos = 0
    while pos < len(stream):
        # Empty lines before a request line are allowed (RFC 9112 2.2).
        while stream.startswith(b'\r\n', pos):
            pos += 2
        end = stream.find(b'\r\n\r\n', pos)
        if end < 0:
            if pos < len(stream):
                out.append({'method': '?', 'path': '?', 'version': '?',
                            'expect': None, 'head_end': None, 'end': None,
                            'start': pos})
            break
        lines = stream[pos:end].decode('latin-1').split('\r\n')
        parts = lines[0].split(' ')
        fields = []
        for ln in lines[1:]:
            if ln[:1] in (' ', '\t') and fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + ' ' + ln.strip())
                continue
            k, _, v = ln.partition(':')
            fields.append((k.strip().lower(), v.strip()))
        get = {}
        for k, v in fields:
            get[k] = (get[k] + ', ' + v) if k in get else v
        r = {'method': parts[0], 'path': parts[1] if len(parts) > 1 else '',
             'version': parts[2] if len(parts) > 2 else '',
             'expect': get.get('expect'), 'start': pos,
             'head_end': end + 4, 'end': None}
        out.append(r)
        pos = end + 4
        if 'chunked' in get.get('transfer-encoding', '').lower():
            while True:
                nl = stream.find(b'\r\n', pos)
                if nl < 0:
                    return out
                try:
                    n = int(stream[pos:nl].split(b';')[0], 16)
                except ValueError:
                    return out
                pos = nl + 2 + n + 2 if n else nl + 2
                if n == 0:
                    # trailers up to the blank line
                    t = stream.find(b'\r\n', pos)
                    while t >= 0 and t != pos:
                        pos = t + 2
                        t = stream.find(b'\r\n', pos)
                    if t < 0:
                        return out
                    pos = t + 2
                    break
                if pos > len(stream):
                    return out
        else:
            n = int(get.get('content-length', '0').split(',')[0] or 0)
            pos += n
            if pos > len(stream):
                return out
        r['end'] = pos
    return out


def parse_responses(stream, methods):
    """Responses in the bytes an origin sent: [{status, start, end}];
    methods[k] is the method of the request the k-th final answers."""
    out = []
    pos = 0
    finals = 0
    while pos < len(stream):
        end = stream.find(b'\r\n\r\n', pos)
        if end < 0:
            out.append({'status': 0, 'start': pos, 'end': len(stream),
                        'bad': 'a partial head'})
            break
        lines = stream[pos:end].decode('latin-1').split('\r\n')
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            out.append({'status': 0, 'start': pos, 'end': len(stream),
                        'bad': 'not a response: %r' % lines[0][:40]})
            break
        get = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(':')
            get[k.strip().lower()] = v.strip()
        r = {'status': status, 'start': pos, 'fields': get}
        pos = end + 4
        method = methods[finals] if finals < len(methods) else 'GET'
        if status < 200 or status in (204, 304) or method == 'HEAD':
            pass
        elif 'chunked' in get.get('transfer-encoding', '').lower():
            while True:
                nl = stream.find(b'\r\n', pos)
                if nl < 0:
                    pos = len(stream)
                    break
                n = int(stream[pos:nl].split(b';')[0] or b'0', 16)
                pos = nl + 2 + n + 2 if n else nl + 4
                if n == 0:
                    break
        elif 'content-length' in get:
            pos += int(get['content-length'])
        else:
            pos = len(stream)
        r['end'] = pos
        if status >= 200:
            finals += 1
        out.append(r)
    return out


def offsets(conn, direction):
    """[(offset in the direction's stream, index of the event)] for each
    event of that direction."""
    out = []
    pos = 0
    for i, (_, d, data) in enumerate(conn.events):
        if d == direction:
            out.append((pos, i))
            pos += len(data)
    return out


def event_at(offs, offset):
    """Index of the event that holds byte offset of the stream."""
    idx = None
    for pos, i in offs:
        if pos <= offset:
            idx = i
        else:
            break
    return idx


def read_log(path):
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, errors='replace') as fh:
        for line in fh:
            f = line.rstrip('\n').split('\t')
            if len(f) < 11:
                continue
            entries.append({'port': int(f[0]) if f[0].isdigit() else 0,
                            'k': int(f[1]) if f[1].isdigit() else 0,
                            'status': int(f[2]) if f[2].isdigit() else 0,
                            'estatus': f[3], 'read': f[4],
                            'begin': int(f[6]) / 1000.0
                            if f[6].isdigit() else 0,
                            'proto': f[7], 'method': f[8], 'path': f[9],
                            'expect': f[10], 'raw': line.rstrip('\n')})
    return entries


CID = re.compile(r'/(?:canary-|[a-z]+/[af]/(?:follow-)?)([A-Za-z0-9_.-]+)$')


def case_of(path):
    """The case id a request path names."""
    m = CID.search(path or '')
    return m.group(1) if m else None


def origin_problems(conns, log):
    """What each origin did wrong on each relay connection: {case id:
    [problem]}, the problems no case could be named for, and the log
    lines (their id()) that the relay's connections account for."""
    by_case = {}
    loose = []

    def add(cid, what):
        if cid is None:
            loose.append(what)
        else:
            by_case.setdefault(cid, []).append(what)

    used = set()
    for conn in conns:
        up = conn.stream('up')
        down = conn.stream('down')
        reqs = parse_requests(up)
        # The origin's log lines of this connection, in their order.
        mine = [e for e in log if e['port'] == conn.upstream_port
                and conn.opened - 2 <= e['begin']
                <= (conn.closed or time.time()) + 2]
        mine.sort(key=lambda e: e['k'])
        for e in mine:
            used.add(id(e))
        for k, e in enumerate(mine):
            framed = reqs[k]['path'] if k < len(reqs) else None
            if e['path'] != (framed or '').split('?')[0]:
                add(case_of(e['path']) or case_of(framed),
                    'origin parsed %s %s, the front framed %s'
                    % (e['method'], e['path'], framed or 'nothing'))
        methods = [e['method'] for e in mine] + \
            [r['method'] for r in reqs[len(mine):]]
        resps = parse_responses(down, methods)
        up_offs = offsets(conn, 'up')
        down_offs = offsets(conn, 'down')
        finals = 0
        interims = 0
        for r in resps:
            req = reqs[finals] if finals < len(reqs) else None
            cid = case_of(req['path']) if req else None
            if r['status'] == 0:
                add(cid, 'origin sent %s' % r['bad'])
                break
            if r['status'] >= 200:
                finals += 1
                interims = 0
                if req is None:
                    add(cid, 'origin sent a %d with no request left'
                        % r['status'])
                continue
            interims += 1
            if req is None or req['head_end'] is None:
                add(cid, 'origin sent %d after its last final status'
                    % r['status'])
                continue
            ev = event_at(down_offs, r['start'])
            head_ev = event_at(up_offs, req['head_end'] - 1)
            if head_ev is None or ev is None or head_ev > ev:
                add(cid, 'origin sent %d before the head of %s, after a '
                    'final status' % (r['status'], req['path']))
                continue
            if r['status'] != 100:
                continue
            if r['fields']:
                add(cid, 'origin\'s 100 carries %s' % ', '.join(
                    sorted(r['fields'])))
            if interims > 1:
                add(cid, 'origin sent two 100s for %s' % req['path'])
            if req['version'] != 'HTTP/1.1':
                add(cid, 'origin sent 100 to %s %s' % (req['version'],
                                                       req['path']))
            elif not valid_100(req['expect'], req['version']):
                add(cid, 'origin sent 100 for Expect: %r' % req['expect'])
            else:
                # A 100 then a refusal: the expectation was not met.
                nxt = [x for x in resps if x['start'] > r['start']
                       and x['status'] >= 200]
                if nxt and nxt[0]['status'] == 417:
                    add(cid, 'origin sent 100, then 417, for %s'
                        % req['path'])
    return by_case, loose, used


def check_checks():
    """The origin's and the client's checks, on records made here of what
    they must report and what they must not: run first at every run, so
    that a change that blinds them fails here instead of passing."""
    class Rec:
        def __init__(self, events, port):
            self.events = [(i, d, b) for i, (d, b) in enumerate(events)]
            self.upstream_port = port
            self.opened = 100.0
            self.closed = 200.0

        def stream(self, direction):
            return b''.join(b for _, d, b in self.events if d == direction)

    def line(port, k, path, method='POST'):
        return {'port': port, 'k': k, 'status': 200, 'begin': 150.0,
                'method': method, 'path': path}

    post = (b'POST /met/a/t1 HTTP/1.1\r\nHost: x\r\nExpect: %s\r\n'
            b'Content-Length: 36\r\n\r\n')
    body = b'GET /canary-t1 HTTP/1.1\r\nHost: x\r\n\r\n'
    ok404 = b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'
    ok200 = b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
    c100 = b'HTTP/1.1 100 Continue\r\n\r\n'
    samples = (
        # An early 404 kept open, the body then parsed as a request.
        ([('up', post % b'100-continue'), ('down', ok404), ('up', body),
          ('down', ok200)],
         [line(1, 0, '/met/a/t1'), line(1, 1, '/canary-t1', 'GET')],
         'origin parsed GET /canary-t1'),
        # A 100 for a malformed field.
        ([('up', post % b'y 100-continue'), ('down', c100), ('up', body),
          ('down', ok200)], [line(1, 0, '/met/a/t1')],
         'origin sent 100 for Expect'),
        # Two 100s.
        ([('up', post % b'100-continue'), ('down', c100), ('down', c100),
          ('up', body), ('down', ok200)], [line(1, 0, '/met/a/t1')],
         'two 100s'),
        # A 100 after the final status, before any other request.
        ([('up', post % b'100-continue'), ('down', ok404), ('down', c100)],
         [line(1, 0, '/met/a/t1')], 'after its last final status'),
        # 100, then 417.
        ([('up', post % b'100-continue'), ('down', c100),
          ('down', b'HTTP/1.1 417 No\r\nContent-Length: 0\r\n\r\n')],
         [line(1, 0, '/met/a/t1')], 'then 417'),
        # What must pass: 100, the body, 200.
        ([('up', post % b'100-continue'), ('down', c100), ('up', body),
          ('down', ok200)], [line(1, 0, '/met/a/t1')], None),
    )
    for events, log, want in samples:
        by_case, loose, _ = origin_problems([Rec(events, 1)], log)
        said = '; '.join(sum(by_case.values(), []) + loose)
        if (want is None) != (not said) or (want and want not in said):
            sys.exit('desync: the origin check says %r where it must say '
                     '%r' % (said, want or 'nothing'))
    h = {'x-run': 'canary-t1'}
    for responses, want in (
            ([(404, {}, b''), (200, h, b''), (200, {'x-run': 'follow-t1'},
                                              b'')], 'canary answered'),
            ([(404, {'connection': 'close'}, b''), (200, h, b'')],
             'canary answered after Connection: close'),
            ([(404, {}, b''), (100, {}, b''),
              (200, {'x-run': 'follow-t1'}, b'')],
             '1xx after a final status'),
            ([(404, {}, b''), (200, {}, b''),
              (200, {'x-run': 'follow-t1'}, b'')],
             'a response nobody asked for'),
            ([(404, {}, b''), (200, {'x-run': 'follow-t1'}, b'')], None)):
        got = {'responses': responses, 'sent': ['attack', 'follow'],
               'hang': '', 'closed': '', 'error': ''}
        said = client_view(None, 't1', got)[1]
        if (want is None) != (not said) or (want and want not in said):
            sys.exit('desync: the client check says %r where it must say '
                     '%r' % (said, want or 'nothing'))


# ---- verdicts ---------------------------------------------------------------

def client_view(c, cid, got):
    """What the client got, and its problems (a desync seen from the
    client: a front's, or the origin's through it).  A problem that comes
    after a final status with "Connection: close" is marked so: a client
    that obeys it (RFC 9112 section 9.6) never sees it; this one, as an
    attacker would, goes on."""
    problems = []
    kinds = []
    finals = [r for r in got['responses'] if r[0] >= 200]
    nfinal = 0
    told_close = False
    for status, fields, _ in got['responses']:
        run = fields.get('x-run', '')
        after = ' after Connection: close' if told_close else ''
        if status < 200:
            kinds.append(str(status))
            if nfinal:
                problems.append('1xx after a final status' + after)
            continue
        nfinal += 1
        if run == 'canary-' + cid:
            kinds.append('canary %d' % status)
            problems.append('canary answered' + after)
        elif run == 'follow-' + cid:
            kinds.append('follow-up %d' % status)
            if nfinal == 1:
                problems.append('follow-up answered first')
        elif nfinal == 1 and run in ('', cid):
            kinds.append(str(status))
        elif nfinal == 2 == len(finals) and not run and status >= 400 \
                and 'follow' in got['sent']:
            # The last answer, and not the origin's (no X-Run): the front's
            # own error for the follow-up.
            kinds.append('follow-up %d from the front' % status)
            problems.append('the follow-up got the front\'s %d%s'
                            % (status, after))
        else:
            kinds.append('other %d' % status)
            problems.append('a response nobody asked for' + after)
        if 'close' in fields.get('connection', '').lower():
            told_close = True
    if len(finals) > len(got['sent']) and not problems:
        problems.append('more responses than requests')
    text = ', '.join(kinds) or 'nothing'
    if got['hang']:
        text += '; hang: ' + got['hang']
    elif got['closed']:
        text += '; ' + got['closed']
    if got['error']:
        text += ' (%s)' % got['error']
    return text, sorted(set(problems))


def h2_view(c, cid, got):
    problems = []
    parts = []
    for sid, name in ((1, 'attack'), (3, 'follow-up')):
        s = got['streams'].get(sid) or {'events': [], 'final': None,
                                         'xrun': '', 'interim': []}
        seen_final = False
        finals = 0
        for status, data_sent in s['events']:
            if status >= 200:
                finals += 1
                seen_final = True
            elif seen_final:
                problems.append('1xx after a final status')
        if finals > 1:
            problems.append('two final statuses')
        if sid == 1 and s['interim'].count(100) > 1:
            problems.append('two 100s')
        if sid == 1 and 100 in s['interim'] and not valid_100(
                ' '.join(x.split(':', 1)[1].strip() if ':' in x
                         else x.strip() for x in c['expect']), 'HTTP/1.1'):
            problems.append('100 for a malformed expectation')
        if sid == 1 and s['final'] == 417 and 100 in s['interim']:
            problems.append('100, then 417')
        if sid == 3 and s['final'] is not None and \
                s['xrun'] != 'follow-' + cid:
            problems.append('the follow-up got another response')
        if 'canary-' in s.get('xrun', ''):
            problems.append('canary answered')
        txt = '%s%s' % ('100 ' if 100 in s['interim'] else '',
                        s['final'] if s['final'] else 'nothing')
        if sid == 1 and s['final'] and s['final'] >= 300 and \
                not got.get('data_sent'):
            txt += ' before DATA'
        if s.get('reset') is not None:
            txt += ' (reset %d)' % s['reset']
        parts.append('%s %s' % (name, txt))
    if got.get('protocol'):
        problems.append('h2 protocol error')
    text = ', '.join(parts)
    if got['hang']:
        text += '; hang: ' + got['hang']
    if got['error'] and got['error'] != 'closed':
        text += ' (%s)' % got['error']
    return text, sorted(set(problems))


# A front's own desync, seen with stock apache2 as with the module:
# (front, case) -> {the front's package version: (the client's problems,
# why, the case whose stock row shows them)}.  Checked at every run: the
# module's row must show exactly these, stock's (in that case: where only
# the module answers early, a 417 of a strict scope, stock's early answer
# of the same kind, a 401) at least these; a known that no longer shows is
# reported.
KNOWN = {}


def known(front, version, cases, problems, why):
    for c in cases:
        like = c
        for early in ('0cl-417', 'cl0-417', 'chunk-417', 'head-417'):
            if c == early:
                like = early.replace('417', '401')
        KNOWN.setdefault((front, c), {})[version] = (frozenset(problems),
                                                     why, like)


# Traffic Server 9.2 (send_100_continue_response 0) relays an origin's
# early final status and keeps the client's connection: the body that
# follows is read as the client's next request, and a whole request there
# (the canary) is sent to the origin on a connection of its own and
# answered, by stock apache2 as by the module (the relay shows Traffic
# Server framing it as a request).  With the close rule of
# t/proxies/trafficserver-close.conf the early answer says
# "Connection: close", so a client that obeys it never sends more; the
# connection is still kept, and a client that goes on is served.  A
# chunked body's first line is no request: Traffic Server answers it 400,
# and that is what the follow-up gets.  With send_100_continue_response 1
# it reads the body itself after its own 100: no desync.
ATS_EARLY = ('0cl-404', '0cl-302', '0cl-401', '0cl-417', 'cl0-404',
             'cl0-302', 'cl0-401', 'cl0-417')
ATS_WHY = 'Traffic Server reads the unread body as the next request'
for _v in ('9.2.5+ds-0+deb12u4',):
    known('trafficserver', _v, ATS_EARLY,
          ['canary answered after Connection: close'], ATS_WHY)
    known('trafficserver', _v, ('chunk-417', 'chunk-401'),
          ["the follow-up got the front's 400 after Connection: close"],
          ATS_WHY)
    known('trafficserver-keep', _v, ATS_EARLY, ['canary answered'], ATS_WHY)
    known('trafficserver-keep', _v, ('chunk-417', 'chunk-401'),
          ["the follow-up got the front's 400"], ATS_WHY)


def judge(front, c, m, s, version, stock_of):
    """The verdict of a case: (ok, text).  stock_of(case name) is stock's
    view of another case on the same front."""
    fails = []
    if m['origin']:
        fails.append('module origin: ' + '; '.join(m['origin']))
    if m['hang'] and not s['hang']:
        fails.append('a hang stock does not show')
    mc, sc = frozenset(m['problems']), frozenset(s['problems'])
    k = KNOWN.get((front, c['name']), {}).get(version)
    if k and k[2] != c['name']:
        sc = frozenset(stock_of(k[2])['problems'])
    note = ''
    if mc:
        if front in ('direct', 'h2'):
            fails.append('desync on the direct path: ' + ', '.join(sorted(mc)))
        elif k and k[0] == mc and k[0] <= sc:
            note = 'known: %s' % k[1]
        elif k:
            fails.append('known %s changed: now %s (stock: %s)' % (
                ', '.join(sorted(k[0])), ', '.join(sorted(mc)),
                ', '.join(sorted(sc)) or 'none'))
        elif mc <= sc:
            fails.append('%s (stock too), not in KNOWN for %s'
                         % (', '.join(sorted(mc)), version))
        else:
            fails.append('%s, which stock does not show'
                         % ', '.join(sorted(mc - sc)))
    elif k:
        note = 'known gone: %s no longer shows (%s)' % (
            ', '.join(sorted(k[0])), k[1])
    if fails:
        return False, 'FAIL: ' + '; '.join(fails)
    return True, note or 'ok'


def versions_of(names):
    out = {}
    for n in names:
        v = FRONT_VARIANTS.get(n)
        if v is None:
            out[n] = fronts.package_version('apache2') or '?'
            continue
        out[n] = fronts.package_version(fronts.PROGRAMS[v[0]][1]) or '?'
    return out


def main():
    harness.exit_on_signals()
    check_checks()
    if not os.path.isfile(MODULE):
        sys.exit('%s is missing: build it first (make -f Makefile.apxs)'
                 % MODULE)
    names = [n for n in os.environ.get('FRONTS', ','.join(FRONT_VARIANTS))
             .split(',') if n]
    for n in names:
        if n not in FRONT_VARIANTS:
            sys.exit('unknown front %r' % n)
    only = [n for n in os.environ.get('CASES', '').split(',') if n]
    cases = [c for c in CASES if not only or c['name'] in only]
    h2_cases = [c for c in H2_CASES if not only or c['name'] in only]
    unshipped = []
    for n in list(names):
        v = FRONT_VARIANTS[n]
        if v and v[0] in UNSHIPPED and \
                not os.path.exists(fronts.PROGRAMS[v[0]][0]):
            unshipped.append('%s: not run, %s has no %s package'
                             % (n, fronts.release(), v[0]))
            names.remove(n)
    missing = sorted({fronts.PROGRAMS[FRONT_VARIANTS[n][0]][0]
                      for n in names if FRONT_VARIANTS[n]
                      and not os.path.exists(
                          fronts.PROGRAMS[FRONT_VARIANTS[n][0]][0])})
    if missing:
        sys.exit('desync: missing %s (make -f Makefile.apxs desync installs '
                 'what it needs as root)' % ', '.join(missing))
    versions = versions_of(names)

    t0 = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='mod_expect-desync.')
    os.chmod(workdir, 0o755)
    children = harness.Children()
    relays = {}
    results = {}
    try:
        for d in ('cgi', 'htdocs'):
            os.makedirs(os.path.join(workdir, d))
        shutil.copy(os.path.join(TOP, 't', 'interop', 'count.cgi'),
                    os.path.join(workdir, 'cgi', 'count'))
        os.chmod(os.path.join(workdir, 'cgi', 'count'), 0o755)
        open(os.path.join(workdir, 'htpasswd'), 'w').close()
        f = fronts.Fronts(children, workdir)
        conf = os.path.join(HERE, 'httpd.conf')
        origin = {'module': f.start_origin('module', conf, module=MODULE),
                  'stock': f.start_origin('stock', conf)}
        build = fronts.build_go(workdir) if 'go' in names else None
        ports = {}
        errors = []

        def start(n):
            try:
                if n == 'h2':
                    ports[n] = dict(origin)
                    return
                relays[n] = {o: Relay(origin[o]) for o in origin}
                up = {o: relays[n][o].port for o in origin}
                if n == 'direct':
                    ports[n] = up
                    return
                front, fixed, extra = FRONT_VARIANTS[n]
                ports[n] = f.start(front, up, instance=n, extra=extra,
                                   fixed=fixed, build=build)
            except Exception as e:     # reported below, the run goes on
                errors.append('%s did not start: %s' % (n, e))
        starters = [threading.Thread(target=start, args=(n,)) for n in names]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        for e in errors:
            print('desync: ' + e)
        print('desync: %d fronts up in %.1f s, %s' % (
            len(ports), time.monotonic() - t0, workdir))

        def drive(n, hang=HANG, only_cases=None, suffix=''):
            for c in (h2_cases if n == 'h2' else cases):
                if only_cases is not None and c['name'] not in only_cases:
                    continue
                for o in ('module', 'stock'):
                    cid = '%s-%s-%s%s' % (n, o, c['name'], suffix)
                    t = time.monotonic()
                    run = run_h2 if n == 'h2' else run_h1
                    try:
                        got = run(c, cid, ports[n][o], hang)
                    except Exception as e:
                        got = {'responses': [], 'sent': [], 'hang': '',
                               'closed': '', 'streams': {},
                               'error': 'the client failed: %r' % e}
                    got['ms'] = (time.monotonic() - t) * 1000
                    got['cid'] = cid
                    results[(n, o, c['name'])] = got

        drivers = [threading.Thread(target=drive, args=(n,))
                   for n in names if n in ports]
        for t in drivers:
            t.start()
        for t in drivers:
            t.join()
        print('desync: cases done at %.1f s' % (time.monotonic() - t0))
        # A hang of the module's that stock did not show: once more, with
        # a longer bound, before it counts (a busy machine is slow).
        again = {}
        for (n, o, name), got in results.items():
            if o == 'module' and got['hang'] and \
                    not results[(n, 'stock', name)]['hang']:
                again.setdefault(n, []).append(name)
        if again:
            print('desync: again, with %g s: %s' % (HANG * 3, ', '.join(
                '%s %s' % (n, c) for n in again for c in again[n])))
            ts = [threading.Thread(target=drive, args=(n, HANG * 3,
                                                       again[n], '-again'))
                  for n in again]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        # The fronts, then the origins (each answers and logs what it took
        # before it exits), then the relays: every record is whole.
        for name in list(children.procs):
            if not name.startswith('apache2-'):
                children.stop(name)
        for o in origin:
            f.stop_origin(o)
        for n in relays:
            for r in relays[n].values():
                r.stop()
    finally:
        children.stop_all()
        for n in relays:
            for r in relays[n].values():
                r.stop()

    logs = {o: read_log(os.path.join(workdir, 'access_log-' + o))
            for o in ('module', 'stock')}
    at_origin = {}
    loose = []
    used = set()
    for n in relays:
        for o in relays[n]:
            by_case, lz, u = origin_problems(relays[n][o].conns, logs[o])
            used |= u
            for cid, p in by_case.items():
                at_origin.setdefault(cid, []).extend(p)
            loose += ['%s, %s origin: %s' % (n, o, x) for x in lz]
    # A canary in a log line that no relay connection accounts for: over
    # h2 (no relay) a DATA frame taken for a request; else the relay lost
    # track, which is a failure of its own.
    for o in logs:
        for e in logs[o]:
            if id(e) not in used and e['path'].startswith('/canary-'):
                at_origin.setdefault(case_of(e['path']), []).append(
                    'origin logged %s on a connection no relay saw'
                    % e['path'])

    def stock_view(n, name):
        got = results.get((n, 'stock', name))
        if got is None:
            return {'problems': ['not run']}
        c = [x for x in cases + h2_cases if x['name'] == name][0]
        return {'problems': (h2_view if n == 'h2' else client_view)(
            c, got['cid'], got)[1]}

    tally = harness.Tally('desync')
    rows = []
    summary = {}
    for n in names:
        if n not in ports:
            tally.check(False, '%s: not started' % n)
            continue
        for c in (h2_cases if n == 'h2' else cases):
            view = {}
            for o in ('module', 'stock'):
                got = results.get((n, o, c['name']))
                if got is None:
                    view[o] = {'text': 'not run', 'problems': ['not run'],
                               'origin': [], 'hang': '', 'ms': 0}
                    continue
                text, problems = (h2_view if n == 'h2' else client_view)(
                    c, got['cid'], got)
                view[o] = {'text': text, 'problems': problems,
                           'origin': at_origin.get(got['cid'], []),
                           'hang': got['hang'], 'ms': got['ms']}
            ok, verdict = judge(n, c, view['module'], view['stock'],
                                versions[n], lambda name, n=n: stock_view(
                                    n, name))
            tally.check(ok, '%s %s' % (n, c['name']), verdict)
            rows.append((n, c['name'], view, verdict))
            summary[(n, c['name'])] = (view, verdict)
    if loose:
        tally.check(False, 'origin problems no case names',
                    '; '.join(loose))
    for o in ('module', 'stock'):
        err = os.path.join(workdir, 'error_log-' + o)
        crashes = [ln for ln in open(err) if 'exit signal' in ln] \
            if os.path.exists(err) else []
        tally.check(not crashes, 'apache2 (%s) children crashed' % o,
                    ''.join(crashes))

    print()
    print(harness.markdown_table(
        ('front', 'case', 'client got (module)', 'module origin',
         'client got (stock)', 'stock origin', 'verdict'),
        [(n, name, v['module']['text'],
          '; '.join(v['module']['origin']) or 'ok', v['stock']['text'],
          '; '.join(v['stock']['origin']) or 'ok', verdict)
         for n, name, v, verdict in rows]))
    print_summary(names, versions, summary, cases, h2_cases)
    if os.environ.get('KEEP'):
        print('desync: kept %s' % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print('\ndesync: %.0f s' % (time.monotonic() - t0))
    for u in unshipped:
        print('desync: ' + u)
    return tally.summary()


FAMILIES = (('0.CL', '0cl-'), ('CL.0', 'cl0-'), ('obfuscated', 'obf-'),
            ('HEAD', 'head-'), ('chunked', 'chunk-'), ('HTTP/1.0', 'http10-'),
            ('h2', 'h2-'))


def print_summary(names, versions, summary, cases, h2_cases):
    """Front x family: what the client saw of a desync, module | stock."""
    print('\n| front | version | ' + ' | '.join(f for f, _ in FAMILIES)
          + ' |')
    print('|---|---|' + '---|' * len(FAMILIES))
    for n in names:
        cells = []
        for fam, prefix in FAMILIES:
            got = [(name, v, verdict) for (m, name), (v, verdict)
                   in summary.items() if m == n and name.startswith(prefix)]
            if not got:
                cells.append('-')
                continue
            bad = {}
            for name, v, verdict in got:
                for o in ('module', 'stock'):
                    for p in v[o]['problems'] + (['hang'] if v[o]['hang']
                                                 else []):
                        bad.setdefault((o, p), []).append(
                            name[len(prefix):])
            fails = [name[len(prefix):] for name, _, verdict in got
                     if verdict.startswith('FAIL')]
            parts = []
            for o in ('module', 'stock'):
                ps = sorted({p for (oo, p) in bad if oo == o})
                if ps:
                    parts.append('%s: %s' % (o, '; '.join(
                        '%s (%s)' % (p, ', '.join(bad[(o, p)]))
                        for p in ps)))
            cell = ' / '.join(parts) or 'no desync'
            if fails:
                cell += ' **FAIL: %s**' % ', '.join(fails)
            cells.append(cell)
        print('| %s | %s | %s |' % (FRONT_NAMES[n], versions[n],
                                    ' | '.join(cells)))


if __name__ == '__main__':
    sys.exit(main())
