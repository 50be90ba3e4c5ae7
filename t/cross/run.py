#!/usr/bin/python3
"""mod_expect built for other architectures and run there under qemu-user.

    python3 t/cross/run.py          (make -f Makefile.apxs cross)

For each architecture (CROSS_ARCHS: arm64 armhf i386 s390x), on the
Debian release this machine runs, with that release's own packages of
that architecture:

  1. the foreign root: t/cross/root.sh (debootstrap's first stage, every
     package unpacked), cached in CROSS_CACHE/ARCH;
  2. with Debian's cross compiler and --sysroot=ROOT, -Wall -Wextra
     -Werror: the unit suite (UNIT_SRC and PURE) twice, as is and with
     UNIT_ALT_CFLAGS; the module (SRC) twice, the same ways; a probe of
     the counters' layout (t/cross/layout.c);
  3. under qemu-ARCH -L ROOT (no binfmt): the layout probe, whose 64-bit
     counters must all sit at multiples of 8 and whose layout must equal
     this machine's own (amd64); the unit suite, and the second build's
     UNIT_ALT_CASE (the cases that build changes: CK_RUN_CASE);
  4. Debian's apache2 of that architecture, from the root, under qemu,
     mpm_prefork with four children and more on demand, on free ports of
     127.0.0.1, loading mod_status, mod_rewrite, mod_reflector and each
     module build in turn, given known traffic (TRAFFIC below) from
     clients that wait for the 100: every answer, every access log line
     (EXPECT_STATUS, EXPECT_CONTINUE), every Expect line of
     /server-status?auto and every sample of /metrics (expect-metrics)
     must be exactly what was sent; the error log must show no child
     ended by a signal (a misaligned 64-bit atomic is SIGBUS on arm) and
     no error of the module.

Architectures run CROSS_JOBS (2) at a time; the roots are made all at
once (debootstrap and unpacking: no qemu).  Each architecture ends with
one line, "ARCH: N passed, N failed" (the unit suites count one per
test); the exit status is 1 when any failed.  CROSS_KEEP=1 keeps the
work folder.

The lists come from Makefile.apxs through the environment (CROSS_SRC,
CROSS_PURE, CROSS_UNIT_SRC, CROSS_UNIT_ALT_CFLAGS, CROSS_UNIT_ALT_CASE)
and the foreign packages from pkg/debs.mk (CROSS_ROOT_DEBS,
CROSS_ROOT_NODEPS).
"""

import concurrent.futures
import fcntl
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
import harness  # noqa: E402

# Debian architecture: the cross compiler's prefix, the multiarch folder,
# qemu's name for the CPU.
ARCHS = {
    'arm64': ('aarch64-linux-gnu', 'aarch64-linux-gnu', 'aarch64'),
    'armhf': ('arm-linux-gnueabihf', 'arm-linux-gnueabihf', 'arm'),
    'i386': ('i686-linux-gnu', 'i386-linux-gnu', 'i386'),
    's390x': ('s390x-linux-gnu', 's390x-linux-gnu', 's390x'),
}

# A bound on one program under qemu (the unit suite takes a minute or two
# on a busy two-core machine): a hung run fails, a slow one does not.
RUN_BOUND = 1800
IO_BOUND = 120
# apache2 under qemu on a machine at load 40: slow to start, never wrong.
START_BOUND = 300

# The traffic: kind -> (count, path, Expect value or None, expected
# status, 100 expected, EXPECT_STATUS, EXPECT_CONTINUE).
TRAFFIC = {
    # met uploads: the client waits for the 100, then sends the body
    'met': (24, '/upload/met', '100-continue', 200, True, 'met', 'sent'),
    # a name the server configuration allows (ExpectAllow at the top)
    'server-name': (8, '/upload/server', '100-continue, x-server', 200, True,
                    'met', 'sent'),
    # refused at once, before the body: 417 and no 100
    'refused': (12, '/upload/refused', 'x-foo', 417, False, 'rejected', '-'),
    # a lenient scope drops a name the configuration lists elsewhere
    'lenient': (12, '/lenient', '100-continue, x-conf', 200, True,
                'ignored', 'sent'),
    # a <Location> that allows that name
    'configured': (12, '/conf', '100-continue, x-conf', 200, True,
                   'met', 'sent'),
    # a lenient <Directory> that drops it, then mod_rewrite into a strict
    # scope: 417, no 100
    'redirect': (8, '/lax/go', '100-continue, x-conf', 417, False,
                 'rejected', '-'),
    # no Expect at all: not counted
    'plain': (8, '/index.html', None, 200, False, '-', '-'),
}
CLIENTS = 6


def expected_counters():
    """The ?auto lines the traffic must leave, from TRAFFIC alone."""
    n = {k: v[0] for k, v in TRAFFIC.items()}
    judged = [k for k, v in TRAFFIC.items() if v[2] is not None]
    sent = sum(n[k] for k in judged if TRAFFIC[k][6] == 'sent')
    with100 = sum(n[k] for k in judged if '100-continue' in TRAFFIC[k][2])

    def names(name):
        return sum(n[k] for k in judged
                   if name in [m.strip() for m in TRAFFIC[k][2].split(',')])
    e = {
        'ExpectRequests': sum(n[k] for k in judged),
        'ExpectMet': sum(n[k] for k in judged if TRAFFIC[k][5] == 'met'),
        'ExpectRejected': sum(n[k] for k in judged
                              if TRAFFIC[k][5] == 'rejected'),
        'ExpectIgnored': sum(n[k] for k in judged
                             if TRAFFIC[k][5] == 'ignored'),
        'ExpectContinue': with100,
        'ExpectMalformed': 0,
        # x-conf, dropped by the lenient Location and by the lenient
        # Directory before the redirect: each request once
        'ExpectWouldReject': n['lenient'] + n['redirect'],
        'ExpectUnjudged': 0,
        'ExpectName_100-continue': with100,
        'ExpectName_x-server': names('x-server'),
        'ExpectName_x-conf': names('x-conf'),
        'ExpectNameOther': names('x-foo'),
    }
    for what in ('Sent', 'Skipped', 'EarlyBody', 'Abandoned', 'Unknown'):
        v = sent if what == 'Sent' else 0
        e['ExpectContinue' + what] = v
        e['ExpectContinue' + what + 'H1'] = v
        e['ExpectContinue' + what + 'H2'] = 0
    e['ExpectContinueDelayUsH2'] = 0
    return e


def expected_metrics(e):
    """The samples of /metrics that must equal e's lines."""
    m = {
        'apache_expect_requests_total{outcome="met"}': e['ExpectMet'],
        'apache_expect_requests_total{outcome="ignored"}': e['ExpectIgnored'],
        'apache_expect_requests_total{outcome="rejected"}':
            e['ExpectRejected'],
        'apache_expect_continue_requests_total': e['ExpectContinue'],
        'apache_expect_malformed_total': e['ExpectMalformed'],
        'apache_expect_would_reject_total': e['ExpectWouldReject'],
        'apache_expect_unjudged_total': e['ExpectUnjudged'],
        'apache_expect_members_total{name="100-continue"}':
            e['ExpectName_100-continue'],
        'apache_expect_members_total{name="x-server"}':
            e['ExpectName_x-server'],
        'apache_expect_members_total{name="x-conf"}': e['ExpectName_x-conf'],
        'apache_expect_members_total{name="other"}': e['ExpectNameOther'],
        'apache_expect_continue_delay_seconds_count{protocol="http1"}':
            e['ExpectContinueSentH1'],
        'apache_expect_continue_delay_seconds_bucket'
        '{protocol="http1",le="+Inf"}': e['ExpectContinueSentH1'],
        'apache_expect_continue_delay_seconds_count{protocol="http2"}': 0,
    }
    for label, key in (('sent', 'Sent'), ('skipped', 'Skipped'),
                       ('early_body', 'EarlyBody'),
                       ('abandoned', 'Abandoned'), ('unknown', 'Unknown')):
        for proto, suffix in (('http1', 'H1'), ('http2', 'H2')):
            m['apache_expect_continue_total{outcome="%s",protocol="%s"}'
              % (label, proto)] = e['ExpectContinue' + key + suffix]
    return m


# ---- output ----------------------------------------------------------------

OUT_LOCK = threading.Lock()


def say(arch, text):
    with OUT_LOCK:
        sys.stdout.write('%s: %s\n' % (arch, text))
        sys.stdout.flush()


class Tally(harness.Tally):
    """harness.Tally, printing under the lock (architectures run side by
    side), and adding whole suites."""

    def check(self, ok, what, detail=''):
        with OUT_LOCK:
            return super().check(ok, what, detail)

    def add(self, passed, failed):
        self.passed += passed
        self.failed += failed


# ---- building --------------------------------------------------------------

def env_list(name):
    return os.environ.get(name, '').split()


def run(argv, log, env=None, timeout=RUN_BOUND, cwd=None):
    """Run argv, its output appended to log; returns (status, output)."""
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, cwd=cwd,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        out, status = p.stdout.decode('utf-8', 'replace'), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.output or b'').decode('utf-8', 'replace')
        out += '\n(killed after %d s)\n' % timeout
        status = -9
    with open(log, 'a') as fh:
        fh.write('$ %s\n%s\n(exit %s)\n' % (' '.join(shlex.quote(a)
                                                     for a in argv),
                                           out, status))
    return status, out


def counters_header():
    """The header of the top folder that defines ex_counters."""
    for name in sorted(os.listdir(TOP)):
        if name.endswith('.h'):
            with open(os.path.join(TOP, name)) as fh:
                if re.search(r'}\s*ex_counters\s*;', fh.read()):
                    return name
    raise RuntimeError('no header of %s defines ex_counters' % TOP)


class Arch:
    def __init__(self, arch, root, work, host_layout):
        self.arch = arch
        self.cc_prefix, self.multiarch, qname = ARCHS[arch]
        self.root = root
        self.work = os.path.join(work, arch)
        os.makedirs(self.work)
        os.chmod(self.work, 0o755)
        self.log = os.path.join(self.work, 'build.log')
        self.tally = Tally(arch)
        self.host_layout = host_layout
        self.times = {}
        for q in ('qemu-%s-static' % qname, 'qemu-%s' % qname):
            self.qemu = shutil.which(q)
            if self.qemu:
                break

    # -- compiling

    def pkg_config(self, what, *pkgs):
        env = dict(os.environ,
                   PKG_CONFIG_SYSROOT_DIR=self.root,
                   PKG_CONFIG_LIBDIR='%s/usr/lib/%s/pkgconfig:'
                   '%s/usr/share/pkgconfig' % (self.root, self.multiarch,
                                               self.root))
        out = subprocess.run(['pkg-config', what] + list(pkgs), env=env,
                             stdout=subprocess.PIPE, check=True).stdout
        return out.decode().split()

    def cc(self):
        return ['%s-gcc' % self.cc_prefix, '--sysroot=' + self.root,
                '-B%s/usr/lib/%s' % (self.root, self.multiarch)]

    def compile(self, what, out, argv):
        status, output = run(self.cc() + argv + ['-o', out], self.log,
                             cwd=TOP)
        warned = [ln for ln in output.splitlines()
                  if re.search(r'(warning|error):', ln)]
        ok = status == 0 and os.path.exists(out) and not warned
        self.tally.check(ok, 'build %s' % what,
                         '\n    '.join(warned[:20]) or 'exit %s' % status)
        return ok

    def build(self):
        t0 = time.monotonic()
        hostinc = os.path.join(self.work, 'hostinc')
        os.makedirs(hostinc)
        # valgrind's client requests (t/unit/main.c): one header for every
        # CPU, the same release's as the root's; only do nothing outside
        # valgrind, which does not run under qemu.
        os.symlink('/usr/include/valgrind', os.path.join(hostinc, 'valgrind'))
        warn = ['-Wall', '-Wextra', '-Werror']
        alt = env_list('CROSS_UNIT_ALT_CFLAGS')
        unit = (['-std=gnu99'] + warn + ['-g', '-I' + TOP,
                                         '-idirafter', hostinc]
                + self.pkg_config('--cflags', 'apr-1', 'check'))
        unit_src = env_list('CROSS_UNIT_SRC') + env_list('CROSS_PURE')
        unit_libs = self.pkg_config('--libs', 'apr-1', 'check')
        # As apxs builds it: -O2, position-independent, httpd's and APR's
        # headers; httpd's symbols are resolved when apache2 loads it.
        mod = (warn + ['-O2', '-g', '-fPIC', '-shared',
                       '-I%s/usr/include/apache2' % self.root]
               + self.pkg_config('--cflags', 'apr-1', 'apr-util-1'))
        src = env_list('CROSS_SRC')
        self.unit = os.path.join(self.work, 'run_unit')
        self.unit_alt = os.path.join(self.work, 'run_unit_alt')
        self.mod = os.path.join(self.work, 'mod_expect.so')
        self.mod_alt = os.path.join(self.work, 'mod_expect_alt.so')
        self.probe = os.path.join(self.work, 'layout')
        ok = {
            'unit': self.compile('unit suite', self.unit,
                                 unit + unit_src + unit_libs),
            'unit_alt': self.compile('unit suite (%s)' % ' '.join(alt),
                                     self.unit_alt,
                                     unit + alt + unit_src + unit_libs),
            'mod': self.compile('module', self.mod, mod + src),
            'mod_alt': self.compile('module (%s)' % ' '.join(alt),
                                    self.mod_alt, mod + alt + src),
            'probe': self.compile(
                'layout probe', self.probe,
                ['-std=gnu99'] + warn + ['-I' + TOP, '-include',
                                         counters_header()]
                + self.pkg_config('--cflags', 'apr-1')
                + [os.path.join(HERE, 'layout.c')]),
        }
        for f in (self.mod, self.mod_alt):
            if os.path.exists(f):
                os.chmod(f, 0o755)
        self.times['build'] = time.monotonic() - t0
        return ok

    # -- running under qemu

    def qemu_argv(self, *argv):
        return [self.qemu, '-L', self.root] + list(argv)

    def layout(self):
        status, out = run(self.qemu_argv(self.probe), self.log,
                          timeout=IO_BOUND)
        layout = dict(re.findall(r'^(\S+) (\d+)$', out, re.M))
        ok = status == 0 and layout
        self.tally.check(ok, 'layout probe ran', out.strip()[-300:])
        if not ok:
            return
        misaligned = [k for k, v in layout.items()
                      if (k.startswith('off8.') or k == 'size.ex_name_slot'
                          or k == 'size.ex_continue_counts') and int(v) % 8]
        self.tally.check(not misaligned,
                         'every 64-bit counter 8-byte aligned',
                         ', '.join('%s at %s' % (k[5:], layout[k])
                                   for k in misaligned))
        differs = [k for k in sorted(set(layout) | set(self.host_layout))
                   if layout.get(k) != self.host_layout.get(k)]
        self.tally.check(not differs, 'layout equals amd64\'s',
                         ', '.join('%s %s (amd64 %s)'
                                   % (k, layout.get(k),
                                      self.host_layout.get(k))
                                   for k in differs))
        self.layout_line = 'names at %s, slot %s, ex_counters %s' % (
            layout.get('off8.names'), layout.get('size.ex_name_slot'),
            layout.get('size.ex_counters'))

    def unit_suite(self, prog, what, case=None):
        t0 = time.monotonic()
        env = dict(os.environ, CK_TIMEOUT_MULTIPLIER='20')
        env.pop('CK_RUN_CASE', None)
        if case:
            env['CK_RUN_CASE'] = case
        log = os.path.join(self.work, 'unit-%s.log' % what)
        status, out = run(self.qemu_argv(prog), log, env=env)
        m = re.search(r'Checks: (\d+), Failures: (\d+), Errors: (\d+)', out)
        took = time.monotonic() - t0
        self.times[what] = took
        if not m:
            self.tally.check(False, what, 'no Check summary (exit %s): %s'
                             % (status, out.strip()[-500:]))
            return None
        checks, fails, errors = (int(x) for x in m.groups())
        self.tally.add(checks - fails - errors, fails + errors)
        if fails or errors:
            with OUT_LOCK:
                for ln in out.splitlines():
                    if re.search(r':(F|E):', ln):
                        sys.stdout.write('%s: %s: %s\n' % (self.arch, what,
                                                           ln))
        self.tally.check(status == 0, '%s exit status' % what,
                         'exit %s' % status)
        return '%s %d/%d (%.0f s)' % (what, checks - fails - errors, checks,
                                      took)

    def all(self, built):
        lines = []
        if built['probe']:
            self.layout()
            lines.append(getattr(self, 'layout_line', ''))
        if built['unit']:
            r = self.unit_suite(self.unit, 'unit')
            if r:
                lines.append(r)
        if built['unit_alt']:
            case = os.environ.get('CROSS_UNIT_ALT_CASE') or None
            r = self.unit_suite(self.unit_alt, 'unit-alt', case)
            if r:
                lines.append(r)
        for key, mod in (('mod', self.mod), ('mod_alt', self.mod_alt)):
            if built[key]:
                t0 = time.monotonic()
                r = HttpdRun(self, mod, key).go()
                self.times['httpd-' + key] = time.monotonic() - t0
                lines.append('%s (%.0f s)' % (r, self.times['httpd-' + key]))
        say(self.arch, '; '.join(x for x in lines if x))


# ---- apache2 under qemu -----------------------------------------------------

HTTPD_CONF = r'''
ServerRoot "{T}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {T}/httpd.pid
DefaultRuntimeDir {T}
ErrorLog {T}/error.log
LogLevel warn
{user}
LoadModule mpm_prefork_module {M}/mod_mpm_prefork.so
LoadModule authz_core_module {M}/mod_authz_core.so
LoadModule status_module {M}/mod_status.so
LoadModule rewrite_module {M}/mod_rewrite.so
LoadModule reflector_module {M}/mod_reflector.so
LoadModule expect_module {module}
StartServers 4
MinSpareServers 4
MaxSpareServers 8
ServerLimit 8
MaxRequestWorkers 8
KeepAlive Off
Timeout 120
LogFormat "%P %m %U %>s status=%{{EXPECT_STATUS}}e continue=%{{EXPECT_CONTINUE}}e" cross
CustomLog {T}/access.log cross
DocumentRoot {T}/htdocs
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {T}/htdocs>
    Require all granted
</Directory>

# The server configuration's names: each gets an ExpectName_ line.
ExpectAllow 100-continue x-server
<Location /upload>
    SetHandler reflector
</Location>
<Location /conf>
    SetHandler reflector
    ExpectAllow 100-continue x-conf
</Location>
<Location /lenient>
    SetHandler reflector
    ExpectPolicy lenient
    ExpectAllow 100-continue
</Location>
<Directory {T}/htdocs/lax>
    ExpectPolicy lenient
    ExpectAllow 100-continue
    RewriteEngine On
    RewriteRule ^go$ /strict/x [L]
</Directory>
<Location /strict>
    SetHandler reflector
    ExpectAllow 100-continue
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
<Location /metrics>
    SetHandler expect-metrics
</Location>
'''


def read_all(sock, data=b''):
    while True:
        got = sock.recv(65536)
        if not got:
            return data
        data += got


def read_head(sock, data):
    """Read until a whole response head is in data: (head, rest)."""
    while b'\r\n\r\n' not in data:
        got = sock.recv(65536)
        if not got:
            raise EOFError('connection closed in a response head: %r'
                           % data[:200])
        data += got
    head, rest = data.split(b'\r\n\r\n', 1)
    return head, rest


def parse_body(head, rest):
    if re.search(br'(?im)^transfer-encoding:\s*chunked', head):
        body = b''
        while True:
            size_line, rest = rest.split(b'\r\n', 1)
            size = int(size_line.split(b';')[0], 16)
            if size == 0:
                return body
            body += rest[:size]
            rest = rest[size + 2:]
    m = re.search(br'(?im)^content-length:\s*(\d+)', head)
    return rest[:int(m.group(1))] if m else rest


def request(port, kind, i):
    """One request of that kind: (status, got a 100, body as expected)."""
    _, path, expect, _, _, _, _ = TRAFFIC[kind]
    body = ('%s %d ' % (kind, i)).encode() * 40
    with socket.create_connection(('127.0.0.1', port),
                                  timeout=IO_BOUND) as s:
        if expect is None:
            s.sendall(b'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                      b'Connection: close\r\n\r\n' % path.encode())
            head, rest = read_head(s, b'')
            return int(head.split()[1]), False, True
        s.sendall(b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                  b'Expect: %s\r\nContent-Type: application/octet-stream\r\n'
                  b'Content-Length: %d\r\nConnection: close\r\n\r\n'
                  % (path.encode(), expect.encode(), len(body)))
        # A careful client: the body only after a 100.
        head, rest = read_head(s, b'')
        got100 = int(head.split()[1]) == 100
        if got100:
            s.sendall(body)
            head, rest = read_head(s, rest)
        rest = read_all(s, rest)
        status = int(head.split()[1])
        echoed = parse_body(head, rest) == body if status == 200 else True
        return status, got100, echoed


def http_get(port, path):
    with socket.create_connection(('127.0.0.1', port),
                                  timeout=IO_BOUND) as s:
        s.sendall(b'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                  b'Connection: close\r\n\r\n' % path.encode())
        head, rest = read_head(s, b'')
        return int(head.split()[1]), parse_body(head, read_all(s, rest))


class HttpdRun:
    def __init__(self, arch, module, label):
        self.a = arch
        self.t = arch.tally
        self.module = module
        self.label = 'httpd' if label == 'mod' else 'httpd (%s)' % ' '.join(
            env_list('CROSS_UNIT_ALT_CFLAGS'))

    def check(self, ok, what, detail=''):
        return self.t.check(ok, '%s: %s' % (self.label, what), detail)

    def go(self):
        T = tempfile.mkdtemp(prefix='mod_expect-cross-%s.' % self.a.arch)
        os.chmod(T, 0o755)
        os.makedirs(os.path.join(T, 'htdocs', 'lax'))
        with open(os.path.join(T, 'htdocs', 'index.html'), 'w') as fh:
            fh.write('cross\n')
        children = harness.Children()
        try:
            return self.serve(T, children)
        finally:
            children.stop_all()
            if os.environ.get('CROSS_KEEP') != '1':
                shutil.rmtree(T, ignore_errors=True)

    def serve(self, T, children):
        a = self.a
        conf = os.path.join(T, 'httpd.conf')
        user = ('User #65534\nGroup #65534' if os.geteuid() == 0 else '')

        def argv(ports):
            with open(conf, 'w') as fh:
                fh.write(HTTPD_CONF.format(
                    T=T, port=ports[0], user=user, module=self.module,
                    M='%s/usr/lib/apache2/modules' % a.root))
            return a.qemu_argv('%s/usr/sbin/apache2' % a.root, '-d', T,
                               '-f', conf, '-DFOREGROUND')
        console = os.path.join(T, 'console.log')
        try:
            port = children.start('apache2', argv, out=console,
                                  bound=START_BOUND)[0]
        except harness.StartError as e:
            m = re.search(r'exited -(\d+)', str(e))
            if m:
                e = '%s: killed by %s' % (e, signal.Signals(int(
                    m.group(1))).name)
            self.check(False, 'apache2 starts', '%s\n%s' % (e, tail(
                os.path.join(T, 'error.log')) or tail(console)))
            return '%s did not start' % self.label
        self.check(True, 'apache2 starts under qemu')

        # The traffic, shuffled, CLIENTS at a time.
        jobs = [(k, i) for k, v in TRAFFIC.items() for i in range(v[0])]
        random.Random(29).shuffle(jobs)
        results = {k: [] for k in TRAFFIC}
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            futs = {pool.submit(request, port, k, i): k for k, i in jobs}
            for f in concurrent.futures.as_completed(futs):
                try:
                    results[futs[f]].append(f.result())
                except Exception as e:  # noqa: BLE001 (any failure counts)
                    results[futs[f]].append(('%s' % e, False, False))
        for kind, (n, path, expect, status, want100, _, _) in \
                TRAFFIC.items():
            bad = [r for r in results[kind]
                   if r != (status, want100, True)]
            self.check(not bad,
                       '%d %s requests (%s, Expect: %s): %s%d' % (
                           n, kind, path, expect, '100 then ' if want100
                           else '', status),
                       '%d wrong, e.g. %s' % (len(bad), bad[:3]))

        # The access log: one line per request, each with its fields.
        total = len(jobs)
        log = harness.Log(os.path.join(T, 'access.log'))
        try:
            lines = log.wait_lines(total, 'the access log\'s %d lines'
                                   % total, bound=START_BOUND)
        except harness.Timeout as e:
            lines = log.seen
            self.check(False, 'access log', str(e))
        pids = set()
        for kind, (n, path, expect, status, _, xstatus, xcont) in \
                TRAFFIC.items():
            mine = [ln.split() for ln in lines
                    if ln.split()[2:3] == [path]]
            want = [str(status), 'status=' + xstatus, 'continue=' + xcont]
            bad = [ln for ln in mine if ln[3:] != want]
            self.check(len(mine) == n and not bad,
                       'access log: %d %s lines, %s' % (n, kind,
                                                         ' '.join(want)),
                       '%d lines, wrong: %s' % (len(mine), bad[:3]))
            pids.update(ln[0] for ln in mine)
        self.check(len(pids) >= 2, 'served by several children',
                   'pids %s' % sorted(pids))

        # The counters, in both renderings.
        e = expected_counters()
        status, body = http_get(port, '/server-status?auto')
        auto = dict(re.findall(r'^(Expect\S*): (\S+)$', body.decode(), re.M))
        self.check(status == 200 and auto, '/server-status?auto',
                   'status %s' % status)
        for key in sorted(set(e) | set(auto)):
            if key == 'ExpectContinueDelayUs' or key == \
                    'ExpectContinueDelayUsH1':
                continue
            self.check(auto.get(key) == str(e.get(key)),
                       '?auto %s: %s' % (key, e.get(key)),
                       'got %s' % auto.get(key))
        delay = int(auto.get('ExpectContinueDelayUsH1', '0'))
        self.check(delay > 0 and auto.get('ExpectContinueDelayUs') ==
                   str(delay), '?auto ExpectContinueDelayUs(H1) > 0, equal',
                   '%s, %s' % (auto.get('ExpectContinueDelayUs'), delay))
        status, body = http_get(port, '/metrics')
        samples = dict(re.findall(r'^(apache_expect_\S+) (\S+)$',
                                  body.decode(), re.M))
        self.check(status == 200 and samples, '/metrics',
                   'status %s' % status)
        for name, value in sorted(expected_metrics(e).items()):
            got = samples.get(name)
            self.check(got is not None and float(got) == value,
                       '/metrics %s %s' % (name, value), 'got %s' % got)
        got = samples.get('apache_expect_continue_delay_seconds_sum'
                          '{protocol="http1"}')
        self.check(got is not None and abs(float(got) - delay / 1e6) < 1e-6,
                   '/metrics delay _sum equals ExpectContinueDelayUsH1',
                   '%s and %s us' % (got, delay))

        # Stopped, then nothing in the logs: no child ended by a signal
        # (SIGBUS from a misaligned atomic), no error of the module.
        children.stop('apache2')
        errors = read(os.path.join(T, 'error.log'))
        crashes = [ln for ln in errors.splitlines() if 'exit signal' in ln]
        self.check(not crashes, 'no child ended by a signal',
                   '\n    '.join(crashes[:5]))
        bad = [ln for ln in errors.splitlines()
               if re.search(r'\[(\w+:)?(error|crit|alert|emerg)\]', ln)]
        self.check(not bad, 'no error in the error log',
                   '\n    '.join(bad[:5]))
        out = read(console)
        qemu_said = [ln for ln in out.splitlines() if 'qemu' in ln.lower()]
        self.check(not qemu_said, 'qemu reported nothing',
                   '\n    '.join(qemu_said[:5]))
        return '%s: %d requests, %d children' % (self.label, total,
                                                  len(pids))


def read(path):
    try:
        with open(path, errors='replace') as fh:
            return fh.read()
    except OSError:
        return ''


def tail(path, n=15):
    return '\n'.join(read(path).splitlines()[-n:])


# ---- the layout on this machine ---------------------------------------------

def host_layout(work):
    """The probe built and run natively: what every architecture must
    equal."""
    out = os.path.join(work, 'layout-host')
    cflags = subprocess.run(['pkg-config', '--cflags', 'apr-1'],
                            stdout=subprocess.PIPE,
                            check=True).stdout.decode().split()
    subprocess.run(['gcc', '-std=gnu99', '-Wall', '-Wextra', '-Werror',
                    '-I' + TOP, '-include', counters_header()] + cflags
                   + [os.path.join(HERE, 'layout.c'), '-o', out],
                   check=True, cwd=TOP)
    text = subprocess.run([out], stdout=subprocess.PIPE,
                          check=True).stdout.decode()
    return dict(re.findall(r'^(\S+) (\d+)$', text, re.M))


# ---- main ----------------------------------------------------------------

def make_root(arch, release, cache):
    t0 = time.monotonic()
    p = subprocess.run(['sh', os.path.join(HERE, 'root.sh'), arch, release,
                        os.path.join(cache, arch),
                        os.environ.get('CROSS_ROOT_DEBS', ''),
                        os.environ.get('CROSS_ROOT_NODEPS', '')],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode('utf-8', 'replace').strip()
    with OUT_LOCK:
        sys.stdout.write(out + '\n')
        sys.stdout.flush()
    return p.returncode == 0, time.monotonic() - t0, out


def one_arch(arch, root_future, cache, work, layout):
    t0 = time.monotonic()
    ok, root_took, out = root_future.result()
    a = None
    if ok:
        # Held shared while in use: root.sh renews a root only alone.
        lock = open(os.path.join(cache, arch) + '.lock', 'a')
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            a = Arch(arch, os.path.join(cache, arch), work, layout)
            if not a.qemu:
                a.tally.check(False, 'qemu-user', 'no qemu for %s' % arch)
            else:
                a.all(a.build())
        finally:
            lock.close()
    if a is None:
        t = Tally(arch)
        t.check(False, 'foreign root', out[-1000:])
        return t, {}
    a.times['root'] = root_took
    a.times['all'] = time.monotonic() - t0
    return a.tally, a.times


def main():
    harness.exit_on_signals()
    archs = os.environ.get('CROSS_ARCHS', ' '.join(ARCHS)).split()
    unknown = [x for x in archs if x not in ARCHS]
    if unknown:
        sys.exit('cross: unknown architecture %s (known: %s)'
                 % (' '.join(unknown), ' '.join(ARCHS)))
    release = os.environ.get('CROSS_RELEASE') or subprocess.run(
        ['sh', '-c', '. /etc/os-release && echo "$VERSION_CODENAME"'],
        stdout=subprocess.PIPE).stdout.decode().strip()
    cache = os.environ.get('CROSS_CACHE') or os.path.join(
        os.environ.get('EXPECT_CACHE') or '/var/cache/mod_expect', 'cross',
        release)
    os.makedirs(cache, exist_ok=True)
    jobs = int(os.environ.get('CROSS_JOBS', '2'))
    work = tempfile.mkdtemp(prefix='mod_expect-cross.')
    os.chmod(work, 0o755)
    start = time.monotonic()
    results = {}
    try:
        layout = host_layout(work)
        print('cross: %s, %s; this machine\'s layout: names at %s, slot %s, '
              'ex_counters %s' % (release, ' '.join(archs),
                                  layout.get('off8.names'),
                                  layout.get('size.ex_name_slot'),
                                  layout.get('size.ex_counters')))
        sys.stdout.flush()
        with concurrent.futures.ThreadPoolExecutor(len(archs)) as roots, \
                concurrent.futures.ThreadPoolExecutor(jobs) as runs:
            rf = {x: roots.submit(make_root, x, release, cache)
                  for x in archs}
            ff = {x: runs.submit(one_arch, x, rf[x], cache, work, layout)
                  for x in archs}
            for x in archs:
                results[x] = ff[x].result()
    finally:
        if os.environ.get('CROSS_KEEP') == '1':
            print('cross: the work folder is kept in %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    for x in archs:
        times = results[x][1]
        print('%s: %s' % (x, ', '.join('%s %.0f s' % (k, v)
                                      for k, v in times.items())))
    print('cross: %.0f s all told' % (time.monotonic() - start))
    failed = 0
    for x in archs:
        t = results[x][0]
        print('%s: %d passed, %d failed' % (x, t.passed, t.failed))
        failed += t.failed
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
