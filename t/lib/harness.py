"""What the Python test runners share: servers started as children on free
ports of 127.0.0.1 and stopped whatever happens, waits for an event (a
port listened on by the right process, a log line, a condition) instead
of a fixed time, and the tally of verdicts.

    sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
    import harness

A port is never handed on from a bind-and-release: a server started on a
port another process took meanwhile either fails to start or, worse, is
never reached while the other one answers.  Children.start() picks
ports, starts the server, and waits until each port is listened on by a
socket of that server's own processes (/proc/net/tcp and /proc/PID/fd);
when the server dies first or another process holds a port, it tries
again with new ports.

Nothing here sleeps for a fixed time to let something happen: wait_for()
polls a condition and returns the moment it holds, failing only after a
bound that is generous on purpose (a slow machine makes a test slower,
never wrong).
"""

import os
import signal
import socket
import subprocess
import sys
import time

# Bounds of the waits, in seconds: what a busy two-core machine needs,
# many times over.  A test that needs them is slow, not failed.
START_BOUND = 60
EVENT_BOUND = 60


class Timeout(Exception):
    """A waited-for event did not come within its bound."""


def wait_for(what, test, timeout=EVENT_BOUND):
    """Call test() until it returns something true, and return that.
    Raises Timeout naming what after timeout seconds.  Polls every 10 ms
    at first, then less often, up to every 200 ms."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        got = test()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise Timeout('%s: not within %g s' % (what, timeout))
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


# ---- ports ---------------------------------------------------------------

def candidate_port():
    """A port nobody listens on right now: only a candidate, since another
    process may take it before the server does (Children.start checks)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _listening_inodes(port):
    """Inodes of the sockets listening on 127.0.0.1:port or *:port."""
    want = {'0100007F:%04X' % port, '00000000:%04X' % port,
            '00000000000000000000000000000000:%04X' % port,
            '00000000000000000000000001000000:%04X' % port}
    inodes = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    f = line.split()
                    # f[1] local address, f[3] state (0A: LISTEN), f[9] inode
                    if f[3] == '0A' and f[1] in want:
                        inodes.add(f[9])
        except OSError:
            continue
    return inodes


def _stat(pid):
    """(ppid, session) of a process, or None when it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as fh:
            rest = fh.read().rsplit(')', 1)[1].split()
        return int(rest[1]), int(rest[3])
    except (OSError, IndexError, ValueError):
        return None


def _belongs(pid, leader):
    """Is pid the leader, in its session, or one of its descendants?"""
    seen = 0
    while pid > 1 and seen < 64:
        if pid == leader:
            return True
        st = _stat(pid)
        if st is None:
            return False
        if st[1] == leader:
            return True
        pid = st[0]
        seen += 1
    return False


def port_owner(port, leader):
    """'ours' when a socket listening on the port belongs to the process
    leader (or its session, or a descendant), 'other' when only another
    process listens there, None when nobody does."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    links = {'socket:[%s]' % i for i in inodes}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            fds = os.listdir('/proc/%d/fd' % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%d/fd/%s' % (pid, fd)) in links:
                    if _belongs(pid, leader):
                        return 'ours'
            except OSError:
                continue
    return 'other'


# ---- children ------------------------------------------------------------

class StartError(Exception):
    """A server could not be started."""


class Children:
    """Servers started for a run, each the leader of a session of its own
    (so that stop() reaches every process it forks), stopped by
    stop_all() whatever happens."""

    def __init__(self):
        self.procs = {}

    def start(self, name, make_argv, nports=1, env=None, out=None,
              cwd=None, tries=5, bound=START_BOUND):
        """Start a server on nports free ports: make_argv(ports) gives its
        command line (and writes whatever configuration names them), and
        the server is ready when each port is listened on by one of its
        processes.  Returns the ports.  Another process on a port, or the
        server gone before it listened, is tried again with new ports."""
        why = ''
        for _ in range(tries):
            ports = []
            while len(ports) < nports:
                p = candidate_port()
                if p not in ports:
                    ports.append(p)
            argv = make_argv(ports)
            proc = self._spawn(name, argv, env, out, cwd)
            state = self._wait_ports(proc, ports, bound)
            if state == 'ready':
                return ports
            self.stop(name)
            why = state
        raise StartError('%s did not start after %d tries (%s): %s'
                         % (name, tries, why, ' '.join(argv)))

    def start_fixed(self, name, argv, ports=(), env=None, out=None,
                    cwd=None, bound=START_BOUND):
        """Start a server on ports given by someone else (a configuration
        that cannot name new ones): ready when its processes listen on
        each, StartError otherwise."""
        proc = self._spawn(name, argv, env, out, cwd)
        state = self._wait_ports(proc, list(ports), bound)
        if state != 'ready':
            self.stop(name)
            raise StartError('%s did not start (%s): %s'
                             % (name, state, ' '.join(argv)))

    def spawn(self, name, argv, env=None, out=None, cwd=None):
        """Start a child that listens on nothing (a client, a helper)."""
        return self._spawn(name, argv, env, out, cwd)

    def _spawn(self, name, argv, env, out, cwd):
        if name in self.procs:
            self.stop(name)
        fh = open(out, 'ab') if out else subprocess.DEVNULL
        try:
            proc = subprocess.Popen(argv, env=env or os.environ, cwd=cwd,
                                    stdin=subprocess.DEVNULL, stdout=fh,
                                    stderr=subprocess.STDOUT if out else None,
                                    start_new_session=True)
        finally:
            if out:
                fh.close()
        self.procs[name] = proc
        return proc

    @staticmethod
    def _wait_ports(proc, ports, bound):
        def state():
            if proc.poll() is not None:
                return 'exited %s' % proc.returncode
            owners = [port_owner(p, proc.pid) for p in ports]
            if 'other' in owners:
                return 'port taken by another process'
            if all(o == 'ours' for o in owners):
                return 'ready'
            return None
        try:
            return wait_for('ports %s' % ports, state, bound)
        except Timeout as e:
            return str(e)

    def alive(self, name):
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def stop(self, name, bound=30):
        """SIGTERM to the server's session, SIGKILL after bound seconds;
        returns its exit status."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(bound)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        # What it left in its session (httpd's children) goes too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return proc.returncode

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


def exit_on_signals():
    """SIGTERM, SIGINT and SIGHUP end the run through SystemExit, so that
    finally blocks (stop_all) run."""
    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)


# ---- building -------------------------------------------------------------

def go_env(workdir, gopath_extra=''):
    """The environment for `go build` of a test program in GOPATH mode
    (nothing fetched: Debian's golang-* packages are under
    /usr/share/gocode, named by gopath_extra where needed).  Go's build
    cache is kept between runs where there is a home to keep it in, so
    the standard library is compiled once."""
    gopath = os.path.join(workdir, 'gopath')
    os.makedirs(gopath, exist_ok=True)
    cache = os.environ.get('GOCACHE') or os.path.expanduser(
        '~/.cache/go-build')
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError:
        cache = os.path.join(workdir, 'gocache')
    path = gopath + (':' + gopath_extra if gopath_extra else '')
    return dict(os.environ, GO111MODULE='off', GOPATH=path, GOFLAGS='',
                GOCACHE=cache)


# ---- logs ----------------------------------------------------------------

class Log:
    """A log file read as it grows, whole lines only."""

    def __init__(self, path, from_end=False):
        self.path = path
        self.offset = 0
        self.partial = b''
        if from_end and os.path.exists(path):
            self.offset = os.path.getsize(path)
        self.seen = []

    def read(self):
        """The lines written since the last read (without their LF)."""
        try:
            with open(self.path, 'rb') as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b'\n')
        self.partial = lines.pop()
        new = [ln.decode('utf-8', 'replace') for ln in lines]
        self.seen.extend(new)
        return new

    def wait_lines(self, count, what=None, bound=EVENT_BOUND, match=None):
        """Wait until the lines read so far (those match() takes, if
        given) number at least count; returns them all."""
        def test():
            self.read()
            lines = [ln for ln in self.seen if match is None or match(ln)]
            return lines if len(lines) >= count else None
        return wait_for(what or '%d lines in %s' % (count, self.path), test,
                        bound)

    def wait_line(self, match, what=None, bound=EVENT_BOUND):
        """Wait for a line match() takes; returns it."""
        return self.wait_lines(1, what, bound, match)[-1]


# ---- verdicts ------------------------------------------------------------

class Tally:
    """Verdicts of a run: passed, known (passes: a behaviour listed as
    known, shown exactly as described), skipped (with why), failed.  The
    last line printed is "N passed, N failed"."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = []
        self.failures = []

    def check(self, ok, what, detail=''):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(what)
            sys.stdout.write('%s: FAIL %s%s\n' % (self.name, what,
                                                 (': ' + detail) if detail
                                                 else ''))
        return ok

    def skip(self, what, why):
        self.skipped.append((what, why))
        sys.stdout.write('%s: skipped %s: %s\n' % (self.name, what, why))

    def summary(self):
        """Print the last line; the exit status the run should have."""
        sys.stdout.write('\n%d passed, %d failed\n' % (self.passed,
                                                       self.failed))
        return 1 if self.failed else 0


def markdown_table(head, rows):
    """A table in Markdown, as the runners print their results."""
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    out += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(out)
