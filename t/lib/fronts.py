"""The fronts of t/proxies and t/desync, each started one way: Debian's
apache2 as the origin (with the freshly built module or stock), and
haproxy, nginx, varnishd, traffic_server, squid, caddy, Go's
httputil.ReverseProxy, a Node http proxy and httpd's mod_proxy_http in
front of it, from the configurations in t/proxies/.

    sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
    import harness, fronts
    children = harness.Children()
    f = fronts.Fronts(children, workdir)
    origin = f.start_origin('module', conf, module=MODULE)
    ports = f.start('haproxy', {'module': origin, 'stock': other})

Every server is a child of the run (harness.Children: free ports of
127.0.0.1, ready when its own processes listen), with its configuration,
logs and runtime files in a folder of its own under the work directory
(one per instance: the same front may run twice with other settings),
never the system's services.  A front listens on one port per origin
("module", "stock") and sends what comes in on each to that origin's
port, as given: the origin itself, or a relay in front of it.

A configuration is a file of t/proxies with @KEY@ filled in: DIR (the
instance's folder), PORT_MODULE and PORT_STOCK (where the front listens),
ORIGIN_MODULE and ORIGIN_STOCK (where it sends), EXTRA (lines a variant
adds: empty unless the caller gives them).  Between "# fix:" and
"# end fix" is the configuration docs/proxies.md gives; fixed=False
leaves it out.
"""

import os
import pwd
import re
import shutil
import signal
import subprocess

import harness

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PROXIES = os.path.join(TOP, 't', 'proxies')
APACHE2 = os.environ.get('APACHE2', '/usr/sbin/apache2')

# The program each front runs, and the Debian package that gives it (its
# version is the front's, in the runners' reports).
PROGRAMS = {
    'haproxy': ('/usr/sbin/haproxy', 'haproxy'),
    'nginx': ('/usr/sbin/nginx', 'nginx'),
    'nginx-expect': ('/usr/sbin/nginx', 'nginx'),
    'varnish': ('/usr/sbin/varnishd', 'varnish'),
    'trafficserver': ('/usr/bin/traffic_server', 'trafficserver'),
    'squid': ('/usr/sbin/squid', 'squid'),
    'caddy': ('/usr/bin/caddy', 'caddy'),
    'go': ('/usr/bin/go', 'golang-go'),
    'node': ('/usr/bin/node', 'nodejs'),
    'httpd': (APACHE2, 'apache2'),
}
ORIGINS = ('module', 'stock')


def package_version(package):
    """The installed version of a Debian package, or None."""
    try:
        p = subprocess.run(['dpkg-query', '-W', '-f=${Version}', package],
                           capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return p.stdout.strip() or None if p.returncode == 0 else None


def release():
    """This system's name ("Debian GNU/Linux 12 (bookworm)")."""
    try:
        with open('/etc/os-release') as fh:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', fh.read(), re.M)
        return m.group(1) if m else 'this release'
    except OSError:
        return 'this release'


class Fronts:
    """Origins and fronts of one run, started through children."""

    def __init__(self, children, workdir, fixed=True):
        self.children = children
        self.workdir = workdir
        self.fixed = fixed
        self.root = os.geteuid() == 0
        self.instances = {}     # instance -> front

    # ---- files -----------------------------------------------------------

    def folder(self, instance):
        d = os.path.join(self.workdir, instance)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        return d

    def config(self, name, subst, dest, fixed=None, src=PROXIES):
        """The file src/name with @KEY@ filled in, written into dest (and
        without its "fix:" parts unless fixed); its path."""
        with open(os.path.join(src, name)) as fh:
            text = fh.read()
        if not (self.fixed if fixed is None else fixed):
            text = re.sub(r'(?ms)^[ \t]*# fix:\n.*?^[ \t]*# end fix\n', '',
                          text)
        for k, v in subst.items():
            text = text.replace('@%s@' % k, str(v))
        left = re.findall(r'@[A-Z_]+@', text)
        if left:
            raise ValueError('%s: nothing fills in %s' % (name, left[0]))
        path = os.path.join(dest, name)
        with open(path, 'w') as fh:
            fh.write(text)
        return path

    def access_log(self, instance):
        """The file where the front logs each request it took, or None."""
        front = self.instances.get(instance)
        d = os.path.join(self.workdir, instance)
        return {
            'haproxy': os.path.join(d, 'haproxy.log'),
            'nginx': os.path.join(d, 'access.log'),
            'nginx-expect': os.path.join(d, 'access.log'),
            'varnish': os.path.join(d, 'varnish.log'),
            'trafficserver': os.path.join(d, 'log', 'access.log'),
            'squid': os.path.join(d, 'access.log'),
            'caddy': os.path.join(d, 'access.log'),
        }.get(front)

    # ---- origins ---------------------------------------------------------

    def start_origin(self, name, conf, module=None, defines=()):
        """apache2 from conf (httpd.conf of t/proxies or t/desync), its
        files in the work directory named by name: with module loaded
        (-DPX_MODULE) or stock.  Returns its port."""
        args = [APACHE2, '-d', self.workdir, '-f', conf, '-DFOREGROUND']
        if module:
            args.append('-DPX_MODULE')
        if self.root:
            args.append('-DPX_ROOT')
        args += ['-D%s' % d for d in defines]

        # (A Define with a value defines the name for <IfDefine> too: the
        # stock origin gets no PX_MODULE.)
        if module:
            args += ['-C', 'Define PX_MODULE %s' % module]

        def argv(ports):
            return args + ['-C', 'Define PX_DIR %s' % self.workdir,
                           '-C', 'Define PX_PORT %d' % ports[0],
                           '-C', 'Define PX_NAME %s' % name]
        return self.children.start('apache2-' + name, argv)[0]

    def stop_origin(self, name, bound=harness.EVENT_BOUND):
        """Stop an origin gracefully (SIGWINCH): every request it took is
        answered and logged before it exits."""
        proc = self.children.procs.get('apache2-' + name)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGWINCH)
                harness.wait_for('apache2-%s to stop' % name,
                                 lambda: proc.poll() is not None, bound)
            except (ProcessLookupError, harness.Timeout):
                pass
        self.children.stop('apache2-' + name)

    # ---- fronts ----------------------------------------------------------

    def start(self, front, origins, instance=None, extra='', fixed=None,
              build=None):
        """Start front (a key of PROGRAMS) as instance (default: its own
        name) in front of origins ({'module': port, 'stock': port});
        extra goes where its configuration has @EXTRA@.  Returns
        {'module': port, 'stock': port}, where it listens for each."""
        instance = instance or front
        self.instances[instance] = front
        d = self.folder(instance)
        fixed = self.fixed if fixed is None else fixed
        subst = {'DIR': d, 'ORIGIN_MODULE': origins['module'],
                 'ORIGIN_STOCK': origins['stock'], 'EXTRA': extra}
        start = getattr(self, '_' + front.replace('-', '_'))
        ports = start(instance, d, subst, fixed, build)
        return dict(zip(ORIGINS, ports))

    def _subst(self, subst, ports):
        return dict(subst, PORT_MODULE=ports[0], PORT_STOCK=ports[1])

    def _haproxy(self, instance, d, subst, fixed, build):
        def argv(ports):
            cfg = self.config('haproxy.cfg', self._subst(subst, ports), d,
                              fixed)
            return ['/usr/sbin/haproxy', '-db', '-f', cfg]
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'haproxy.log'))

    def _nginx(self, instance, d, subst, fixed, build, conf='nginx.conf'):
        for sub in ('body', 'proxy'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            os.chmod(os.path.join(d, sub), 0o777)

        def argv(ports):
            cfg = self.config(conf, self._subst(subst, ports), d, fixed)
            return ['/usr/sbin/nginx', '-p', d, '-c', cfg, '-e',
                    os.path.join(d, 'error.log')]
        return self.children.start(instance, argv, 2)

    def _nginx_expect(self, instance, d, subst, fixed, build):
        return self._nginx(instance, d, subst, fixed, build,
                           'nginx-expect.conf')

    def _varnish(self, instance, d, subst, fixed, build):
        cfg = self.config('varnish.vcl', subst, d, fixed)

        def argv(ports):
            args = ['/usr/sbin/varnishd', '-F', '-n', os.path.join(d, 'n'),
                    '-f', cfg,
                    '-a', 'module=127.0.0.1:%d' % ports[0],
                    '-a', 'stock=127.0.0.1:%d' % ports[1],
                    '-T', 'none', '-s', 'malloc,32m',
                    '-p', 'thread_pool_min=5', '-p', 'thread_pools=1',
                    # Idle backend connections end before the origins'
                    # KeepAliveTimeout (5 s), as nginx.conf's do.
                    '-p', 'backend_idle_timeout=4']
            if not self.root:
                args += ['-j', 'none']
            return args
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'varnish.log'))

    def _trafficserver(self, instance, d, subst, fixed, build):
        """traffic_server with a runroot of its own: configuration, logs
        and runtime files in its folder, the program and its plugins from
        the package."""
        etc = os.path.join(d, 'etc')
        os.makedirs(etc, exist_ok=True)
        for sub in ('run', 'log', 'cache'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            if self.root:
                shutil.chown(os.path.join(d, sub), 'nobody')
        if not os.path.isdir(os.path.join(etc, 'body_factory')):
            shutil.copytree('/etc/trafficserver/body_factory',
                            os.path.join(etc, 'body_factory'))
        user = 'nobody' if self.root else \
            pwd.getpwuid(os.geteuid()).pw_name
        # The package's access and TLS defaults; the rest empty.
        for name in ('ip_allow.yaml', 'sni.yaml', 'strategies.yaml'):
            shutil.copy(os.path.join('/etc/trafficserver', name), etc)
        for name in ('storage.config', 'cache.config', 'hosting.config',
                     'volume.config', 'parent.config',
                     'ssl_multicert.config', 'splitdns.config',
                     'socks.config'):
            open(os.path.join(etc, name), 'w').close()
        layout = {'prefix': '/usr', 'exec_prefix': '/usr',
                  'bindir': '/usr/bin', 'sbindir': '/usr/sbin',
                  'includedir': '/usr/include',
                  'libdir': '/usr/lib/trafficserver',
                  'libexecdir': '/usr/lib/trafficserver/modules',
                  'sysconfdir': etc, 'datadir': os.path.join(d, 'cache'),
                  'localstatedir': os.path.join(d, 'run'),
                  'runtimedir': os.path.join(d, 'run'),
                  'logdir': os.path.join(d, 'log'),
                  'cachedir': os.path.join(d, 'cache')}
        runroot = os.path.join(d, 'runroot.yaml')
        with open(runroot, 'w') as fh:
            fh.writelines('%s: %s\n' % kv for kv in layout.items())

        def argv(ports):
            s = dict(self._subst(subst, ports), USER=user)
            for src, dst in (('trafficserver.records', 'records.config'),
                             ('trafficserver.remap', 'remap.config'),
                             ('trafficserver.plugin', 'plugin.config'),
                             ('trafficserver-close.conf',
                              'expect-close.conf'),
                             ('trafficserver.logging', 'logging.yaml')):
                os.replace(self.config(src, s, d, fixed),
                           os.path.join(etc, dst))
            return ['/usr/bin/traffic_server', '--run-root=' + runroot]
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'out.log'))

    def _squid(self, instance, d, subst, fixed, build):
        if self.root:
            shutil.chown(d, 'nobody')

        def argv(ports):
            cfg = self.config('squid.conf', dict(
                self._subst(subst, ports),
                USER_LINE='cache_effective_user nobody' if self.root
                else ''), d, fixed)
            # -n: a service name of its own, so that two Squids on one
            # machine share nothing.
            return ['/usr/sbin/squid', '-N', '-n', 'px%d' % ports[0], '-f',
                    cfg]
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'out.log'))

    def _caddy(self, instance, d, subst, fixed, build):
        env = dict(os.environ, HOME=d,
                   XDG_CONFIG_HOME=os.path.join(d, 'config'),
                   XDG_DATA_HOME=os.path.join(d, 'data'))

        def argv(ports):
            cfg = self.config('Caddyfile', self._subst(subst, ports), d,
                              fixed)
            return ['/usr/bin/caddy', 'run', '--adapter', 'caddyfile',
                    '--config', cfg]
        return self.children.start(instance, argv, 2, env=env,
                                   out=os.path.join(d, 'out.log'))

    def _go(self, instance, d, subst, fixed, build):
        """Go's httputil.ReverseProxy (t/proxies/goproxy.go), built with
        Debian's Go in GOPATH mode: nothing fetched."""
        exe = build or build_go(self.workdir)

        def argv(ports):
            return [exe] + ['127.0.0.1:%d=127.0.0.1:%s'
                            % (p, subst['ORIGIN_' + o.upper()])
                            for p, o in zip(ports, ORIGINS)]
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'out.log'))

    def _node(self, instance, d, subst, fixed, build):
        """A Node http proxy (t/proxies/nodeproxy.js), no npm package."""
        def argv(ports):
            return ['/usr/bin/node', os.path.join(PROXIES, 'nodeproxy.js')] \
                + ['%d=%s' % (p, subst['ORIGIN_' + o.upper()])
                   for p, o in zip(ports, ORIGINS)]
        return self.children.start(instance, argv, 2,
                                   out=os.path.join(d, 'out.log'))

    def _httpd(self, instance, d, subst, fixed, build):
        """httpd's mod_proxy_http (t/proxies/httpd-front.conf), stock:
        the module is not loaded there.  extra is Proxy100Continue's
        value."""
        def argv(ports):
            return [APACHE2, '-d', d, '-f',
                    os.path.join(PROXIES, 'httpd-front.conf'),
                    '-DFOREGROUND'] + (['-DPX_ROOT'] if self.root else []) + \
                ['-C', 'Define PX_DIR %s' % d,
                 '-C', 'Define PX_PORT_MODULE %d' % ports[0],
                 '-C', 'Define PX_PORT_STOCK %d' % ports[1],
                 '-C', 'Define PX_ORIGIN_MODULE %s' % subst['ORIGIN_MODULE'],
                 '-C', 'Define PX_ORIGIN_STOCK %s' % subst['ORIGIN_STOCK'],
                 '-C', 'Define PX_CONTINUE %s' % (subst['EXTRA'] or 'On')]
        return self.children.start(instance, argv, 2)


def build_go(workdir):
    """t/proxies/goproxy.go built into workdir (once); its path."""
    exe = os.path.join(workdir, 'goproxy')
    if os.path.exists(exe):
        return exe
    env = harness.go_env(workdir)
    subprocess.run(['go', 'build', '-o', exe,
                    os.path.join(PROXIES, 'goproxy.go')], env=env,
                   check=True)
    return exe
