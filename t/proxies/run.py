#!/usr/bin/python3
"""mod_expect behind Debian's HAProxy, nginx, Varnish, Traffic Server, Squid
and Caddy.

    python3 t/proxies/run.py        (make -f Makefile.apxs proxies)

Starts two origins from t/proxies/httpd.conf, Debian's apache2 with the
freshly built module and the same apache2 without it (stock), then
haproxy, nginx, varnishd, traffic_server, squid and caddy, each a child
process with its own configuration (haproxy.cfg, nginx.conf, varnish.vcl,
trafficserver.*, squid.conf, Caddyfile here) and runtime files in the
work directory under /tmp, on free ports of 127.0.0.1, one listen port
per origin: t/lib/fronts.py starts each, as it does for t/desync, through
t/lib/harness.py.  Nothing of the system's own services is used or
touched.  A front whose package the release does not have at all (Debian
13 has no trafficserver) is not run, and the summary says so.

Each front (direct: no proxy; and each proxy) gets the same cases
from four clients: curl (a process per case), Go's net/http and Node's http
(keep-alive: several requests per connection), all from t/interop/clients
(t/lib/clients.py runs them, as for t/interop), and a raw socket client
written here, which keeps its connection as long
as the server lets it.  Every proxy keeps its upstream connections
(nginx through "keepalive", the others by default).

The cases (scope: see httpd.conf; every upload asks for 100-continue):

  met-small, met-2M  no directive: 200 after 100, body read whole;
  refused, refused-2M  ExpectAllow none, ErrorDocument 417: 417 at once,
                     body not read;
  ext                ExpectAllow 100-continue x-foo, with
                     "Expect: 100-continue, x-foo": 200 after 100;
  lenient            ExpectAllow none, ExpectPolicy lenient: 200 after 100;
  limit-2M           LimitRequestBody 1 MiB (both origins): 413 at once,
                     body not read; stock httpd's early final status.

A row is proxy x case x client: what the client got (status, 100 seen),
what the module origin saw (requests, EXPECT_STATUS, body bytes read,
upstream connection reused), the time, and the verdict; the same case
against stock apache2 is in the last column, for comparison.  A row fails
on:

  - a status other than the origin's answer (what the module origin gives
    the same client directly);
  - a wait of more than STALL (3) seconds, the time to the end of the
    connection included where the server said it closes it;
  - a 200 without the 100 the request asked for (RFC 9110 section 10.1.1);
  - a refused body read, a body read twice, a met body not read whole, or
    a 400 anywhere (but in HAProxy's log of a client that gave up:
    haproxy_400());
  - a request in any log that no case sent (every body starts with the
    request line "GET /smuggled/...": a body taken for a request shows).

A behaviour listed in KNOWN (a client's bug, or what a proxy does before
any configuration can act) is reported "known: ..." when it shows exactly
as described, and counts as passed; anything else still fails.  The last
line is "N passed, N failed"; the exit status is 1 on any failure.

Settings (environment): PROXIES (a comma-separated subset of
direct,haproxy,nginx,varnish,trafficserver,squid,caddy, or nginx-expect:
nginx passing Expect on, which fails), CLIENTS (of curl,go,node,raw),
PROXY_CONFIG=default (the configurations without their "fix:" parts, to
see what the fixes are for; rows are then judged all the same),
CLIENT_BOUND (seconds a client waits, default 4), KEEP=1 keeps the
directory.
"""

import os
import re
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
import harness  # noqa: E402
import fronts  # noqa: E402
import clients as programs  # noqa: E402

APACHE2 = os.environ.get('APACHE2', '/usr/sbin/apache2')
MODULE = os.environ.get('MODULE', os.path.join(TOP, '.libs', 'mod_expect.so'))
STALL = 3.0
BOUND = float(os.environ.get('CLIENT_BOUND', '4'))
FIXED = os.environ.get('PROXY_CONFIG', 'fixed') != 'default'
BIG = 2 << 20

# name, scope, body size, Expect ('auto': curl adds it itself above 1 MiB)
CASES = (
    ('met-small', 'met', 128, '100-continue'),
    ('met-2M', 'met', BIG, 'auto'),
    ('refused', 'strict', 128, '100-continue'),
    ('refused-2M', 'strict', BIG, 'auto'),
    ('ext', 'ext', 128, '100-continue, x-foo'),
    ('lenient', 'lenient', 128, '100-continue'),
    ('limit-2M', 'limit', BIG, 'auto'),
)
# The origins' answers, as each gives them to a client directly.
ANSWER = {
    'module': {'met': 200, 'strict': 417, 'ext': 200, 'lenient': 200,
               'limit': 413},
    'stock': {'met': 200, 'strict': 200, 'ext': 417, 'lenient': 200,
              'limit': 413},
}
FRONTS = ('direct', 'haproxy', 'nginx', 'varnish', 'trafficserver', 'squid',
          'caddy')
# Run only when PROXIES names it: nginx passing Expect on, which
# docs/proxies.md advises against (its rows fail).
EXTRA_FRONTS = ('nginx-expect',)
CLIENTS = ('curl', 'go', 'node', 'raw')

# (front, case scope, client or None for any) -> (why, test).  test(row)
# says whether the row shows exactly that behaviour.
KNOWN = {}


def known(front, scope, clients, why, test):
    for c in clients:
        KNOWN[(front, scope, c)] = (why, test)


# Varnish 7.1 judges Expect in its transport code, before vcl_recv: any
# value but "100-continue" gets its own bare 417 and a closed connection,
# and "100-continue" is removed from the request and answered by Varnish
# itself.  No VCL sees the field, so the origin's policy cannot apply.
VARNISH_417 = ('Varnish answers every Expect but 100-continue with its own '
               '417, before VCL')
VARNISH_100 = ('Varnish answers 100-continue itself and removes Expect, '
               'before VCL: the origin never sees it')
known('varnish', 'ext', CLIENTS, VARNISH_417,
      lambda r: r['status'] == 417 and not r['origin'])
known('varnish', 'strict', CLIENTS, VARNISH_100,
      lambda r: r['status'] == 200 and r['origin_expect'] == '-'
      and r['read_ok'])
# nginx 1.22 sends 100 only for exactly "100-continue", and passes no
# Expect upstream: the tested configuration refuses every other value at
# nginx, at once, rather than leave a client waiting for a 100 that never
# comes (Node has no timer of its own).
NGINX_EXT = ('nginx meets only "100-continue": the tested configuration '
             'refuses the rest at nginx')
known('nginx', 'ext', CLIENTS, NGINX_EXT,
      lambda r: r['status'] == 417 and not r['origin'])
# Squid 5 answers every Expect but exactly "100-continue" with its own 417
# as it parses the request, before any access rule (its ignore_expect_100
# is gone): the origin never sees an extension expectation.
SQUID_417 = ('Squid answers every Expect but 100-continue with its own 417, '
             'before any rule')
known('squid', 'ext', CLIENTS, SQUID_417,
      lambda r: r['status'] == 417 and not r['origin'])
# Caddy relays the origin's 100 (RFC 9110 allows several 1xx) and Go's
# server sends its own when Caddy starts reading the body: with
# expect_continue_timeout that read waits for the origin's 100, and which
# of the two goes first is a race, so a client gets one 100 or two (always
# two without it).  Node emits "continue" for each, and a request ended on
# "continue", as Node's documentation has it, is ended twice: "write after
# end", though the origin read the body once and answered 200.
CADDY_100 = ('Caddy may send two 100s (its own and the origin\'s); Node '
             'ends the request on each')
known('caddy', 'met', ('node',), CADDY_100,
      lambda r: 'write after end' in r['error'] and r['read_ok']
      and r['origin_status'] == 200)
known('caddy', 'ext', ('node',), CADDY_100,
      lambda r: 'write after end' in r['error'] and r['read_ok']
      and r['origin_status'] == 200)
known('caddy', 'lenient', ('node',), CADDY_100,
      lambda r: 'write after end' in r['error'] and r['read_ok']
      and r['origin_status'] == 200)
# curl, after a 417 to a request whose body it has not sent, sends a
# request again on the same connection, which the proxy keeps open, and
# the proxy takes it for the first one's announced body: curl 7.88 without
# Expect (curl#11678, fixed in 8.3.0), curl 8.14 (Debian 13) with the
# Expect its caller set, again.  Only where a proxy keeps the connection
# (PROXY_CONFIG=default): the tested configurations close it.
CURL_11678 = ('curl sends a request again on the connection without the '
              'refused one\'s body (7.88: curl#11678; 8.14: a caller-set '
              'Expect)')
for front in ('haproxy', 'nginx'):
    known(front, 'strict', ('curl',), CURL_11678,
          lambda r: r['status'] == 400)


workdir = None
children = harness.Children()

# The fronts this Debian release has no package for, as pkg/debs.mk says
# (make passes them in PROXIES_UNSHIPPED): the one place that knows.
UNSHIPPED = os.environ.get('PROXIES_UNSHIPPED', '').split()


def start_servers(names):
    """Origins and proxies (t/lib/fronts.py starts each); {front:
    {origin: port}} and the Fronts that started them."""
    f = fronts.Fronts(children, workdir, fixed=FIXED)
    conf = os.path.join(HERE, 'httpd.conf')
    ports = {'module': f.start_origin('module', conf, module=MODULE),
             'stock': f.start_origin('stock', conf)}
    out = {'direct': dict(ports)}
    for front in names:
        if front != 'direct':
            out[front] = f.start(front, ports)
    return out, f


def stop_servers(f):
    """The fronts, then the origins, each of which answers and logs what it
    took before it exits: their logs are whole then."""
    for name in list(children.procs):
        if not name.startswith('apache2-'):
            children.stop(name)
    for origin in ('module', 'stock'):
        f.stop_origin(origin)
    children.stop_all()


# HAProxy's httplog: "... Tq/Tw/Tc/Tr/Ta status bytes cookie cookie
# termination-state ... "request"".
HAPROXY_LOG = re.compile(r'\] \S+ \S+ [-+\d/]+ (-?\d+) \+?\d+ \S+ \S+ (\S{4}) '
                         r'.*"(?:\S+ (\S+)|<BADREQ>)')


def haproxy_400(line, sent):
    """A 400 in HAProxy's log, but for a request a case sent whose client
    gave up on it: the termination state starts with C (the client ended
    the connection).  HAProxy 2.6 logs such a request with status -1
    ("CD--"), 3.0 with 400 ("CH--").  A body taken for a request is either
    a request no case sent (its request line is GET /smuggled/...) or a
    400 that HAProxy gave (termination state P...) to bytes that were no
    request (<BADREQ>): both still count."""
    m = HAPROXY_LOG.search(line)
    if not m:
        return ' 400 ' in line
    if m.group(1) != '400':
        return False
    return not (m.group(2).startswith('C') and m.group(3) in sent)


# Lines as HAProxy 2.6 and 3.0 log them, and whether the scan must report
# them; checked at every run, so that a change to the scan that lets a
# desync through fails here rather than passing quietly.
HAPROXY_SAMPLES = (
    # 2.6: the client gave up waiting for the response.
    ('127.0.0.1:54840 [03/Dec/2026:10:30:51.691] stock stock/origin '
     '0/0/0/-1/4004 -1 0 - - CD-- 2/2/1/1/0 0/0 '
     '"POST /ext/b/haproxy-stock-raw-ext HTTP/1.1"', False),
    # 3.0: the same, logged as 400.
    ('127.0.0.1:49066 [03/Dec/2026:10:35:57.543] stock stock/origin '
     '0/0/0/-1/4000 400 206 - - CH-- 1/1/0/0/0 0/0 '
     '"POST /ext/b/haproxy-stock-raw-ext HTTP/1.1"', False),
    # The same, for a request no case sent.
    ('127.0.0.1:49066 [03/Dec/2026:10:35:57.543] stock stock/origin '
     '0/0/0/-1/4000 400 206 - - CH-- 1/1/0/0/0 0/0 '
     '"POST /ext/b/other HTTP/1.1"', True),
    # A body read as a request: bytes that were none, refused by HAProxy,
    # or waited on until the client closed.
    ('127.0.0.1:35804 [03/Dec/2026:10:32:21.747] module module/<NOSRV> '
     '-1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"', True),
    ('127.0.0.1:35808 [03/Dec/2026:10:32:21.825] module module/<NOSRV> '
     '-1/-1/-1/-1/4000 400 0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>"', True),
)


def check_scan():
    sent = {'/ext/b/haproxy-stock-raw-ext'}
    for line, stray in HAPROXY_SAMPLES:
        if haproxy_400(line, sent) != stray:
            sys.exit('proxies: the desync scan %s %s'
                     % ('misses' if stray else 'reports', line))


# Each proxy's own log, and what in a line of it is a 400: a request that
# was not one, or a body taken for a request (a line naming /smuggled/ is
# one in any log).
PROXY_LOGS = {
    'haproxy': haproxy_400,
    'nginx': lambda line, sent: ' 400 ' in line,
    'nginx-expect': lambda line, sent: ' 400 ' in line,
    'varnish': lambda line, sent: ' 400 ' in line,
    # "METHOD URL status cache-result length" (trafficserver.logging)
    'trafficserver': lambda line, sent: line.split()[2:3] == ['400'],
    # Squid's native format: "... result/status ..."
    'squid': lambda line, sent: '/400 ' in line,
    'caddy': lambda line, sent: '"status":400' in line,
}


def body_for(rid, size):
    head = b'GET /smuggled/b/%s HTTP/1.1\r\nHost: x\r\n\r\n' % rid.encode()
    return head + b'x' * (size - len(head))


class Raw:
    """A raw HTTP/1.1 client: sends the head, the body after a 100, and
    keeps the connection unless the server says it closes it.  After an
    early final status on a connection that stays open, it sends the body
    anyway (RFC 9112 framing: the announced body is part of the request)."""

    def __init__(self, port):
        self.port = port
        self.sock = None

    def recv_head(self, buf, deadline):
        while b'\r\n\r\n' not in buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('closed before a response')
            buf += data
        head, rest = buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        status = int(lines[0].split()[1])
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(':')
            k = k.strip().lower()
            fields[k] = (fields[k] + ', ' if k in fields else '') + v.strip()
        return status, fields, rest

    def recv_body(self, fields, buf, deadline):
        def more():
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('closed in a response body')
            return data
        if 'chunked' in fields.get('transfer-encoding', '').lower():
            out = b''
            while True:
                while b'\r\n' not in buf:
                    buf += more()
                line, buf = buf.split(b'\r\n', 1)
                n = int(line.split(b';')[0], 16)
                while len(buf) < n + 2:
                    buf += more()
                out, buf = out + buf[:n], buf[n + 2:]
                if n == 0:
                    return out
        if 'content-length' not in fields:
            # Delimited by the end of the connection (RFC 9112 section
            # 6.3): read it, and the connection is over.
            try:
                while True:
                    buf += more()
            except EOFError:
                fields['connection'] = 'close'
                return buf
        n = int(fields['content-length'])
        while len(buf) < n:
            buf += more()
        return buf[:n]

    def case(self, rid, url_path, size, expect):
        r = {'status': 0, 'saw100': 'no', 'xrun': '-', 'error': ''}
        start = time.monotonic()
        deadline = start + BOUND
        body = body_for(rid, size)
        try:
            if self.sock is None:
                self.sock = socket.create_connection(('127.0.0.1', self.port),
                                                     BOUND)
            head = ('POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                    'Content-Type: application/octet-stream\r\n'
                    'Content-Length: %d\r\nExpect: %s\r\n\r\n'
                    % (url_path, self.port, size, expect)).encode()
            self.sock.sendall(head)
            sent = False
            buf = b''
            while True:
                status, fields, buf = self.recv_head(buf, deadline)
                if status == 100 and not sent:
                    r['saw100'] = 'yes'
                    self.sock.sendall(body)
                    sent = True
                    continue
                if 100 <= status < 200:
                    continue
                break
            r['status'] = status
            r['xrun'] = fields.get('x-run', '-')
            page = self.recv_body(fields, buf, deadline)
            r['page'] = page
            close = 'close' in fields.get('connection', '').lower()
            if close:
                # RFC 9112 section 9.6: a client told "close" MUST close the
                # connection after reading the response.
                self.sock.close()
                self.sock = None
            elif not sent:
                try:
                    self.sock.sendall(body)
                except OSError:
                    # The server ended the connection after its answer
                    # without saying so beforehand (RFC 9112 section 9.6
                    # lets it): the answer stands, the connection is over.
                    self.sock.close()
                    self.sock = None
        except (OSError, EOFError, ValueError, IndexError) as e:
            r['error'] = ('no response in %d ms' % (BOUND * 1000)
                          if isinstance(e, socket.timeout)
                          else '%s: %s' % (type(e).__name__, e))
            if self.sock:
                self.sock.close()
            self.sock = None
        r['ms'] = (time.monotonic() - start) * 1000
        return r


def run_raw(port, cases):
    client = Raw(port)
    got = {}
    for c in cases:
        got[c['id']] = client.case(c['id'], '/%s/b/%s' % (c['scope'], c['id']),
                                   c['size'], c['expect'])
    if client.sock:
        client.sock.close()
    return got


# The origins' access log fields (httpd.conf's LogFormat).
LOG_FIELDS = ('port', 'k', 'status', 'estatus', 'read', 'in', 'method',
              'path', 'expect')


def read_log(path):
    return programs.access_entries(harness.Log(path).read(), LOG_FIELDS)


def origin_view(c, log):
    mine = [e for e in log if e['path'] == '/%s/b/%s' % (c['scope'], c['id'])]
    reads = [int(e['read']) for e in mine if e['read'].isdigit()]
    return {'origin': len(mine), 'reads': reads, 'nread': sum(reads),
            'origin_status': mine[-1]['status'] if mine else 0,
            'origin_expect': mine[-1]['expect'] if mine else '',
            'estatus': mine[-1]['estatus'] if mine else '',
            'reused': any(e['k'] > 0 for e in mine),
            'bad': [e for e in mine if e['status'] == 400]}


def judge(front, origin, c, r, log):
    row = dict(origin_view(c, log))
    row.update({'status': r['status'] if r else 0,
                'page': r.get('page', b'') if r else b'',
                'saw100': r['saw100'] if r else '?',
                'ms': r['ms'] if r else 0.0,
                'error': r['error'] if r else 'no report from the client'})
    want = ANSWER[origin][c['scope']]
    # What the client may also get: the answer of a repeated request
    # without Expect (RFC 9110 section 10.1.1: SHOULD, on a 417).
    retried = want == 417 and row['origin'] > 1 and row['origin_expect'] == '-'
    if retried:
        want = 200
    row['read_ok'] = (len([n for n in row['reads'] if n]) == 1
                      and row['nread'] == c['size'])
    problems = []
    if row['error']:
        problems.append(row['error'])
    if row['ms'] > STALL * 1000:
        problems.append('waited %.1f s' % (row['ms'] / 1000))
    if row['status'] != want:
        problems.append('status %d, not %d' % (row['status'], want))
    if r and r['status'] == 200 and r['xrun'] != c['id']:
        problems.append('response of %s' % r['xrun'])
    if row['status'] == 200 and row['saw100'] == 'no' and not retried:
        problems.append('no 100 Continue')
    if len([n for n in row['reads'] if n]) > 1:
        problems.append('body read %d times' % len(row['reads']))
    elif row['status'] >= 400 and row['nread']:
        problems.append('refused body read (%d bytes)' % row['nread'])
    elif row['status'] == 200 and not row['read_ok']:
        problems.append('origin read %d of %d bytes' % (row['nread'],
                                                        c['size']))
    if row['bad']:
        problems.append('400 at the origin')
    k = KNOWN.get((front, c['scope'], c['client']))
    if problems and k and k[1](row):
        row['verdict'] = 'known: ' + k[0]
        row['ok'] = True
    elif problems:
        row['verdict'] = 'FAIL: ' + '; '.join(problems)
        row['ok'] = False
    else:
        row['verdict'] = 'ok, retried without Expect' if retried else 'ok'
        row['ok'] = True
    return row


def cell(r):
    s = str(r['status'] or 'none')
    if r['saw100'] == 'yes':
        s += ' after 100'
    if r['status'] == 417 and r['page']:
        # The raw client reads the page: the origin's ErrorDocument, or
        # the proxy's own.
        s += ' (origin\'s page)' if b'refused by the origin' in r['page'] \
            else ' (proxy\'s page)'
    return s


def origin_cell(row):
    if not row['origin']:
        return 'nothing'
    s = '%d' % row['origin_status']
    if row['origin'] > 1:
        s = '%d requests, last %s' % (row['origin'], s)
    s += ', %s' % ('Expect: ' + row['origin_expect']
                   if row['origin_expect'] != '-' else 'no Expect')
    if row['estatus'] not in ('', '-'):
        s += ' (%s)' % row['estatus']
    s += ', read %d' % row['nread'] if row['nread'] else ', body not read'
    if row['reused']:
        s += ', reused'
    return s


def main():
    global workdir
    harness.exit_on_signals()
    check_scan()
    if not os.path.isfile(MODULE):
        sys.exit('%s is missing: build it first (make -f Makefile.apxs)'
                 % MODULE)
    names = [f for f in os.environ.get('PROXIES', ','.join(FRONTS))
             .split(',') if f]
    clients = [c for c in os.environ.get('CLIENTS', ','.join(CLIENTS))
               .split(',') if c]
    for f in names:
        if f not in FRONTS + EXTRA_FRONTS:
            sys.exit('unknown proxy %r' % f)
    for c in clients:
        if c not in CLIENTS:
            sys.exit('unknown client %r' % c)
    need = {f: fronts.PROGRAMS[f][0] for f in FRONTS + EXTRA_FRONTS
            if f in fronts.PROGRAMS}
    need.update({'curl': '/usr/bin/curl', 'go': '/usr/bin/go',
                 'node': '/usr/bin/node'})
    # A front whose package this release does not have at all (Debian 13
    # has no trafficserver) is left out, and the summary says so; one that
    # the release has but is not installed is an error.
    unshipped = []
    for f in list(names):
        if f in UNSHIPPED and not os.path.exists(need[f]):
            unshipped.append('%s: not run, %s has no %s package'
                             % (f, fronts.release(), f))
            names.remove(f)
    missing = [need[x] for x in names + clients
               if x in need and not os.path.exists(need[x])]
    if not os.access(APACHE2, os.X_OK):
        missing.insert(0, APACHE2)
    if missing:
        sys.exit('proxies: missing %s (make -f Makefile.apxs proxies '
                 'installs what it needs as root)' % ', '.join(missing))

    workdir = tempfile.mkdtemp(prefix='mod_expect-proxies.')
    os.chmod(workdir, 0o755)
    t0 = time.monotonic()
    results = []
    try:
        for d in ('cgi', 'htdocs'):
            os.makedirs(os.path.join(workdir, d))
        shutil.copy(os.path.join(TOP, 't', 'interop', 'count.cgi'),
                    os.path.join(workdir, 'cgi', 'count'))
        os.chmod(os.path.join(workdir, 'cgi', 'count'), 0o755)
        cmds = programs.build([c for c in clients if c != 'raw'], workdir,
                              'proxies')
        ports, started = start_servers(names)
        print('proxies: %s configurations, servers up in %.1f s, %s'
              % ('fixed' if FIXED else 'default', time.monotonic() - t0,
                 workdir))
        for front in names:
            for origin in ('module', 'stock'):
                port = ports[front][origin]
                for client in clients:
                    cases = [{'id': '%s-%s-%s-%s' % (front, origin, client,
                                                     name),
                              'name': name, 'scope': scope, 'size': size,
                              'expect': '100-continue' if expect == 'auto'
                              and client != 'curl' else expect,
                              'client': client}
                             for name, scope, size, expect in CASES]
                    if client == 'raw':
                        got = run_raw(port, cases)
                    else:
                        got = programs.run(
                            cmds[client], 'http://127.0.0.1:%d' % port,
                            'h1', cases, BOUND, 'proxies')
                    results += [(front, origin, c, got.get(c['id']))
                                for c in cases]
            print('proxies: %s done at %.1f s' % (front,
                                                  time.monotonic() - t0))
        stop_servers(started)
    finally:
        children.stop_all()

    logs = {o: read_log(os.path.join(workdir, 'access_log-' + o))
            for o in ('module', 'stock')}
    rows = {}
    for front, origin, c, r in results:
        rows[(front, origin, c['client'], c['name'])] = \
            (c, r, judge(front, origin, c, r, logs[origin]))

    # Requests that no case sent, in any log: a body taken for a request.
    sent = {'/%s/b/%s' % (c['scope'], c['id']) for _, _, c, _ in results}
    strays = ['origin %s: %s' % (o, e['raw'].rstrip('\n'))
              for o in logs for e in logs[o] if e['path'] not in sent]
    for name in names:
        path = started.access_log(name)
        if path and os.path.exists(path):
            for line in open(path, errors='replace'):
                if 'smuggled' in line or PROXY_LOGS[name](line, sent):
                    strays.append('%s: %s' % (os.path.relpath(path, workdir),
                                              line.rstrip('\n')))

    print_table(rows, names, clients)
    failed = sum(1 for (_, o, _, _), (_, _, row) in rows.items()
                 if o == 'module' and not row['ok'])
    passed = sum(1 for (_, o, _, _) in rows if o == 'module') - failed
    knowns = sum(1 for (_, o, _, _), (_, _, row) in rows.items()
                 if o == 'module' and row['verdict'].startswith('known'))
    if strays:
        print('\ndesync: requests no case sent, or 400s:')
        for s in strays:
            print('    ' + s)
        failed += 1
    for o in ('module', 'stock'):
        err = os.path.join(workdir, 'error_log-' + o)
        crashes = [l for l in open(err) if 'exit signal' in l] \
            if os.path.exists(err) else []
        if crashes:
            print('\napache2 (%s) children crashed:\n%s'
                  % (o, ''.join(crashes)))
            failed += 1
    if os.environ.get('KEEP'):
        print('proxies: kept %s' % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print('\nproxies: %.0f s; %d of the passed rows are known behaviours'
          % (time.monotonic() - t0, knowns))
    for u in unshipped:
        print('proxies: ' + u)
    print('\n%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


def print_table(rows, names, clients):
    head = ('proxy', 'case', 'client', 'client got', 'module origin saw',
            'time', 'verdict', 'stock: client got, origin saw, time')
    table = []
    for front in names:
        for name, _, _, _ in CASES:
            for client in clients:
                m = rows.get((front, 'module', client, name))
                s = rows.get((front, 'stock', client, name))
                if not m:
                    continue
                row = m[2]
                stock = '-'
                if s:
                    stock = '%s; %s; %.0f ms' % (
                        cell(s[2]) if s[2]['status'] else
                        'none (%s)' % s[2]['error'][-40:],
                        origin_cell(s[2]), s[2]['ms'])
                got = cell(row) if row['status'] else \
                    'none (%s)' % row['error'][-40:]
                table.append((front, name, client, got, origin_cell(row),
                              '%.0f ms' % row['ms'], row['verdict'], stock))
    print()
    print(harness.markdown_table(head, table))
    print_summary(rows, names, clients)


def brief(row):
    """One cell of the summary: the answer, who gave it, the verdict."""
    if not row['status']:
        s = 'no answer'
    else:
        s = str(row['status'])
        if row['saw100'] == 'yes':
            s += ' after 100'
        if row['origin'] and row['origin_status'] == row['status']:
            s += ' from the origin'
            if row['origin_expect'] == '-':
                s += ' (no Expect there)'
        elif not row['origin']:
            s += ' from the proxy'
    v = row.get('verdict', '')
    if v.startswith('known'):
        s += ', known'
    elif v.startswith('FAIL'):
        s += ', FAIL'
    return s


def print_summary(rows, names, clients):
    """Proxy x case, the clients merged where they got the same."""
    for origin in ('module', 'stock'):
        print('\n%s origin:\n' % ('module' if origin == 'module'
                                    else 'stock apache2 (no module)'))
        print('| proxy | ' + ' | '.join(n for n, _, _, _ in CASES) + ' |')
        print('|---|' + '---|' * len(CASES))
        for front in names:
            out = []
            for name, _, _, _ in CASES:
                got = [(client, rows[(front, origin, client, name)][2])
                       for client in clients
                       if (front, origin, client, name) in rows]
                if not got:
                    out.append('-')
                    continue
                ms = max(r['ms'] for _, r in got)
                kinds = {brief(r) for _, r in got}
                if origin == 'stock':
                    kinds = {k.replace(', known', '').replace(', FAIL', '')
                             for k in kinds}
                if len(kinds) == 1:
                    out.append('%s; %.0f ms' % (kinds.pop(), ms))
                else:
                    out.append('; '.join('%s: %s, %.0f ms' % (
                        c, brief(r).replace(', known', '').replace(
                            ', FAIL', '') if origin == 'stock' else brief(r),
                        r['ms']) for c, r in got))
            print('| %s | %s |' % (front, ' | '.join(out)))


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        children.stop_all()
        if workdir and os.path.isdir(workdir) and not os.environ.get('KEEP') \
                and sys.exc_info()[0] is not None:
            shutil.rmtree(workdir, ignore_errors=True)
