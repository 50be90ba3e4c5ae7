"""The real client programs of t/interop/clients (curl, PHP, Go, Java, Node,
botocore), as t/interop and t/proxies run them, and the origins' access
logs read back.

    sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
    import clients
    cmds = clients.build(['curl', 'go'], workdir, 'interop')
    got = clients.run(cmds['go'], 'http://127.0.0.1:8080', 'h1', cases,
                      bound=5, who='interop')

A case is a dict with at least 'id', 'scope', 'size' and 'expect': the
client sends a body of size bytes to BASE/<scope>/b/<id> with that Expect
("auto": curl adds 100-continue itself), and reports one line per case:
its status, whether it saw a 100, the time it took, the X-Run header of
the answer (the case the origin's CGI script says it answered) and its
error.  What each client program does is in its own file.
"""

import os
import signal
import subprocess
import sys
import time

import harness

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SOURCES = os.path.join(TOP, 't', 'interop', 'clients')


def build(names, workdir, who):
    """The command line of each client in names, compiling the Go and Java
    ones into workdir first (who names the runner in what is printed)."""
    out = {}
    if 'go' in names:
        env = harness.go_env(workdir, '/usr/share/gocode')
        exe = os.path.join(workdir, 'goclient')
        t = time.monotonic()
        subprocess.run(['go', 'build', '-o', exe,
                        os.path.join(SOURCES, 'goclient.go')],
                       env=env, check=True)
        print('%s: go client built in %.1f s' % (who, time.monotonic() - t))
        out['go'] = [exe]
    if 'java' in names:
        classes = os.path.join(workdir, 'classes')
        t = time.monotonic()
        subprocess.run(['javac', '-d', classes,
                        os.path.join(SOURCES, 'JavaClient.java')], check=True)
        print('%s: java client built in %.1f s' % (who,
                                                   time.monotonic() - t))
        out['java'] = ['java', '-cp', classes, 'JavaClient']
    out['curl'] = ['/bin/sh', os.path.join(SOURCES, 'curl.sh')]
    out['php'] = ['php', os.path.join(SOURCES, 'client.php')]
    out['node'] = ['node', os.path.join(SOURCES, 'client.js')]
    out['botocore'] = ['/usr/bin/python3', os.path.join(SOURCES, 'boto.py')]
    return out


def run(cmd, base, proto, cases, bound, who):
    """Run one client program over its cases against base, over proto
    ('h1', 'h2', or 'front': HTTP/1.1 to a front), each request given
    bound seconds; its report by case id: {'status', 'saw100', 'ms',
    'xrun', 'error'}.  A client that runs past its cases' bounds is
    stopped, and what it reported stands."""
    lines = ''.join('%s\t%s/%s/b/%s\t%d\t%s\n'
                    % (c['id'], base, c['scope'], c['id'], c['size'],
                       c['expect']) for c in cases)
    limit = len(cases) * (bound + 2) + 30
    # Through the front the client speaks HTTP/1.1 as usual.
    proto = 'h1' if proto == 'front' else proto
    env = dict(os.environ, CLIENT_BOUND=str(bound), IOP_PROTO=proto,
               IOP_BASE=base)
    # In a process group of its own, so that what it runs (curl, the JVM's
    # threads) is stopped with it.
    p = subprocess.Popen(cmd + [proto], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True, start_new_session=True)
    try:
        out, err = p.communicate(lines, timeout=limit)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        err += '\nthe client ran past %d s and was stopped' % limit
        rc = -1
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    got = {}
    ids = {c['id'] for c in cases}
    for line in out.splitlines():
        f = line.split('\t')
        if len(f) >= 6 and f[0] in ids:
            got[f[0]] = {'status': int(f[1]) if f[1].isdigit() else 0,
                         'saw100': f[2], 'ms': float(f[3]), 'xrun': f[4],
                         'error': f[5] if len(f) > 5 else ''}
    if rc != 0 or len(got) != len(cases):
        sys.stderr.write('%s: %s %s exited %s\n%s\n'
                         % (who, cmd[-1], proto, rc, err[-3000:]))
    return got


# Fields of an access log whose value is a count: read as an int (0 where
# the log has "-").
COUNTS = ('k', 'status')


def access_entries(lines, fields):
    """The lines of a tab-separated access log (harness.Log gives them), one
    dict each with the names in fields and 'raw', the line; a line with
    fewer fields has only 'raw', 'path' (empty) and 'status' (0)."""
    entries = []
    for line in lines:
        f = line.split('\t')
        if len(f) < len(fields):
            entries.append({'raw': line, 'path': '', 'status': 0})
            continue
        e = {'raw': line}
        for name, value in zip(fields, f):
            e[name] = (int(value) if value.isdigit() else 0) \
                if name in COUNTS else value
        entries.append(e)
    return entries
