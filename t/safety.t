# The safety net: a request whose field mod_expect gave back but that
# httpd's core refused (417) before header_parser is counted as
# ExpectUnjudged and logged once, naming the likely cause.  It takes a
# core that checks Expect after the post_read_request hooks (before
# 2.4.49) and that has ap_check_request_header() all the same, as a vendor
# build with part of a backport might: the module then takes it for a core
# that checks first and gives the field back early.  Such a build is made
# here by preloading a library that defines the function (the module asks
# the running httpd with dlsym; core never calls it).  The test starts an
# httpd of its own for that, twice: with the library, and without it as
# the control.  On a core that checks first it has nothing to show.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp ();
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);

my $httpd = Apache::Test::vars('httpd');
my ($version) = `$httpd -v` =~ m{Apache/(\d+\.\d+\.\d+)};
plan skip_all => "httpd $version checks Expect before post_read_request"
    unless $version && version_lt($version, '2.4.49');
plan tests => 12;

sub version_lt {
    my @a = split /\./, shift;
    my @b = split /\./, shift;
    for (0 .. 2) { return $a[$_] < $b[$_] if $a[$_] != $b[$_] }
    return 0;
}

my $dir = File::Temp::tempdir(CLEANUP => 1);
my $mods = $ENV{EXPECT_LIBEXECDIR} or die "EXPECT_LIBEXECDIR is not set";
my $module = Apache::Test::vars('serverroot') . '/../.libs/mod_expect.so';
my $port = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "no free port: $!";
    $s->sockport;
};

# The stand-in for a backported ap_check_request_header().
open my $c, '>', "$dir/backport.c" or die $!;
print $c "int ap_check_request_header(void *r) { (void)r; return 1; }\n";
close $c;
system($ENV{CC} || 'cc', '-shared', '-fPIC', '-o', "$dir/backport.so",
       "$dir/backport.c") == 0 or die "cannot build the preload library";

my $load = join '', map { my ($name, $file) = @$_;
    "<IfModule !$name>\n    LoadModule $name $mods/$file\n</IfModule>\n" }
    [ mpm_event_module => 'mod_mpm_event.so' ],
    [ unixd_module => 'mod_unixd.so' ],
    [ authz_core_module => 'mod_authz_core.so' ],
    [ status_module => 'mod_status.so' ],
    [ reflector_module => 'mod_reflector.so' ];
open my $f, '>', "$dir/httpd.conf" or die $!;
print $f <<"CONF";
ServerRoot "$dir"
Listen 127.0.0.1:$port
ServerName 127.0.0.1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel info
DefaultRunTimeDir "$dir"
Mutex file:$dir default
DocumentRoot "$dir"
StartServers 1
$load
LoadModule expect_module $module
<Location /x>
    SetHandler reflector
    ExpectAllow 100-continue x-foo
</Location>
<Location /none>
    SetHandler reflector
    ExpectAllow none
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
CONF
close $f;

my $running = 0;
END { stop() if $running }

sub start {
    my %env = @_;
    unlink "$dir/error_log";
    local @ENV{keys %env} = values %env;
    system($httpd, '-d', $dir, '-f', "$dir/httpd.conf", '-k', 'start') == 0
        or die "httpd did not start";
    $running = 1;
    my $deadline = time + 60;       # a bound for a loaded machine
    while (time < $deadline) {
        return if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        sleep 0.05;
    }
    die "httpd is not listening on $port";
}

sub stop {
    system($httpd, '-d', $dir, '-f', "$dir/httpd.conf", '-k', 'stop');
    my $deadline = time + 60;
    while (time < $deadline) { last unless -e "$dir/httpd.pid"; sleep 0.05 }
    $running = 0;
}

# One request on a connection of its own: (status, body).
sub post {
    my ($path, $expect, $method) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 5) or die "connect: $!";
    print $s ($method // 'POST') . " $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           . ($expect ? "Expect: $expect\r\nContent-Length: 0\r\n" : '')
           . "Connection: close\r\n\r\n";
    local $/;
    my $res = <$s> // '';
    my ($status) = $res =~ m{^HTTP/1\.\d (\d{3})};
    return ($status // 'none', $res);
}

# ExpectUnjudged once it is $want (the count comes when the refused
# request's pool goes, with its connection), waiting 30 s at most.
sub unjudged {
    my $want = shift;
    my $deadline = time + 30;
    my $n;
    for (;;) {
        my (undef, $res) = post('/server-status?auto', undef, 'GET');
        ($n) = $res =~ /^ExpectUnjudged: (\d+)/m;
        return $n if ($n // -1) == $want || time > $deadline;
        sleep 0.1;
    }
}

sub warnings_logged {
    open my $log, '<', "$dir/error_log" or return 0;
    return scalar grep { /refused by httpd's core \(417\) before mod_expect/ }
                       <$log>;
}

start(LD_PRELOAD => "$dir/backport.so");
my ($st, $res) = post('/x', 'x-foo');
is $st, 417, 'a core that checks late, taken for one that checks first: 417';
like $res, qr/Only the 100-continue expectation is supported/,
    "... core's own page: core refused what the scope meets";
($st) = post('/x', 'x-foo');
is $st, 417, '... again';
($st) = post('/x', '100-continue');
is $st, 200, '... 100-continue, which core lets through, is met';
($st, $res) = post('/none', '100-continue');
is $st, 417, "... the module's own refusal";
like $res, qr/This resource meets no expectation/, "... with the module's page";
is unjudged(2), 2, "the two requests core refused count as ExpectUnjudged";
is warnings_logged(), 1, '... and one warning names the likely cause';
stop();

start();
($st) = post('/x', 'x-foo');
is $st, 200, 'the control, without the library: the field is held, and met';
($st) = post('/none', '100-continue');
is $st, 417, "... the module's own refusal";
is unjudged(0), 0, '... nothing counted as unjudged';
is warnings_logged(), 0, '... and no warning';
stop();
