# The expect-metrics handler (t/conf/metrics.conf.in): the counters in
# Prometheus's text format and, by Accept, in OpenMetrics.  After known
# traffic every sample equals its line of /server-status?auto (both render
# one snapshot), promtool accepts each output, the histogram of the delay
# to the 100 counts every 100 that went out, and the counts are kept over
# a graceful restart.  The counters are shared by the whole test run, so
# values are compared while nothing else is counted.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempfile);
use JSON::PP ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ExpectTest;

plan tests => 42;

my $TEXT = 'text/plain; version=0.0.4; charset=utf-8';
my $OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
# What Debian 12's Prometheus (2.42) sends.
my $PROM_ACCEPT = 'application/openmetrics-text;version=1.0.0,'
    . 'application/openmetrics-text;version=0.0.1;q=0.75,'
    . 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
my $h2_ok = ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork';
# Required: Debian's prometheus, in the integration suite's packages
# (DEBS_IT, pkg/debs.mk).
my $promtool = '/usr/bin/promtool';

sub get {
    my ($path, @headers) = @_;
    my $s = connect_to();
    send_raw($s, request(GET => $path, \@headers));
    return read_response($s);
}

sub auto {
    my $res = get('/server-status?auto') or return {};
    my %v = $res->{body} =~ /^(Expect\w[^:\n]*): (\d+)$/mg;
    return \%v;
}

# The samples of an exposition: "name{labels}" => value, labels as sent.
sub samples {
    my $body = shift;
    my %v;
    for (split /\n/, $body) {
        next if /^#/;
        my ($key, $value) = /^(\S+(?:\{.*\})?) (\S+)$/ or next;
        $v{$key} = $value;
    }
    return \%v;
}

# ?auto's lines as the samples they must equal.
sub expected {
    my $a = shift;
    my %m;
    for my $o (qw(met ignored rejected)) {
        $m{qq(apache_expect_requests_total{outcome="$o"})} = $a->{'Expect' . ucfirst $o};
    }
    $m{apache_expect_continue_requests_total} = $a->{ExpectContinue};
    $m{apache_expect_malformed_total} = $a->{ExpectMalformed};
    $m{apache_expect_would_reject_total} = $a->{ExpectWouldReject};
    $m{apache_expect_unjudged_total} = $a->{ExpectUnjudged};
    for (keys %$a) {
        $m{qq(apache_expect_members_total{name="$1"})} = $a->{$_}
            if /^ExpectName_(.+)$/;
    }
    $m{'apache_expect_members_total{name="other"}'} = $a->{ExpectNameOther};
    my %out = (Sent => 'sent', Skipped => 'skipped',
               EarlyBody => 'early_body', Abandoned => 'abandoned',
               Unknown => 'unknown');
    for my $p ([H1 => 'http1'], [H2 => 'http2']) {
        my ($k, $proto) = @$p;
        for (keys %out) {
            $m{qq(apache_expect_continue_total{outcome="$out{$_}",protocol="$proto"})}
                = $a->{"ExpectContinue$_$k"};
        }
        $m{qq(apache_expect_continue_delay_seconds_count{protocol="$proto"})}
            = $a->{"ExpectContinueSent$k"};
        $m{qq(apache_expect_continue_delay_seconds_sum{protocol="$proto"})}
            = sprintf '%d.%06d', int($a->{"ExpectContinueDelayUs$k"} / 1e6),
                      $a->{"ExpectContinueDelayUs$k"} % 1e6;
    }
    return \%m;
}

# ?auto, both expositions, then ?auto again, until the two ?auto agree
# (nothing was counted in between): at most 20 tries.
sub quiet {
    for (1 .. 20) {
        my $a = auto();
        my $text = get('/metrics');
        my $om = get('/metrics', "Accept: $PROM_ACCEPT");
        my $b = auto();
        return ($a, $text, $om)
            if JSON::PP->new->canonical->encode($a)
               eq JSON::PP->new->canonical->encode($b);
        sleep 0.2;
    }
    return;
}

# promtool check metrics on a body: (exit status, what it printed).
sub promtool {
    my $body = shift;
    return (-1, "$promtool is missing (Debian: prometheus)") unless -x $promtool;
    my ($fh, $file) = tempfile(UNLINK => 1);
    print $fh $body;
    close $fh;
    my $out = `$promtool check metrics < $file 2>&1`;
    return ($? >> 8, $out);
}

sub careful {
    my ($path, $body) = @_;
    my $s = connect_to();
    my ($interim, $final) = exchange($s,
        request(POST => $path, ['Expect: 100-continue',
                                'Content-Length: ' . length($body)]),
        $body);
    return join ' ', ($interim ? $interim->{status} : ()),
                     ($final ? $final->{status} : 'none');
}

sub send_one {
    my ($path, $expect) = @_;
    my $s = connect_to();
    send_raw($s, request(POST => $path, ["Expect: $expect", 'Content-Length: 0']));
    my $res = read_response($s);
    return $res ? $res->{status} : 'none';
}

# ---- the handler ----
my $res = get('/metrics');
is $res && $res->{status}, 200, 'GET /metrics: 200';
is $res && $res->{headers}{'content-type'}, $TEXT,
    'without Accept: the text format 0.0.4';
like $res && $res->{headers}{vary}, qr/\bAccept\b/i, 'Vary: Accept';
unlike $res && $res->{body}, qr/^# EOF/m, 'the text format has no # EOF';
for my $family (qw(apache_expect_requests_total apache_expect_malformed_total
                   apache_expect_would_reject_total apache_expect_unjudged_total
                   apache_expect_members_total apache_expect_continue_total
                   apache_expect_continue_requests_total)) {
    like $res && $res->{body},
        qr/^# HELP $family .+\n# TYPE $family counter\n/m,
        "$family: HELP and TYPE counter";
}
like $res && $res->{body},
    qr/^# HELP apache_expect_continue_delay_seconds .+\n# TYPE apache_expect_continue_delay_seconds histogram\n/m,
    'the delay: HELP and TYPE histogram';
like $res && $res->{body},
    qr/^apache_expect_members_total\{name="x-metrics"\} \d+$/m,
    'a name the configuration lists has its sample';

$res = get('/metrics', "Accept: $PROM_ACCEPT");
is $res && $res->{headers}{'content-type'}, $OM,
    "Prometheus's Accept: OpenMetrics 1.0.0";
like $res && $res->{body}, qr/\n# EOF\n\z/, 'OpenMetrics ends with # EOF';
like $res && $res->{body},
    qr/^# TYPE apache_expect_requests counter\n/m,
    'OpenMetrics: a counter family without _total';
$res = get('/metrics', 'Accept: application/openmetrics-text;version=0.0.1, text/plain;q=0.5');
is $res && $res->{headers}{'content-type'}, $TEXT,
    'an OpenMetrics version it does not write: the text format';

{
    my $s = connect_to();
    send_raw($s, request(HEAD => '/metrics', []));
    my $head = read_response($s, head => 1);
    is $head && $head->{status}, 200, 'HEAD: 200';
    $s = connect_to();
    send_raw($s, request(POST => '/metrics', ['Content-Length: 0']));
    my $post = read_response($s);
    is $post && $post->{status}, 405, 'POST: 405';
    like $post && $post->{headers}{allow}, qr/\bGET\b/, '... Allow: GET';
}
is get('/metrics-denied')->{status}, 403,
    'access control applies as to any handler';

# ---- known traffic ----
my ($a0) = quiet();
my @status = map { send_one(@$_) } (
    [ '/up', '100-continue' ], [ '/none', '100-continue' ],
    [ '/up', 'x-foo' ], [ '/lenient', 'x-foo, 100-continue' ],
    [ '/up', 'a b' ], [ '/metrics/up', 'x-metrics' ],
);
is "@status", '200 417 417 200 417 200', 'the mix was answered as expected';
my @careful = map { careful('/continue/read', "body $_") } 1 .. 3;
is "@careful", '100 200 100 200 100 200', 'three careful uploads: 100, then 200';
SKIP: {
    skip 'HTTP/2: mod_http2 does not run under prefork', 1 unless $h2_ok;
    my @r = h2({ method => 'POST', path => '/continue/cgi', body => 'h2 body',
                 headers => [[expect => '100-continue']] });
    is join(' ', @{ $r[0]{interim} // [] }, $r[0]{status} // 'none'),
        '100 200', 'one over HTTP/2: 100, then 200';
}

my ($a1, $text, $om) = quiet();
ok $a1, 'the counters settle';
$a1 //= {};
is $a1->{ExpectRejected} - $a0->{ExpectRejected}, 3, '?auto: 3 more refused';

my $want = expected($a1);
for my $r ([ text => $text ], [ OpenMetrics => $om ]) {
    my ($name, $r) = @$r;
    my $got = samples($r ? $r->{body} : '');
    is_deeply { map { $_ => $got->{$_} } keys %$want }, $want,
        "$name: every counter equals its ?auto line";
    my @extra = grep { !exists $want->{$_} && !/_bucket\{/ } keys %$got;
    is "@extra", '', "$name: no sample without its ?auto line but the buckets";
    for my $proto (qw(http1 http2)) {
        my @b = map { [ /le="([^"]+)"\} (\d+)$/ ] }
                grep { /^apache_expect_continue_delay_seconds_bucket\{protocol="$proto",/ }
                split /\n/, $r ? $r->{body} : '';
        my @le = map { $_->[0] } @b;
        is "@le", '0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 '
                . '0.1 0.25 0.5 1.0 2.5 5.0 10.0 +Inf',
            "$name, $proto: the fixed buckets, 100 us to 10 s, and +Inf";
        my @n = map { $_->[1] } @b;
        ok !grep({ $n[$_] < $n[$_ - 1] } 1 .. $#n) && @n
           && $n[-1] == ($a1->{'ExpectContinueSent' . ($proto eq 'http1' ? 'H1' : 'H2')} // -1),
            "$name, $proto: cumulative, +Inf is every 100 sent";
    }
}

# promtool 2.42 (Debian 12) checks the text format only: the OpenMetrics
# output is checked by Prometheus's own parser, which prefers it, in
# t/prometheus/run.py.
{
    my ($rc, $out) = promtool($text ? $text->{body} : '');
    is "$rc $out", '0 ', 'promtool check metrics: the text format passes';
    my $zero = get('/metrics', 'Accept: text/plain');
    ($rc, $out) = promtool($zero ? $zero->{body} : '');
    is "$rc $out", '0 ', 'promtool check metrics: passes again (Accept: text/plain)';
}

# ---- a graceful restart keeps every count ----
{
    my $pidfile = Apache::Test::vars('t_pid_file');
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $parent = <$fh>);
    my $gen = sub {
        my $r = get('/server-status?auto');
        return $r && $r->{body} =~ /^ParentServerConfigGeneration: (\d+)$/m ? $1 : 0;
    };
    my $g0 = $gen->();
    my ($pre, $before) = quiet();
    kill 'USR1', $parent;
    my $g1 = $g0;
    my $deadline = time + 60;       # a bound for a loaded machine
    while (time < $deadline) {
        sleep 0.1;
        $g1 = $gen->();
        last if $g1 > $g0;
    }
    cmp_ok $g1, '>', $g0, 'a graceful restart happened';
    my ($post, $after) = quiet();
    my %b = %{ samples($before ? $before->{body} : '') };
    my %c = %{ samples($after ? $after->{body} : '') };
    is_deeply \%c, \%b, 'every sample, buckets too, is kept over it';
}
