#!/usr/bin/python3
"""mod_expect's counters scraped by a real Prometheus, across a fleet.

    python3 t/prometheus/run.py             (make -f Makefile.apxs prometheus)
    python3 t/prometheus/run.py --plot OUT.png
                                            (make -f Makefile.apxs prometheus-plot)

Starts, each a child process with its own files in a directory of its own
under /tmp, on free ports of 127.0.0.1 (t/lib/harness.py: ready once its
own processes listen; nothing of the system's services is used or
touched):

  - two servers, "a" and "b": Debian's apache2 with the freshly built
    module, from t/prometheus/httpd.conf, the counters at /metrics
    (SetHandler expect-metrics) and /server-status?auto;
  - Debian's prometheus, scraping both every second, with the alert rules
    of docs/status.md loaded;
  - Debian's prometheus-apache-exporter, reading server a's ?auto.

Then sends known traffic, from clients that wait for the 100 as careful
ones do: to a, 7 uploads refused with 417, 2 met at once and 18 whose 100
waits PM_SLOW_MS (300) ms for a slow fixup (slow.lua); to b, 5 refused, 1
at once and 9 slow.  And checks, each line "ok" or "not ok":

  - every expect-metrics output passes promtool check metrics (the text
    format), and Prometheus scrapes both servers (up is 1) in OpenMetrics,
    which it asks for first: its own parser accepts that format too;
  - through Prometheus's HTTP API, sum(apache_expect_requests_total
    {outcome="rejected"}) is 12, what was refused across both, and equals
    the sum of the servers' ExpectRejected lines;
  - histogram_quantile(0.9, ...) over both servers lies in the bucket the
    traffic put it in (0.25 s to 0.5 s: 27 of the 30 waits took 300 ms)
    and is the quantile of the buckets the servers report;
  - the alert rules of docs/status.md pass promtool check rules, and
    Prometheus loads and evaluates them without error;
  - the exporter serves apache_* metrics from ?auto, and none from its
    Expect* lines (it reads fixed keys): so docs/status.md's advice to
    scrape expect-metrics is measured, not assumed.

With --plot, the traffic runs for PLOT_SECONDS (120) instead, in phases,
and the graphs a dashboard would show are drawn from Prometheus's
query_range API with gnuplot into OUT.png (docs/prometheus.png).

The last line is "N passed, N failed"; the exit status is 1 on any
failure.  KEEP=1 keeps the directory.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True     # no __pycache__ in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
import harness  # noqa: E402

APACHE2 = os.environ.get('APACHE2', '/usr/sbin/apache2')
MODULE = os.environ.get('MODULE', os.path.join(TOP, '.libs', 'mod_expect.so'))
PROMETHEUS = '/usr/bin/prometheus'
PROMTOOL = '/usr/bin/promtool'
EXPORTER = '/usr/bin/prometheus-apache-exporter'
SLOW_MS = 300
# server: (refused, met at once, slow)
TRAFFIC = {'a': (7, 2, 18), 'b': (5, 1, 9)}

# The pause between two rounds of the plot's traffic: its rhythm, what
# the graphs show, not a wait for something to happen.
PLOT_PAUSE = 0.25

results = []
children = harness.Children()


def check(ok, what, detail=''):
    results.append(bool(ok))
    print('%s - %s%s' % ('ok' if ok else 'not ok', what,
                         '' if ok or not detail else ': ' + str(detail)))
    sys.stdout.flush()


def http_get(url, headers=None, timeout=10):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as res:
        return res.status, dict(res.headers), res.read().decode()


def read_status(s, buf):
    """Reads on from buf to the end of a response head; its status and
    what follows it, or None at EOF."""
    while b'\r\n\r\n' not in buf:
        chunk = s.recv(4096)
        if not chunk:
            return None, buf
        buf += chunk
    return int(buf.split(b' ', 2)[1]), buf.split(b'\r\n\r\n', 1)[1]


def upload(port, path, body=b'hello'):
    """A careful client: the head, the 100 awaited, then the body.  The
    final status, or 'none'."""
    s = socket.create_connection(('127.0.0.1', port), 10)
    s.settimeout(10)
    try:
        s.sendall(('POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                   'Expect: 100-continue\r\nContent-Length: %d\r\n'
                   'Connection: close\r\n\r\n' % (path, len(body))).encode())
        status, rest = read_status(s, b'')
        if status == 100:
            s.sendall(body)
            status, rest = read_status(s, rest)
        return 'none' if status is None else status
    except (OSError, ValueError, IndexError):
        return 'none'
    finally:
        s.close()


def run_parallel(jobs, width=8):
    """Run (port, path) uploads, width at a time; their statuses."""
    out = [None] * len(jobs)
    lock = threading.Lock()
    todo = list(enumerate(jobs))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i, (port, path) = todo.pop()
            out[i] = upload(port, path)

    threads = [threading.Thread(target=worker) for _ in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def alert_rules():
    """The first ```yaml block of docs/status.md that holds "groups:"."""
    with open(os.path.join(TOP, 'docs', 'status.md')) as f:
        text = f.read()
    for block in re.findall(r'```yaml\n(.*?)```', text, re.S):
        if block.lstrip().startswith('groups:'):
            return block
    return None


def promql(port, query):
    url = 'http://127.0.0.1:%d/api/v1/query?%s' % (
        port, urllib.parse.urlencode({'query': query}))
    _, _, body = http_get(url)
    data = json.loads(body)
    if data.get('status') != 'success':
        raise RuntimeError(body)
    return data['data']['result']


def scalar(port, query):
    r = promql(port, query)
    return float(r[0]['value'][1]) if r else None


def wait_for(what, test, bound=harness.EVENT_BOUND):
    """What test() gives once it is true (Prometheus has scraped, or
    evaluated, what it needs), polled through harness.wait_for; after
    bound seconds, its last answer or the error it raised, which the
    check then shows."""
    last = [None]

    def attempt():
        try:
            last[0] = test()
        except (OSError, RuntimeError, ValueError) as e:
            last[0] = e
            return None
        return last[0]
    try:
        return harness.wait_for(what, attempt, bound)
    except harness.Timeout:
        return last[0]


def auto(port):
    _, _, body = http_get('http://127.0.0.1:%d/server-status?auto' % port)
    return dict(re.findall(r'^(Expect\w[^:\n]*): (\d+)$', body, re.M))


def buckets(body):
    """The cumulative buckets of a text exposition, over both protocols:
    le -> count."""
    out = {}
    for le, n in re.findall(r'^apache_expect_continue_delay_seconds_bucket'
                            r'\{protocol="[^"]+",le="([^"]+)"\} (\d+)$',
                            body, re.M):
        out[le] = out.get(le, 0) + int(n)
    return out


def quantile(q, cumulative):
    """histogram_quantile as Prometheus computes it, for one histogram."""
    bounds = sorted(((float('inf') if le == '+Inf' else float(le)), n)
                    for le, n in cumulative.items())
    total = bounds[-1][1]
    if total == 0:
        return None
    rank = q * total
    lower, below = 0.0, 0
    for upper, n in bounds:
        if n >= rank:
            if upper == float('inf'):
                return lower
            return lower + (upper - lower) * (rank - below) / (n - below)
        lower, below = upper, n
    return None


def main():
    plot = None
    if len(sys.argv) > 2 and sys.argv[1] == '--plot':
        plot = os.path.abspath(sys.argv[2])
    for tool in (APACHE2, PROMETHEUS, PROMTOOL, EXPORTER):
        if not os.access(tool, os.X_OK):
            print('%s is missing (Debian: apache2, prometheus, '
                  'prometheus-apache-exporter)' % tool)
            return 1
    if not os.path.exists(MODULE):
        print('%s is missing: build the module first' % MODULE)
        return 1

    root = os.getuid() == 0
    d = tempfile.mkdtemp(prefix='mod_expect-prometheus.')
    os.chmod(d, 0o755)
    shutil.copy(os.path.join(HERE, 'slow.lua'), d)
    servers = {}
    for name in ('a', 'b'):
        env = dict(os.environ, PM_DIR=d, PM_NAME=name, PM_MODULE=MODULE,
                   PM_SLOW_MS=str(SLOW_MS))
        servers[name] = {'env': env,
                         'defines': ['-DPM_ROOT'] if root else []}

    harness.exit_on_signals()
    try:
        return run(d, servers, plot)
    finally:
        children.stop_all()
        if os.environ.get('KEEP'):
            print('kept', d)
        else:
            shutil.rmtree(d, ignore_errors=True)


def start(name, what, make_argv, env=None, out=None):
    """Start a daemon through harness.Children, ready once its own
    processes listen on its port; the port, or None (the check says why)."""
    try:
        port = children.start(name, make_argv, env=env, out=out)[0]
    except harness.StartError as e:
        check(False, '%s started' % what, e)
        return None
    check(True, '%s started on 127.0.0.1:%d' % (what, port))
    return port


def summary():
    print('%d passed, %d failed' % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


def run(d, servers, plot):
    conf = os.path.join(HERE, 'httpd.conf')
    for name, s in servers.items():
        # httpd.conf's ${PM_PORT}: a Define, so that each try of a port
        # has its own.
        s['port'] = start('apache2-' + name, 'server %s' % name,
                          lambda ports, s=s: [
                              APACHE2, '-f', conf, '-DFOREGROUND']
                          + s['defines']
                          + ['-C', 'Define PM_PORT %d' % ports[0]],
                          env=s['env'])
        if s['port'] is None:
            return summary()

    # The alert rules, as docs/status.md gives them.
    rules = alert_rules()
    rules_file = os.path.join(d, 'expect-rules.yml')
    with open(rules_file, 'w') as f:
        f.write(rules or '')
    out = subprocess.run([PROMTOOL, 'check', 'rules', rules_file],
                         capture_output=True, text=True)
    check(rules and out.returncode == 0,
          'promtool check rules: the alert rules of docs/status.md',
          out.stdout + out.stderr)

    with open(os.path.join(d, 'prometheus.yml'), 'w') as f:
        f.write('global:\n'
                '  scrape_interval: 1s\n'
                '  evaluation_interval: 1s\n'
                'rule_files:\n'
                '  - %s\n'
                'scrape_configs:\n'
                '  - job_name: apache\n'
                '    metrics_path: /metrics\n'
                '    static_configs:\n'
                '      - targets: [%s]\n'
                % (rules_file, ', '.join('"127.0.0.1:%d"' % s['port']
                                         for s in servers.values())))
    prom_port = start(
        'prometheus', 'prometheus',
        lambda ports: [PROMETHEUS,
                       '--config.file=' + os.path.join(d, 'prometheus.yml'),
                       '--storage.tsdb.path=' + os.path.join(d, 'data'),
                       '--web.listen-address=127.0.0.1:%d' % ports[0]],
        out=os.path.join(d, 'prometheus.log'))
    if prom_port is None:
        return summary()

    help_text = subprocess.run([EXPORTER, '--help'], capture_output=True,
                               text=True)
    listen_flag = ('--web.listen-address'
                   if '--web.listen-address' in help_text.stdout + help_text.stderr
                   else '--telemetry.address')
    a = servers['a']
    exporter_port = start(
        'exporter', 'prometheus-apache-exporter',
        lambda ports: [EXPORTER,
                       '--scrape_uri=http://127.0.0.1:%d/server-status?auto'
                       % a['port'],
                       '%s=127.0.0.1:%d' % (listen_flag, ports[0])],
        out=os.path.join(d, 'exporter.log'))
    if exporter_port is None:
        return summary()

    if plot:
        return plot_run(d, servers, prom_port, plot)

    # ---- the traffic ----
    jobs = []
    for name, (refused, fast, slow) in TRAFFIC.items():
        port = servers[name]['port']
        jobs += [(port, '/strict')] * refused + [(port, '/fast')] * fast \
            + [(port, '/slow')] * slow
    statuses = run_parallel(jobs)
    want = []
    for name, (refused, fast, slow) in TRAFFIC.items():
        want += [417] * refused + [200] * (fast + slow)
    check(statuses == want, 'the traffic was answered as sent '
          '(417 for /strict, 200 after a 100 for the others)', statuses)
    refused_total = sum(t[0] for t in TRAFFIC.values())

    # ---- each server's own outputs ----
    truth = {}
    for name, s in servers.items():
        base = 'http://127.0.0.1:%d' % s['port']
        _, headers, text = http_get(base + '/metrics')
        truth[name] = text
        check(headers.get('Content-Type', '').startswith('text/plain; version=0.0.4'),
              'server %s: /metrics in the text format by default' % name)
        out = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text,
                             capture_output=True, text=True)
        check(out.returncode == 0 and not out.stdout.strip(),
              'server %s: promtool check metrics passes' % name,
              out.stdout + out.stderr)
    rejected_auto = sum(int(auto(s['port'])['ExpectRejected'])
                        for s in servers.values())
    check(rejected_auto == refused_total,
          '?auto: ExpectRejected adds up to the %d refused' % refused_total,
          rejected_auto)

    # ---- through Prometheus ----
    up = wait_for('up', lambda: (scalar(prom_port, 'sum(up{job="apache"})') == 2))
    check(up is True, 'prometheus scrapes both servers (sum(up) is 2)', up)
    q_rej = 'sum(apache_expect_requests_total{outcome="rejected"})'
    got = wait_for('rejected',
                   lambda: scalar(prom_port, q_rej) == refused_total
                   and scalar(prom_port, q_rej))
    check(got == refused_total, '%s is %d, what was refused across both'
          % (q_rej, refused_total), got)
    n_sent = sum(t[1] + t[2] for t in TRAFFIC.values())
    wait_for('count', lambda: scalar(
        prom_port, 'sum(apache_expect_continue_delay_seconds_count)') == n_sent)
    q90 = ('histogram_quantile(0.9, sum by (le) '
           '(apache_expect_continue_delay_seconds_bucket))')
    p90 = scalar(prom_port, q90)
    check(p90 is not None and 0.25 < p90 <= 0.5,
          '%s lies in the bucket the slow uploads are in (0.25 s, 0.5 s]'
          % q90, p90)
    fleet = {}
    for text in truth.values():
        for le, n in buckets(text).items():
            fleet[le] = fleet.get(le, 0) + n
    mine = quantile(0.9, fleet)
    check(p90 is not None and mine is not None and abs(p90 - mine) < 1e-9,
          "... and equals the quantile of the servers' own buckets",
          '%s vs %s' % (p90, mine))
    p50 = scalar(prom_port, q90.replace('0.9', '0.5'))
    check(p50 is not None and 0.25 < p50 <= 0.5 and p50 < p90,
          'the median is in the same bucket, below the 90th percentile', p50)

    # Prometheus asked for OpenMetrics first, and got it: up is 1 only if
    # its parser took what it got.
    om = 0
    for name in servers:
        with open(os.path.join(d, 'access_log-%s' % name)) as f:
            for line in f:
                # The log has the type without its parameters; t/metrics.t
                # checks the whole field.
                if line.startswith('200 /metrics "application/openmetrics-text') \
                        and line.rstrip().endswith('"application/openmetrics-text"'):
                    om += 1
    check(om >= 2, 'the scrapes were in OpenMetrics (%d of them)' % om)
    _, _, body = http_get('http://127.0.0.1:%d/api/v1/targets' % prom_port)
    targets = json.loads(body)['data']['activeTargets']
    bad = [(t['scrapeUrl'], t['health'], t['lastError']) for t in targets
           if t['health'] != 'up' or t['lastError']]
    check(len(targets) == 2 and not bad,
          'both targets up, with no scrape error', bad)

    # The rules: loaded, evaluated, no error.
    def rules_ok():
        _, _, body = http_get('http://127.0.0.1:%d/api/v1/rules' % prom_port)
        groups = json.loads(body)['data']['groups']
        rs = [r for g in groups for r in g['rules']]
        return rs and all(r.get('health') == 'ok' for r in rs) and len(rs)
    n_rules = wait_for('rules', rules_ok)
    check(isinstance(n_rules, int) and n_rules > 0,
          'prometheus evaluates the %s alert rules without error' % n_rules,
          n_rules)

    # ---- Debian's exporter ----
    _, _, exported = http_get('http://127.0.0.1:%d/metrics' % exporter_port)
    ok_up = re.search(r'^apache_up 1$', exported, re.M)
    check(ok_up, "prometheus-apache-exporter reads server a's ?auto "
          '(apache_up 1)')
    a_lines = auto(servers['a']['port'])
    expect_like = [l for l in exported.splitlines()
                   if not l.startswith('#') and re.search('expect', l, re.I)]
    check(a_lines and not expect_like,
          'it exports none of the %d Expect* lines of ?auto' % len(a_lines),
          expect_like[:3])
    return summary()


def plot_run(d, servers, prom_port, out):
    """Traffic in phases, then the dashboard's graphs into out."""
    seconds = int(os.environ.get('PLOT_SECONDS', '120'))
    phase = seconds / 4.0
    start_t = time.time()
    a, b = servers['a']['port'], servers['b']['port']
    # 1: a few uploads, all met at once; 2: b's handler slow; 3: a burst of
    # refusals (a release that refuses an expectation); 4: back to 1.
    while time.time() - start_t < seconds:
        t = time.time() - start_t
        jobs = [(a, '/fast'), (b, '/fast')]
        if phase <= t < 2 * phase:
            jobs += [(b, '/slow')] * 3
        if 2 * phase <= t < 3 * phase:
            jobs += [(a, '/strict')] * 4 + [(b, '/strict')] * 2
        run_parallel(jobs)
        time.sleep(PLOT_PAUSE)
    # The graphs end once Prometheus has scraped both servers after the
    # last upload: their last points hold all of the traffic.
    traffic_end = time.time()
    q = 'count(timestamp(up{job="apache"}) > %.3f)' % traffic_end
    if wait_for('a scrape after the traffic',
                lambda: scalar(prom_port, q) == 2) is not True:
        check(False, 'prometheus scraped both servers after the traffic')
    end_t = time.time()

    def series(query):
        url = 'http://127.0.0.1:%d/api/v1/query_range?%s' % (
            prom_port, urllib.parse.urlencode({
                'query': query, 'start': start_t, 'end': end_t, 'step': 1}))
        _, _, body = http_get(url)
        return json.loads(body)['data']['result']

    data = {}
    data['p90'] = series('histogram_quantile(0.9, sum by (le, instance) '
                         '(rate(apache_expect_continue_delay_seconds_bucket[10s])))')
    data['refused'] = series('sum by (instance) (rate(apache_expect_requests_total'
                             '{outcome="rejected"}[10s]))')
    files = []
    for key, res in data.items():
        for r in res:
            inst = r['metric'].get('instance', 'fleet')
            name = 'b' if inst.endswith(':%d' % b) else 'a'
            path = os.path.join(d, '%s-%s.dat' % (key, name))
            with open(path, 'w') as f:
                for ts, v in r['values']:
                    if v not in ('NaN', '+Inf', '-Inf'):
                        f.write('%.0f %s\n' % (float(ts) - start_t, v))
            files.append((key, name, path))
    script = os.path.join(d, 'plot.gp')
    q90 = ('histogram_quantile(0.9, sum by (le, instance) '
           '(rate(apache_expect_continue_delay_seconds_bucket[10s])))')
    qrej = ('sum by (instance) (rate(apache_expect_requests_total'
            '{outcome=\\"rejected\\"}[10s]))')
    with open(script, 'w') as f:
        f.write('set terminal pngcairo noenhanced size 1000,640 '
                'font "DejaVu Sans,9"\n'
                'set output "%s"\n'
                'set multiplot layout 2,1 title "mod_expect in Prometheus: '
                'two apache2 servers scraped every second (make prometheus-plot)"\n'
                'set grid\nset key top left\nset xrange [0:%d]\n'
                'set format y "%%g"\n' % (out, seconds))
        f.write('set title "wait for the 100, 90th percentile per server\\n%s"\n'
                'set ylabel "seconds"\nset logscale y\n' % q90)
        p = ['"%s" using 1:2 with lines lw 2 title "server %s"' % (path, n)
             for k, n, path in sorted(files) if k == 'p90']
        f.write('plot ' + ', '.join(p or ['NaN notitle']) + '\n')
        f.write('unset logscale y\n'
                'set title "refusals (417) per second, per server\\n%s"\n'
                'set ylabel "417/s"\nset xlabel "seconds into the run"\n'
                % qrej)
        p = ['"%s" using 1:2 with lines lw 2 title "server %s"' % (path, n)
             for k, n, path in sorted(files) if k == 'refused']
        f.write('plot ' + ', '.join(p or ['NaN notitle']) + '\n'
                'unset multiplot\n')
    rc = subprocess.call(['gnuplot', script])
    check(rc == 0 and os.path.exists(out), 'the graphs drawn into %s' % out)
    return summary()


if __name__ == '__main__':
    sys.exit(main())
