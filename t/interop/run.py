#!/usr/bin/python3
"""Real clients against mod_expect: curl, PHP (curl extension), Go net/http,
Java java.net.http, Node http/http2 and botocore (S3 PutObject).

    python3 t/interop/run.py        (make -f Makefile.apxs interop)

Starts Debian's apache2 (mpm_event) with the freshly built
.libs/mod_expect.so on a free port of 127.0.0.1, from t/interop/httpd.conf,
in a directory of its own under /tmp; as root, apache2 runs as nobody.
Builds the Go and Java clients into that directory.  Each client program
runs its cases one after the other in one process (curl: a process per
case), over HTTP/1.1 and, where it can, HTTP/2 over cleartext (h2c, prior
knowledge), and over HTTP/1.1 through t/interop/front.py, a front that
keeps the client's connection open after the origin's 417 as Traffic
Server and Squid do ("front": the met and strict scopes).  A case is a
scope (met, strict, lenient, ext, proxy; see httpd.conf) and a body (128 bytes, or 2 MiB, over the 1 MiB from which
curl 7.88 asks for 100-continue by itself); every upload asks for
100-continue the way that client does it.

For each case the table shows the status, whether the client saw an
interim 100 ("?" where the client does not tell), the time the request
took, the body bytes the CGI script read, the requests the access log has
for the case (more than one: the client retried), whether the request came
on a connection used before, and the verdict.  A case fails on:

  - a stall: more than STALL (3) seconds for one request;
  - a 200 without the 100 the request asked for (RFC 9110 section 10.1.1:
    an immediate 100 or final status; a client's timer is no answer);
  - a body read twice, a refused body read, or a met body not read whole;
  - a desync: a request in the access log no case sent (the body starts
    with a request line, so a body taken for a request shows), a 400, or a
    response that names another case;
  - a status other than the scope's (417 where the request asked for
    100-continue and the scope meets nothing, 200 elsewhere).

A client behaviour listed in KNOWN for the client's version (libcurl's
for curl and PHP, the JDK's for Java, Go's) is reported as "known: ..."
and not counted as a failure, as long as it is what KNOWN says (the
problem and the number of requests the origin saw); a covered case that
passes or fails otherwise fails.  The logs are read once apache2 has
stopped gracefully, every request it took answered and logged; whatever
happens, apache2 and the front are stopped at the end (apache2 through
t/lib/harness.py, the client programs run by t/lib/clients.py), and the
last line says "N passed, N failed".

Settings (environment): APACHE2 (default /usr/sbin/apache2), MODULE (the
module to load, default .libs/mod_expect.so), CLIENTS (a comma-separated
subset of curl,php,go,java,node,botocore), CLIENT_BOUND (seconds one
request may take before the client gives up, default 5), KEEP=1 keeps the
directory.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
import front as keepopen    # noqa: E402
import clients as programs  # noqa: E402
import harness  # noqa: E402

APACHE2 = os.environ.get('APACHE2', '/usr/sbin/apache2')
MODULE = os.environ.get('MODULE', os.path.join(TOP, '.libs', 'mod_expect.so'))
STALL = 3.0
BOUND = float(os.environ.get('CLIENT_BOUND', '5'))
# curl 7.88 adds "Expect: 100-continue" itself above 1 MiB: the large body
# is over that, the small one asks for it explicitly.
SIZES = (('small', 128), ('large', 2 << 20))
SCOPES = ('met', 'strict', 'lenient', 'ext', 'proxy')

# Which clients can send an Expect value of their own and still wait for the
# 100 (the others always send exactly "100-continue"): Java's HttpClient
# refuses an Expect header ("restricted header"), and botocore waits only
# when the value is exactly 100-continue.
CUSTOM_EXPECT = {'curl', 'php', 'go', 'node'}

# Known client behaviours, by client version.  Each entry: the client, its
# protocols, the scope, the body ("small", "large" or None for both), the
# versions [low, high) it holds for (the library's version: libcurl for curl
# and PHP, the JDK for Java, Go's), the reference, {a problem of the case
# (the client's error, or "its body was read as a request"): what
# happens}, and the requests the origin sees (None: not counted).  A case
# an entry covers is "known" only when it has one of those problems
# (others may follow from it, such as the status a lost 417 leaves) after
# exactly that many requests; a case that then passes, or fails without
# one of them, fails: the behaviour changed, measure it and change the
# entry.  Outside an entry's versions a case is judged as any other.
CURL_H2_417 = ('libcurl 7.88 over HTTP/2, no upstream report found; nghttp '
               'and t/h2client.py get the 417')
# libcurl repeats a request that got 417 while it waited for the 100 (since
# 7.69.0), on a connection that stays open, with the Expect field the
# caller set: each answer is the same 417, until the redirect limit (curl's
# tool: 50, PHP's curl extension: 20) ends the transfer with error 47.
CURL_LOOP = ('libcurl keeps a caller-set Expect on its retry after 417, '
             'see docs/clients.md')
CURL_LOOP_CURL = {'curl exit 47': 'loops on 417 until --max-redirs (50)'}
CURL_LOOP_PHP = {'curl error 47': 'loops on 417 until CURLOPT_MAXREDIRS '
                                  '(20, PHP\'s default)'}
KNOWN = [
    # Fixed in JDK 20; 17.0.21 answers the 417 (17.0.15 hung).
    ('java', ('h1', 'front'), 'strict', None, ((17,), (17, 0, 21)),
     'JDK-8286171', {'no response in': 'hangs'}, 1),
    # Mostly "Empty reply from server" (52); now and then the 417 comes
    # through and the transfer still ends in an error (16).  Measured with
    # 7.88.1 only, and the loop below with 8.14.1 only: the boundary at
    # 8.7.0, which reworked the wait for the 100 (curl commit 80a3b830cc),
    # is ours, and a version between that behaves otherwise fails.
    ('curl', ('h2',), 'strict', 'small', ((7, 69), (8, 7)), CURL_H2_417, {
        'curl exit 52': '"Empty reply from server"',
        'curl exit 16': '"Error in the HTTP2 framing layer"'}, 1),
    ('php', ('h2',), 'strict', 'small', ((7, 69), (8, 7)), CURL_H2_417, {
        'curl error 52': '"Empty reply from server"',
        'curl error 16': '"Error in the HTTP2 framing layer"'}, 1),
    # The loop: over HTTP/2 from 8.7.0 (measured with 8.14.1), behind a
    # front that keeps the connection open from 7.69.0 (measured with
    # 7.88.1 and 8.14.1).  Over HTTP/1.1 straight to the module there is
    # none: its 417 closes the connection and curl does not retry then.
    ('curl', ('h2',), 'strict', 'small', ((8, 7), None), CURL_LOOP,
     CURL_LOOP_CURL, 51),
    ('php', ('h2',), 'strict', 'small', ((8, 7), None), CURL_LOOP,
     CURL_LOOP_PHP, 21),
    ('curl', ('front',), 'strict', 'small', ((7, 69), None), CURL_LOOP,
     CURL_LOOP_CURL, 51),
    ('php', ('front',), 'strict', 'small', ((7, 69), None), CURL_LOOP,
     CURL_LOOP_PHP, 21),
    # Go sends the announced body after a final status on a connection that
    # stays open (its transport.go: "If we're going to keep using the
    # connection, we need to send the request body"), as RFC 9112's framing
    # wants; 1.19 does not.  The front, which takes what follows a 417 for
    # the next request (what lets curl's retry through), reads that body as
    # a request: no front that keeps the connection is right for both.
    ('go', ('front',), 'strict', None, ((1, 24), None),
     'Go sends the body after the 417; see docs/clients.md',
     {'its body was read as a request':
      'sends its body after the 417, the front reads it as a request'}, 1),
]


def known_for(c, version):
    """The KNOWN entry for case c with this client version, or None."""
    if version is None:
        return None
    for client, protos, scope, size, (low, high), ref, errors, n in KNOWN:
        if client == c['client'] and c['proto'] in protos \
                and scope == c['scope'] and size in (None, c['sname']) \
                and version >= low and (high is None or version < high):
            return ref, errors, n
    return None


def version_tuple(text):
    m = re.search(r'(\d+)(?:\.(\d+))?(?:\.(\d+))?', text or '')
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def client_versions(clients):
    """The version each client's behaviour depends on, for KNOWN."""
    out = {}

    def cmd(args):
        try:
            p = subprocess.run(args, capture_output=True, text=True,
                               timeout=60)
            return p.stdout + p.stderr
        except OSError:
            return ''
    if 'curl' in clients:
        v = cmd(['curl', '--version']).split('libcurl/', 1)
        out['curl'] = version_tuple(v[1] if len(v) > 1 else '')
    if 'php' in clients:
        out['php'] = version_tuple(cmd(
            ['php', '-r', 'echo curl_version()["version"];']))
    if 'go' in clients:
        m = re.search(r'\bgo(\d[\d.]*)', cmd(['go', 'version']))
        out['go'] = version_tuple(m.group(1) if m else '')
    if 'java' in clients:
        v = cmd(['java', '-version']).split('version', 1)
        out['java'] = version_tuple(v[1] if len(v) > 1 else '')
    return out


# What each client needs (Debian's packages, see interop.mk).
TOOLS = {
    'curl': ('/usr/bin/curl',),
    'php': ('/usr/bin/php',),
    'go': ('/usr/bin/go', '/usr/share/gocode/src/golang.org/x/net/http2'),
    'java': ('/usr/bin/java', '/usr/bin/javac'),
    'node': ('/usr/bin/node',),
    'botocore': ('/usr/lib/python3/dist-packages/botocore',),
}

# Protocols each client runs, and why a client does not run one.
PROTOCOLS = {
    'curl': ('h1', 'h2', 'front'),
    'php': ('h1', 'h2', 'front'),
    'go': ('h1', 'h2', 'front'),
    'java': ('h1', 'front'),
    'node': ('h1', 'h2', 'front'),
    'botocore': ('h1', 'front'),
}
# "front": HTTP/1.1 through t/interop/front.py, which keeps the client's
# connection open after the origin's 417 as Traffic Server and Squid do;
# only the scopes FRONT_SCOPES run there.
FRONT_SCOPES = ('met', 'strict')
PROTO_NAMES = {'h1': 'HTTP/1.1', 'h2': 'HTTP/2',
               'front': 'HTTP/1.1, keep-open front'}
NO_H2 = {
    'java': 'HttpClient speaks h2 over TLS or via Upgrade only, and '
            'mod_http2 declines an Upgrade on a request with a body',
    'botocore': 'urllib3 speaks HTTP/1.1 only',
}

workdir = None
relay = None        # the keep-open front
children = harness.Children()
# The access log's fields (httpd.conf's LogFormat "interop").
LOG_FIELDS = ('port', 'k', 'status', 'expect', 'read', 'in', 'proto',
              'method', 'path')


def stop_server():
    """The front, then apache2: stopped gracefully (SIGWINCH), it answers
    and logs every request it took before it exits, so that its logs are
    whole once it is gone."""
    global relay
    if relay is not None:
        relay.stop()
        relay = None
    proc = children.procs.get('apache2')
    if proc is not None and proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGWINCH)
            harness.wait_for('apache2 to stop',
                             lambda: proc.poll() is not None)
        except (ProcessLookupError, harness.Timeout):
            pass
    children.stop_all()


def cases_for(client, proto):
    cases = []
    for scope in FRONT_SCOPES if proto == 'front' else SCOPES:
        for sname, size in SIZES:
            run_id = '%s-%s-%s-%s' % (client, proto, scope, sname)
            if scope == 'ext' and client in CUSTOM_EXPECT:
                expect = '100-continue, x-foo'
            elif client in ('curl', 'php') and size > 1 << 20 and scope != 'ext':
                expect = 'auto'   # curl adds it itself for such a body
            else:
                expect = '100-continue'
            cases.append({'id': run_id, 'scope': scope, 'size': size,
                          'sname': sname, 'expect': expect,
                          'client': client, 'proto': proto})
    return cases


def judge(c, r, log, seen_ports, version):
    """The row for case c with client result r and its log lines."""
    front = [e for e in log if e['path'] == '/%s/b/%s' % (c['scope'], c['id'])]
    back = [e for e in log if e['path'] == '/backend/b/%s' % c['id']]
    handler = back if c['scope'] == 'proxy' else front
    reads = [int(e['read']) for e in handler if e['read'].isdigit()]
    nread = sum(reads)
    asked = any(e['expect'] != '-' for e in front)
    # A connection used before: over HTTP/1.1 a request before this one on
    # it (%k); over HTTP/2 (where %k counts something else) the client's
    # port of an earlier case of this client run.
    reused = bool(front) and (front[0]['k'] > 0 if front[0]['proto'] ==
                              'HTTP/1.1' else front[0]['port'] in seen_ports)
    for e in front:
        seen_ports.add(e['port'])
    row = {'status': r['status'] if r else 0,
           'saw100': r['saw100'] if r else '?',
           'ms': r['ms'] if r else 0.0, 'read': nread,
           'requests': len(front), 'reused': 'yes' if reused else 'no',
           'expect': 'yes' if asked else 'no'}
    problems = []
    if r is None:
        problems.append('no report from the client')
    elif r['error']:
        problems.append(r['error'])
    if r and r['ms'] > STALL * 1000:
        problems.append('stall')
    refused = c['scope'] == 'strict' and asked
    # RFC 9110 section 10.1.1: a client that gets a 417 for 100-continue
    # SHOULD send the request again without it, and that one is met.
    retried = refused and len(front) > 1 and front[-1]['expect'] == '-'
    want = 417 if refused and not retried else 200
    if r and r['status'] != want:
        problems.append('status %d, not %d' % (r['status'], want))
    if r and r['status'] == 200 and r['xrun'] != c['id']:
        problems.append('response of %s' % r['xrun'])
    if r and r['status'] == 200 and asked and not retried \
            and r['saw100'] == 'no':
        # Every Expect sent here has 100-continue: RFC 9110 section 10.1.1
        # wants an immediate 100 or final status, and a lenient scope still
        # answers it (a client's timer going off is no answer).
        problems.append('no 100 Continue')
    if sum(1 for n in reads if n) > 1:
        problems.append('body read %d times' % sum(1 for n in reads if n))
    elif want == 417 and nread:
        problems.append('refused body read (%d bytes)' % nread)
    elif want == 200 and r and r['status'] == 200 and nread != c['size']:
        problems.append('read %d of %d bytes' % (nread, c['size']))
    if not front:
        problems.append('not in the access log')
    # The body starts with a request for /smuggled/b/<id>: that request in
    # the access log is this case's body, taken for a request.
    if any(e['path'] == '/smuggled/b/%s' % c['id'] for e in log):
        problems.append('its body was read as a request')
    bad = sorted({e['status'] for e in front + back if e['status'] == 400})
    if bad:
        problems.append('400 in the access log')
    known = known_for(c, version)
    said = '; '.join(problems)
    what = [w for m, w in known[1].items() if m in said] if known else []
    if known and not problems:
        row['verdict'] = 'FAIL: known behaviour gone (%s): %s' % (
            known[0], ', '.join(known[1].values()))
        row['ok'] = False
    elif problems and what and known[2] not in (None, len(front)):
        row['verdict'] = 'FAIL: %s after %d requests, known after %d' % (
            '; '.join(problems), len(front), known[2])
        row['ok'] = False
    elif problems and what:
        row['verdict'] = 'known: %s (%s)' % (what[0], known[0])
        row['ok'] = True
    elif problems:
        row['verdict'] = 'FAIL: ' + '; '.join(problems)
        row['ok'] = False
    else:
        row['verdict'] = 'ok, retried without Expect' if retried else 'ok'
        row['ok'] = True
    return row


def main():
    global workdir, relay
    harness.exit_on_signals()
    if not os.path.isfile(MODULE):
        sys.exit('%s is missing: build it first (make -f Makefile.apxs)'
                 % MODULE)
    clients = os.environ.get('CLIENTS', 'curl,php,go,java,node,botocore')
    clients = [c for c in clients.split(',') if c]
    for c in clients:
        if c not in PROTOCOLS:
            sys.exit('unknown client %r' % c)
    missing = [t for c in clients for t in TOOLS[c] if not os.path.exists(t)]
    if not os.access(APACHE2, os.X_OK):
        missing.insert(0, APACHE2)
    if missing:
        sys.exit('interop: missing %s (make -f Makefile.apxs interop '
                 'installs what it needs as root)' % ', '.join(missing))

    workdir = tempfile.mkdtemp(prefix='mod_expect-interop.')
    os.chmod(workdir, 0o755)
    try:
        os.makedirs(os.path.join(workdir, 'cgi'))
        os.makedirs(os.path.join(workdir, 'htdocs'))
        shutil.copy(os.path.join(HERE, 'count.cgi'),
                    os.path.join(workdir, 'cgi', 'count'))
        os.chmod(os.path.join(workdir, 'cgi', 'count'), 0o755)
        cmds = programs.build(clients, workdir, 'interop')
        versions = client_versions(clients)
        print('interop: versions: %s' % ', '.join(
            '%s %s' % (k, '.'.join(map(str, v)) if v else 'unknown')
            for k, v in sorted(versions.items())))

        env = dict(os.environ, IOP_DIR=workdir, IOP_MODULE=MODULE)
        args = [APACHE2, '-d', workdir, '-f', os.path.join(HERE, 'httpd.conf'),
                '-DFOREGROUND']
        if os.geteuid() == 0:
            args.append('-DIOP_ROOT')
        try:
            # httpd.conf's ${IOP_PORT}: a Define on the command line, so
            # that each try of a port has its own.
            port = children.start('apache2', lambda ports: args + [
                '-C', 'Define IOP_PORT %d' % ports[0]], env=env)[0]
        except harness.StartError as e:
            path = os.path.join(workdir, 'error_log')
            log = open(path).read() if os.path.exists(path) else ''
            sys.exit('apache2 did not start: %s\n%s' % (e, log))
        base = 'http://127.0.0.1:%d' % port
        print('interop: apache2 pid %d on %s, %s'
              % (children.procs['apache2'].pid, base, workdir))
        relay = keepopen.Front(port)
        print('interop: keep-open front on 127.0.0.1:%d' % relay.port)

        results = []
        for client in clients:
            for proto in PROTOCOLS[client]:
                cases = cases_for(client, proto)
                t = time.monotonic()
                before = relay.accepted
                got = programs.run(cmds[client], 'http://127.0.0.1:%d'
                                   % relay.port if proto == 'front' else base,
                                   proto, cases, BOUND, 'interop')
                print('interop: %s %s: %d cases in %.1f s%s'
                      % (client, proto, len(cases), time.monotonic() - t,
                         ', %d connections to the front'
                         % (relay.accepted - before)
                         if proto == 'front' else ''))
                results.extend((c, got.get(c['id'])) for c in cases)
        front_errors = list(relay.errors)
        # The logs are read once apache2 is gone: it stops gracefully,
        # after logging every request it took (no wait for a time that
        # should be long enough for the last lines).
        stop_server()
        log = programs.access_entries(
            harness.Log(os.path.join(workdir, 'access_log')).read(),
            LOG_FIELDS)
        errlog = open(os.path.join(workdir, 'error_log')).read()
    finally:
        stop_server()

    sent = set()
    for c, _ in results:
        sent.add('/%s/b/%s' % (c['scope'], c['id']))
        sent.add('/backend/b/%s' % c['id'])
        sent.add('/smuggled/b/%s' % c['id'])    # judged with its case
    strays = [e['raw'].rstrip('\n') for e in log if e['path'] not in sent]

    rows = []
    seen_ports = {}
    for c, r in results:
        group = seen_ports.setdefault((c['client'], c['proto']), set())
        rows.append((c, judge(c, r, log, group,
                              versions.get(c['client']))))
    print_table(rows, clients)

    failed = sum(1 for _, row in rows if not row['ok'])
    passed = len(rows) - failed
    if strays:
        print('\ndesync: requests in the access log that no case sent:')
        for s in strays:
            print('    ' + s)
        failed += 1
    if front_errors:
        print('\nthe keep-open front could not relay:\n    '
              + '\n    '.join(front_errors))
        failed += 1
    crashes = [l for l in errlog.splitlines() if 'exit signal' in l]
    if crashes:
        print('\napache2 children crashed:\n' + '\n'.join(crashes))
        failed += 1
    if os.environ.get('KEEP'):
        print('interop: kept %s' % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print('\n%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


def print_table(rows, clients):
    head = ('client', 'proto', 'scope', 'body', 'Expect', 'status', '100',
            'elapsed', 'read', 'requests', 'reused', 'verdict')
    table = []
    for c, row in rows:
        table.append((c['client'], PROTO_NAMES[c['proto']],
                      c['scope'], c['sname'],
                      c['expect'].replace('auto', '100-continue (auto)')
                      if row['expect'] == 'yes' else 'none',
                      str(row['status'] or '-'), row['saw100'],
                      '%.0f ms' % row['ms'], str(row['read']),
                      str(row['requests']), row['reused'], row['verdict']))
    print()
    print(harness.markdown_table(head, table))
    for client in clients:
        if client in NO_H2:
            print('%s: no HTTP/2 run: %s.' % (client, NO_H2[client]))
    print_summary(rows)


def print_summary(rows):
    """The same, one cell per client, protocol and scope, both bodies."""
    cells = {}
    order = []
    for c, row in rows:
        key = (c['client'], c['proto'])
        if key not in cells:
            cells[key] = {}
            order.append(key)
        if row['verdict'].startswith('known: '):
            what = 'known: ' + row['verdict'][7:].split(' (')[0]
            if row['requests'] > 1:
                what += ', %d requests' % row['requests']
        else:
            what = str(row['status'] or 'no answer')
            if row['saw100'] == 'yes':
                what += ' after 100'
            if row['expect'] == 'no':
                what += ' (no Expect sent)'
            if row['requests'] > 1:
                what += ', %d requests' % row['requests']
            if not row['ok']:
                what += ' FAIL'
        cells[key].setdefault(c['scope'], []).append(
            (c['sname'], what, row['ms']))
    print('\n| client | protocol | ' + ' | '.join(SCOPES) + ' |')
    print('|---|---|' + '---|' * len(SCOPES))
    for key in order:
        out = []
        for scope in SCOPES:
            runs = cells[key].get(scope, [])
            if not runs:
                out.append('not run')
            elif len({w for _, w, _ in runs}) == 1:
                out.append('%s, %.0f ms' % (runs[0][1], max(m for _, _, m in runs)))
            else:
                out.append('; '.join('%s: %s, %.0f ms' % r for r in runs))
        print('| %s | %s | %s |' % (key[0], PROTO_NAMES[key[1]],
                                    ' | '.join(out)))


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        stop_server()
        if workdir and os.path.isdir(workdir) and not os.environ.get('KEEP') \
                and sys.exc_info()[0] is not None:
            shutil.rmtree(workdir, ignore_errors=True)
