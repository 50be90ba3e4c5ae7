# What became of a met 100-continue: the ExpectContinue* lines of
# /server-status?auto and the EXPECT_CONTINUE / EXPECT_CONTINUE_US
# variables in an access log (t/conf/continue.conf.in).  Each outcome once
# over HTTP/1.1 with raw sockets, then over HTTP/2, then many at once from
# concurrent clients.  The counters are shared by the whole test run, so
# every check compares the counts before and after; a request is counted
# when it is logged, which may come just after its answer, so the checks
# wait (at most 10 s) for the counts to settle.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use POSIX ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ExpectTest;

# An exact 100-continue is judged by mod_expect over HTTP/2 on every
# release, 2.4.49 to 2.4.54 too (t/h2.t).
my $h2_ok = ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork';
plan tests => 66;

my @OUT = qw(Sent Skipped EarlyBody Abandoned Unknown DelayUs);
my $logs = Apache::Test::vars('t_logs');
my $log = "$logs/continue_log";


# The deltas of the ExpectContinue* lines since $before, once the sum of
# the four outcomes over $proto (H1 or H2) has grown by $n (or 30 s, for a
# loaded machine).
sub settled {
    my ($before, $proto, $n) = @_;
    my $deadline = time + 30;
    my %d;
    while (1) {
        my $now = counters();
        %d = map { $_ => ($now->{$_} // 0) - ($before->{$_} // 0) } keys %$now;
        my $sum = 0;
        $sum += $d{"ExpectContinue$_$proto"} // 0 for qw(Sent Skipped EarlyBody Abandoned Unknown);
        last if $sum >= $n || time > $deadline;
        sleep 0.05;
    }
    return \%d;
}

# The continue_log lines for $path from offset $from on, waiting for $n
# (30 s at most).
sub logged {
    my ($from, $path, $n) = @_;
    my $deadline = time + 30;
    my @lines;
    while (1) {
        @lines = ();
        if (open my $fh, '<', $log) {
            seek $fh, $from, 0;
            @lines = grep { m{"\S+ \Q$path\E} } <$fh>;
        }
        last if @lines >= $n || time > $deadline;
        sleep 0.05;
    }
    return @lines;
}

sub log_size { return -s $log // 0 }

# A careful client: waits for the 100, then sends the body.
# With $hold set, careful() keeps its connection open (in @held) until the
# test empties @held: a client that closes the moment it has read the final
# status may be gone when the request is logged, and an end seen there
# without a reset counts as unknown (docs/status.md).
our $hold;
my @held;
sub careful {
    my ($path, $body, @extra) = @_;
    my $s = connect_to();
    push @held, $s if $hold;
    my ($interim, $final) = exchange($s,
        request(POST => $path, ['Expect: 100-continue',
                                'Content-Length: ' . length($body), @extra]),
        $body);
    return join ' ', ($interim ? $interim->{status} : ()),
                     ($final ? $final->{status} : 'none');
}

# 401 from Require valid-user, or 403 where httpd has no mod_auth_basic.
my $auth = do {
    my $s = connect_to();
    send_raw($s, request(GET => '/continue/auth', []));
    my $res = read_response($s);
    $res ? $res->{status} : 'none';
};

my $before = counters();
for my $line (map { ("ExpectContinue$_", "ExpectContinue${_}H1",
                     "ExpectContinue${_}H2") } @OUT) {
    ok exists $before->{$line}, "?auto has $line";
}

# ---- HTTP/1.1, one outcome at a time ----
my $off = log_size();

is careful('/continue/read', 'hello'), '100 200',
    'sent: a careful client gets the 100, then 200';
my $d = settled($before, 'H1', 1);
is $d->{ExpectContinueSentH1}, 1, 'sent: ExpectContinueSentH1 +1';
is $d->{ExpectContinueSent}, 1, 'sent: ExpectContinueSent +1';
is $d->{ExpectContinueSkippedH1} + $d->{ExpectContinueEarlyBodyH1}
   + $d->{ExpectContinueAbandonedH1}
   + $d->{ExpectContinueUnknownH1}, 0, 'sent: no other outcome';
is $d->{ExpectContinueSentH2}, 0, 'sent: nothing over HTTP/2';
cmp_ok $d->{ExpectContinueDelayUsH1}, '>', 0,
    'sent: ExpectContinueDelayUsH1 grew';
my ($line) = logged($off, '/continue/read', 1);
like $line // '', qr/ 200 continue=sent us=\d+$/,
    'sent: EXPECT_CONTINUE=sent and the delay in the access log';
my ($us) = ($line // '') =~ /us=(\d+)$/;
is $us, $d->{ExpectContinueDelayUsH1},
    'sent: the logged delay is what ExpectContinueDelayUsH1 added';

# Skipped: 401 from Require valid-user, 413 from LimitRequestBody.
$before = counters();
$off = log_size();
{
    local $hold = 1;
    is careful('/continue/auth', 'secret'), $auth,
        "skipped: Require valid-user answers $auth without a 100";
    is careful('/continue/limit', 'x' x 100), '413',
        'skipped: LimitRequestBody answers 413 without a 100';
}
$d = settled($before, 'H1', 2);
@held = ();
is $d->{ExpectContinueSkippedH1}, 2, 'skipped: ExpectContinueSkippedH1 +2';
is $d->{ExpectContinueSentH1} + $d->{ExpectContinueEarlyBodyH1}
   + $d->{ExpectContinueAbandonedH1}
   + $d->{ExpectContinueUnknownH1}, 0, 'skipped: no other outcome';
is $d->{ExpectContinueDelayUsH1}, 0, 'skipped: no delay added';
like join('', logged($off, '/continue/auth', 1)), qr/ $auth continue=skipped us=-$/,
    "skipped: EXPECT_CONTINUE=skipped for the $auth, no delay";
like join('', logged($off, '/continue/limit', 1)), qr/ 413 continue=skipped us=-$/,
    'skipped: EXPECT_CONTINUE=skipped for the 413';

# Early body: head and body in one write, the client does not wait.
$before = counters();
$off = log_size();
{
    my $s = connect_to();
    send_raw($s, request(POST => '/continue/read',
                         ['Expect: 100-continue', 'Content-Length: 5'])
                 . 'early');
    my $res = read_response($s);
    $res = read_response($s) if $res && $res->{status} == 100;
    is $res ? $res->{status} : 'none', 200, 'early-body: 200';
}
$d = settled($before, 'H1', 1);
is $d->{ExpectContinueEarlyBodyH1}, 1, 'early-body: ExpectContinueEarlyBodyH1 +1';
is $d->{ExpectContinueSentH1} + $d->{ExpectContinueSkippedH1}
   + $d->{ExpectContinueAbandonedH1}
   + $d->{ExpectContinueUnknownH1}, 0, 'early-body: no other outcome';
like join('', logged($off, '/continue/read', 1)), qr/ continue=early-body us=-$/,
    'early-body: EXPECT_CONTINUE=early-body in the access log';

# Abandoned: the client sends the head and goes.  With TCP_CORK the head
# and the FIN leave in one segment: the server cannot read the head before
# the client is gone.
$before = counters();
$off = log_size();
{
    my $s = connect_to();
    my $cork = eval { Socket::TCP_CORK() } // 3;
    setsockopt($s, Socket::IPPROTO_TCP(), $cork, 1);
    send_raw($s, request(POST => '/continue/cgi',
                         ['Expect: 100-continue', 'Content-Length: 5']));
    shutdown $s, 1;
    close $s;
}
$d = settled($before, 'H1', 1);
is $d->{ExpectContinueAbandonedH1}, 1, 'abandoned: ExpectContinueAbandonedH1 +1';
is $d->{ExpectContinueSentH1} + $d->{ExpectContinueSkippedH1}
   + $d->{ExpectContinueEarlyBodyH1}
   + $d->{ExpectContinueUnknownH1}, 0, 'abandoned: no other outcome';
like join('', logged($off, '/continue/cgi', 1)), qr/ continue=abandoned us=-$/,
    'abandoned: EXPECT_CONTINUE=abandoned in the access log';

# Not observed: no Expect, HTTP/1.0, no body.
$before = counters();
$off = log_size();
{
    my $s = connect_to();
    send_raw($s, request(POST => '/continue/read', ['Content-Length: 2']) . 'ab');
    my $r1 = read_response($s);
    is $r1 ? $r1->{status} : 'none', 200, 'no Expect: 200';
    $s = connect_to();
    send_raw($s, request(POST => '/continue/read',
                         ['Expect: 100-continue', 'Content-Length: 2'],
                         proto => 'HTTP/1.0') . 'ab');
    my $r2 = read_response($s);
    is $r2 ? $r2->{status} : 'none', 200, 'HTTP/1.0 with Expect: 200';
    $s = connect_to();
    send_raw($s, request(POST => '/continue/read',
                         ['Expect: 100-continue', 'Content-Length: 0']));
    my $r3 = read_response($s);
    is $r3 ? $r3->{status} : 'none', 200, 'no body: 200';
}
my @quiet = logged($off, '/continue/read', 3);
is scalar(@quiet), 3, 'the three requests were logged';
is scalar(grep { / continue=- us=-$/ } @quiet), 3,
    'no EXPECT_CONTINUE where there was no 100 to wait for';
$d = settled($before, 'H1', 0);
is join(' ', map { $d->{"ExpectContinue$_"} } @OUT), join(' ', (0) x @OUT),
    'no outcome counted for them';

# ---- HTTP/2 ----
# mod_reflector echoes nothing over HTTP/2: the script reads the body.
SKIP: {
    skip 'HTTP/2: mod_http2 does not run under prefork', 7 unless $h2_ok;
    $before = counters();
    $off = log_size();
    my @r = h2(
        { method => 'POST', path => '/continue/cgi', body => 'h2 body',
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/continue/auth', body => 'never sent',
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/continue/limit-cgi', body => 'x' x 100,
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/continue/cgi', body => 'eager',
          eager => JSON::PP::true(),
          headers => [[expect => '100-continue']] },
        { method => 'POST', path => '/continue/noread', body => 'never read',
          headers => [[expect => '100-continue']] },
    );
    # Core may still send its 100 to the eager client: it came too late.
    # mod_reflector reads the body over HTTP/2 in some releases only
    # (2.4.37's, not Debian's 2.4.6x and later): the last request is sent or
    # skipped by whether a 100 came.
    my $read = grep { $_ == 100 } @{ $r[4]{interim} // [] };
    is join(' ', (map { @{ $_->{interim} // [] }, $_->{status} // 'none' }
                  @r[0 .. 2]), $r[3]{status} // 'none', $r[4]{status} // 'none'),
        "100 200 $auth 413 200 200",
        'h2: a 100 and 200, 401, 413, 200 for the eager client, 200 unread';
    $d = settled($before, 'H2', 5);
    # mod_http2 resets a stream whose upload it did not read once its
    # response is out; found at the log, that reset cannot be placed
    # before or after the final response: unknown, never skipped.  With
    # mod_http2 1.x (before 2.4.55) no DATA seen proves nothing: only
    # early-body can be told, the rest is unknown (docs/status.md).
    my $late = !have_min_apache_version('2.4.55');
    my $unknown = $d->{ExpectContinueUnknownH2};
    if ($late) {
        is $d->{ExpectContinueSentH2} + $d->{ExpectContinueSkippedH2}, 0,
            'h2: mod_http2 1.x: nothing counted sent or skipped';
        is $unknown + $d->{ExpectContinueEarlyBodyH2}, 5,
            'h2: mod_http2 1.x: the rest unknown';
    }
    else {
        is $d->{ExpectContinueSentH2}, 1 + $read, 'h2: ExpectContinueSentH2';
        is $d->{ExpectContinueSkippedH2} + $unknown, 3 - $read,
            'h2: ExpectContinueSkippedH2 (401, 413, a handler that never '
            . 'read), or unknown where mod_http2 reset the stream first';
    }
    if ($late) {
        cmp_ok $d->{ExpectContinueEarlyBodyH2}, '<=', 1,
            'h2: mod_http2 1.x: at most the eager upload is early-body';
    }
    else {
        is $d->{ExpectContinueEarlyBodyH2}, 1,
            'h2: ExpectContinueEarlyBodyH2 +1';
    }
    is $d->{ExpectContinueAbandonedH2}, 0, 'h2: ExpectContinueAbandonedH2 +0';
    is join(' ', map { $d->{"ExpectContinue${_}H1"} } @OUT), join(' ', (0) x @OUT),
        'h2: nothing counted as HTTP/1.x';
    my @l = logged($off, '/continue/cgi', 2);
    like join(' ', sort map { / continue=(\S+) / } @l),
        $late ? qr/^(early-body|unknown) unknown$/ : qr/^early-body sent$/,
        'h2: EXPECT_CONTINUE in the access log';
}

# ---- many at once ----
{
    my $clients = 4;
    my $each = 20;
    $before = counters();
    # Each client keeps its connections open (careful()'s $hold) and says
    # how it fared on $done; it ends when $release is closed, after the
    # counts are read, so that no request of it is logged with its end.
    pipe my $done_r, my $done_w or die "pipe: $!";
    pipe my $release_r, my $release_w or die "pipe: $!";
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $done_r;
            close $release_w;
            local $hold = 1;
            my $bad = 0;
            for my $i (1 .. $each) {
                my $kind = $i % 4;
                my $got;
                if ($kind == 0) {
                    $got = careful('/continue/auth', 'x');
                    $bad++ if $got ne $auth;
                }
                elsif ($kind == 1) {
                    my $s = connect_to();
                    send_raw($s, request(POST => '/continue/read',
                                 ['Expect: 100-continue',
                                  'Content-Length: 1']) . 'e');
                    my $res = read_response($s);
                    $res = read_response($s) if $res && $res->{status} == 100;
                    $bad++ unless $res && $res->{status} == 200;
                }
                else {
                    $got = careful('/continue/read', "c$c-$i");
                    $bad++ if $got ne '100 200';
                }
            }
            syswrite $done_w, $bad ? "1\n" : "0\n";
            sysread $release_r, my $eof, 1;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $done_w;
    close $release_r;
    my $failed = 0;
    for (@pids) {
        my $line = <$done_r> // "1\n";
        $failed++ if $line ne "0\n";
    }
    is $failed, 0, "$clients concurrent clients got the answers they expected";
    my $n = $clients * $each;
    $d = settled($before, 'H1', $n);
    close $release_w;
    waitpid $_, 0 for @pids;
    is $d->{ExpectContinueSentH1}, $n / 2, 'concurrent: ExpectContinueSentH1';
    is $d->{ExpectContinueSkippedH1}, $n / 4, 'concurrent: ExpectContinueSkippedH1';
    is $d->{ExpectContinueEarlyBodyH1}, $n / 4, 'concurrent: ExpectContinueEarlyBodyH1';
    is $d->{ExpectContinueAbandonedH1}, 0, 'concurrent: ExpectContinueAbandonedH1';
}

# docs/status.md's CustomLog, on EXPECT_CONTINUE: the watched requests only.
{
    my @all = logged(0, '/continue/', 0);
    open my $fh, '<', "$logs/continue_only_log"
        or die "$logs/continue_only_log: $!";
    my @only = <$fh>;
    my @watched = grep { !/ continue=- / } @all;
    cmp_ok scalar(@only), '>=', scalar(@watched),
        'the EXPECT_CONTINUE log has every watched request';
    is scalar(grep { / continue=- / } @only), 0,
        'and no request that was not watched';
}

# A graceful restart keeps the counts: the new children count on.
{
    my $pre = counters();
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status?auto', []));
    my $res = read_response($s);
    my ($gen) = ($res ? $res->{body} : '') =~ /^ParentServerConfigGeneration: (\d+)$/m;
    my $pidfile = Apache::Test::vars('t_pid_file');
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $parent = <$fh>);
    kill 'USR1', $parent;
    my $now;
    my $deadline = time + 60;       # a bound for a loaded machine
    while (time < $deadline) {
        sleep 0.1;
        $s = connect_to();
        send_raw($s, request(GET => '/server-status?auto', []));
        $res = read_response($s) or next;
        ($now) = $res->{body} =~ /^ParentServerConfigGeneration: (\d+)$/m;
        last if defined $now && defined $gen && $now > $gen;
    }
    ok defined $now && defined $gen && $now > $gen, 'a graceful restart';
    my $post = counters();
    is $post->{ExpectContinueSent}, $pre->{ExpectContinueSent},
        'graceful: ExpectContinueSent kept its count';
    careful('/continue/read', 'after');
    my $d = settled($post, 'H1', 1);
    is $d->{ExpectContinueSentH1}, 1, 'graceful: the new children count on';
}

# Through mod_proxy_http with ping=: the 100 is the backend's, relayed.
# The backend request (to this server too) is watched as well.
{
    my $pre = counters();
    my $o = log_size();
    is careful('/continue/proxy', 'via proxy'), '100 200',
        'proxy: a careful client gets the relayed 100, then 200';
    # Before 2.4.41 the proxy reads the body first (its own HTTP_IN sends
    # the 100) and forwards no expectation: the backend request has none.
    my $n = have_min_apache_version('2.4.41') ? 2 : 1;
    my $d = settled($pre, 'H1', $n);
    is $d->{ExpectContinueSentH1}, $n,
        'proxy: the front request (and since 2.4.41 the backend one) counted as sent';
    like join('', logged($o, '/continue/proxy', 1)), qr/ 200 continue=sent us=\d+$/,
        'proxy: EXPECT_CONTINUE=sent for the front request';
}
